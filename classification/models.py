"""Waste sorting on the ground. For now the sites themselves; ledgers and the campaign follow."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class Site(models.Model):
    """A place where waste is sorted and inspected: an estate, a building, a school, a market."""

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
            models.UniqueConstraint(fields=["street", "name"], name="site_name_unique_in_street"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.community_id and self.street_id and self.community.parent_id != self.street_id:
            raise ValidationError({"community": _("The community must belong to the site's street.")})
