"""What the programmes rate: the registries of facilities and of enterprises."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanitation.core.credit_code import credit_code_validate
from sanitation.core.models import SoftDeletable
from sanitation.organisations.models import Unit


class Programme(models.TextChoices):
    FACILITY = "facility", _("Facility rating")  # 设施等级评价
    CREDIT = "credit", _("Enterprise credit rating")  # 企业信用评价


class FacilityKind(models.TextChoices):
    INCINERATION = "incineration", _("Incineration plant")  # 焚烧厂
    LANDFILL = "landfill", _("Landfill")  # 填埋场
    TRANSFER = "transfer", _("Transfer station")  # 转运站
    FOOD_WASTE = "food_waste", _("Food waste treatment plant")  # 厨余处理厂
    OTHER = "other", _("Other facility")  # 其他


class Business(models.TextChoices):
    STREET_CLEANING = "street_cleaning", _("Street cleaning")  # 道路清扫保洁
    COLLECTION = "collection", _("Waste collection and transport")  # 垃圾收运
    TREATMENT = "treatment", _("Waste treatment")  # 垃圾处理
    OTHER = "other", _("Other business")


def organisation_field():
    return models.ForeignKey(Unit, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+")


class Facility(SoftDeletable):
    """A sanitation facility the association rates (焚烧厂, 填埋场 …). Deleting one is soft: a
    published list named it; its ratings leave the lists with it and come back if it is restored."""

    organisation = organisation_field()
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=FacilityKind.choices, default=FacilityKind.INCINERATION)
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.DecimalField(_("capacity (t/d)"), max_digits=8, decimal_places=1, null=True, blank=True)
    operator_name = models.CharField(_("operator"), max_length=200, blank=True)
    operator_credit_code = models.CharField(
        _("operator's credit code"), max_length=18, blank=True, validators=[credit_code_validate]
    )

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["province", "city", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=Q(deleted_at__isnull=True),
                name="facility_unique_name",
                violation_error_message=_("A facility of this name is in the registry already."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> str:
        return f"{self.province}{self.city}" if self.city != self.province else self.province


class Enterprise(SoftDeletable):
    """A sanitation enterprise the association rates for credit; deleted softly, as a facility."""

    organisation = organisation_field()
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, validators=[credit_code_validate])
    region = models.CharField(_("region"), max_length=50)
    business = models.CharField(_("business"), max_length=20, choices=Business.choices)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "credit_code"],
                condition=Q(deleted_at__isnull=True),
                name="enterprise_unique_credit_code",
                violation_error_message=_("An enterprise with this credit code is in the registry already."),
            )
        ]

    def __str__(self) -> str:
        return self.name
