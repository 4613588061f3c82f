"""Waste sorting on the ground. For now the sites themselves; ledgers and the campaign follow."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sanitation.core.models import SoftDeletable
from sanitation.organisations.models import Unit, UnitKind


class SiteKind(models.TextChoices):
    MANAGED_ESTATE = "managed_estate", _("Managed residential estate")
    OPEN_ESTATE = "open_estate", _("Open estate (no property management)")
    OFFICE_BUILDING = "office_building", _("Government or office building")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    SCHOOL = "school", _("School")
    SUPERMARKET = "supermarket", _("Supermarket or mall")
    RESTAURANT = "restaurant", _("Restaurant")
    FARMERS_MARKET = "farmers_market", _("Farmers' market")


class Site(SoftDeletable):
    """A place where waste is sorted and inspected: an estate, a building, a school, a market.

    Deleting a site (soft) takes it out of the registry: lists, the rotation, coverage and every
    count of sites. Its inspections and rectifications stay what they were: they happened."""

    street = models.ForeignKey(
        Unit,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="street_sites",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    community = models.ForeignKey(
        Unit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_sites",
        null=True,
        blank=True,
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=SiteKind.choices)
    households = models.PositiveIntegerField(_("households or staff"), null=True, blank=True)
    property_company = models.CharField(_("property company"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    covered_since = models.DateField(_("sorting since"), null=True, blank=True)
    is_demonstration = models.BooleanField(_("demonstration site"), default=False)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["street__path", "name"]
        constraints = [
            # A deleted site's name may be given again to a new site of the street.
            models.UniqueConstraint(
                fields=["street", "name"],
                condition=models.Q(deleted_at__isnull=True),
                name="site_name_unique_in_street",
                violation_error_message=_("The street already has a site of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.community_id and self.street_id and self.community.parent_id != self.street_id:
            raise ValidationError({"community": _("The community must belong to the site's street.")})


# The coverage campaign ----------------------------------------------------------------------


class Campaign(models.Model):
    """A year's full-coverage campaign of a district (全覆盖): its phases and each street's targets."""

    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="sorting_campaigns"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("coverage campaign")
        verbose_name_plural = _("coverage campaigns")
        ordering = ["-year", "district__path"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_campaign_per_district_year")]

    def __str__(self) -> str:
        return self.title


class PhaseKind(models.TextChoices):
    MOBILISE = "mobilise", _("Mobilisation and deployment")  # 动员部署
    IMPLEMENT = "implement", _("Implementation")  # 组织实施
    ACCEPT = "accept", _("Assessment and acceptance")  # 考核验收


class CampaignPhase(models.Model):
    """A phase and its deadline: by then the coverage rate must reach `target_rate` and, when
    `demonstration_sites_due`, each street must have its three demonstration sites."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=20, choices=PhaseKind.choices)
    deadline = models.DateField(_("deadline"))
    target_rate = models.DecimalField(_("coverage target (%)"), max_digits=5, decimal_places=2, default=0)
    demonstration_sites_due = models.BooleanField(_("demonstration sites due"), default=False)

    class Meta:
        verbose_name = _("campaign phase")
        verbose_name_plural = _("campaign phases")
        ordering = ["campaign", "deadline"]
        constraints = [models.UniqueConstraint(fields=["campaign", "kind"], name="one_phase_of_each_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.deadline:%Y-%m-%d}"


class StreetTarget(models.Model):
    """A street's target list: the sites it must cover in the campaign."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="street_targets"
    )
    street = models.ForeignKey(
        Unit, verbose_name=_("street"), on_delete=models.PROTECT, limit_choices_to={"kind": UnitKind.STREET}
    )
    sites = models.ManyToManyField(Site, verbose_name=_("sites to cover"), blank=True, related_name="targets")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("street target")
        verbose_name_plural = _("street targets")
        constraints = [models.UniqueConstraint(fields=["campaign", "street"], name="one_target_per_street")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.street}"


# Ledgers (台账) ---------------------------------------------------------------------------------


class LedgerPlace(models.Model):
    """Where a ledger row belongs: a street, and within it a community and a site when known."""

    street = models.ForeignKey(
        Unit,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    community = models.ForeignKey(
        Unit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        abstract = True


class FacilityKind(models.TextChoices):
    CONTAINER = "container", _("Collection container")  # 收集容器
    DROP_OFF = "drop_off", _("Drop-off point")  # 投放点
    SORTING_CENTRE = "sorting_centre", _("Sorting centre")  # 分拣中心
    PERISHABLE_TRANSFER = "perishable_transfer", _("Perishable-waste transfer point")  # 易腐垃圾中转点
    BULKY_STORAGE = "bulky_storage", _("Bulky and renovation waste storage")  # 大件/装修垃圾暂存点
    HAZARDOUS_STORAGE = "hazardous_storage", _("Hazardous waste storage")  # 有害垃圾暂存点
    VEHICLE = "vehicle", _("Collection vehicle")  # 收运车辆


class SortingFacility(LedgerPlace):
    kind = models.CharField(_("kind"), max_length=30, choices=FacilityKind.choices)
    count = models.PositiveIntegerField(_("count"))
    capacity = models.DecimalField(_("capacity"), max_digits=10, decimal_places=2, null=True, blank=True)
    capacity_unit = models.CharField(_("unit of capacity"), max_length=20, blank=True)  # L, t, m³
    recorded_on = models.DateField(_("recorded on"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("sorting facility")
        verbose_name_plural = _("sorting facilities")
        ordering = ["street__path", "kind", "-recorded_on"]
        indexes = [models.Index(fields=["street", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.count}"


class CollectionRecord(LedgerPlace):
    """Tonnes collected on a day, in the four categories. 分出率 = kitchen / total;
    recycling rate = recyclable / total."""

    collected_on = models.DateField(_("date"))
    recyclable_t = models.DecimalField(_("recyclables (t)"), max_digits=10, decimal_places=3, default=0)
    hazardous_t = models.DecimalField(_("hazardous (t)"), max_digits=10, decimal_places=3, default=0)
    kitchen_t = models.DecimalField(_("kitchen waste (t)"), max_digits=10, decimal_places=3, default=0)
    other_t = models.DecimalField(_("other waste (t)"), max_digits=10, decimal_places=3, default=0)
    vehicle = models.CharField(_("vehicle"), max_length=30, blank=True)
    destination = models.CharField(_("destination"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("collection record")
        verbose_name_plural = _("collection records")
        ordering = ["-collected_on", "street__path"]
        indexes = [
            models.Index(fields=["street", "collected_on"]),
            models.Index(fields=["collected_on"]),
            models.Index(fields=["site", "collected_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.collected_on:%Y-%m-%d} {self.street_id}"


class PublicityKind(models.TextChoices):
    COMMUNITY = "community", _("In the community")  # 进社区
    HOUSEHOLD = "household", _("Door to door")  # 进家庭
    SCHOOL = "school", _("In schools")  # 进学校
    OFFICE = "office", _("In offices")  # 进机关
    ENTERPRISE = "enterprise", _("In enterprises")  # 进企业
    TRAINING = "training", _("Training")  # 培训
    MEDIA = "media", _("Media")  # 媒体宣传


class PublicityActivity(LedgerPlace):
    kind = models.CharField(_("kind"), max_length=20, choices=PublicityKind.choices)
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    audience = models.PositiveIntegerField(_("audience"), default=0)
    materials = models.PositiveIntegerField(_("materials handed out"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("publicity activity")
        verbose_name_plural = _("publicity activities")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["street", "held_on"])]

    def __str__(self) -> str:
        return self.title


class PersonRole(models.TextChoices):
    PARTY_LEADER = "party_leader", _("Party-member leader")  # 党员带头人
    VOLUNTEER = "volunteer", _("Volunteer")  # 志愿者
    SUPERVISOR = "supervisor", _("Sorting supervisor")  # 督导员


class SortingPerson(LedgerPlace):
    """Someone who leads, helps or supervises sorting at a place, with their post (岗位)."""

    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=PersonRole.choices)
    post = models.CharField(_("post"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sorting person")
        verbose_name_plural = _("sorting people")
        ordering = ["street__path", "role", "name"]

    def __str__(self) -> str:
        return self.name


class HouseholdParticipation(models.Model):
    """How many households of a site take part in sorting, as counted on a date."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="participation")
    counted_on = models.DateField(_("counted on"))
    households = models.PositiveIntegerField(_("households taking part"))

    class Meta:
        verbose_name = _("household participation")
        verbose_name_plural = _("household participation")
        ordering = ["site", "-counted_on"]
        constraints = [models.UniqueConstraint(fields=["site", "counted_on"], name="one_count_per_site_day")]

    def __str__(self) -> str:
        return f"{self.site} {self.counted_on:%Y-%m-%d}"
