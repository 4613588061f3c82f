"""The association's member registry (会员): unit members (单位会员) and individual members
(个人会员), their status over time and their annual dues.

One Member model with a `kind`, not two: both kinds share the registry's list, search,
filters, status history, dues, Excel sheet and API, and differ only in a few fields, which
clean() and a check constraint require or forbid per kind.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanitation.core.credit_code import credit_code_normalise, credit_code_validate
from sanitation.organisations.models import Unit

CREDIT_CODE_TAKEN = _("Another member of the association already has this unified social credit code.")
PERSON_TAKEN = _("Another individual member has the same name and employer.")
REQUIRED_FOR_UNITS = _("A unit member needs this.")
REQUIRED_FOR_INDIVIDUALS = _("An individual member needs this.")
NOT_FOR_INDIVIDUALS = _("Individual members have no credit code: leave it empty.")


class MemberKind(models.TextChoices):
    UNIT = "unit", _("Unit member")
    INDIVIDUAL = "individual", _("Individual member")


class OrganisationType(models.TextChoices):
    """单位性质; extend the list here (and its Chinese name in excel.py) as the registry needs."""

    ENTERPRISE = "enterprise", _("Enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    UNIVERSITY = "university", _("University")
    GOVERNMENT = "government", _("Government agency")
    OTHER = "other", _("Other")


class CouncilPosition(models.TextChoices):
    """Seats on the council (理事会), most senior first: lists sort in this order."""

    PRESIDENT = "president", _("President")
    VICE_PRESIDENT = "vice_president", _("Vice president")
    EXECUTIVE_DIRECTOR = "executive_director", _("Executive council member")
    DIRECTOR = "director", _("Council member")
    MEMBER = "member", _("Member")


class IndividualCategory(models.TextChoices):
    EXPERT = "expert", _("Expert")
    YOUNG_TALENT = "young_talent", _("Young talent")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Registered")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Member(models.Model):
    # History keys that are not fields of the member: a payment of dues.
    HISTORY_LABELS = {"dues": _("dues")}

    organisation = models.ForeignKey(
        Unit,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="registry_members",
        limit_choices_to={"parent__isnull": True},
    )
    kind = models.CharField(_("kind of member"), max_length=20, choices=MemberKind.choices, default=MemberKind.UNIT)
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[credit_code_validate]
    )
    organisation_type = models.CharField(
        _("type of organisation"), max_length=30, choices=OrganisationType.choices, blank=True
    )
    region = models.CharField(
        _("region"), max_length=50, blank=True, help_text=_("Province and city, e.g. 广东省广州市.")
    )
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    council_position = models.CharField(
        _("council position"), max_length=30, choices=CouncilPosition.choices, default=CouncilPosition.MEMBER
    )
    category = models.CharField(_("category"), max_length=20, choices=IndividualCategory.choices, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    speciality = models.CharField(_("speciality"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"))
    status = models.CharField(_("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    status_since = models.DateField(_("status since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "credit_code"],
                condition=~Q(credit_code=""),
                name="member_unique_credit_code",
                violation_error_message=CREDIT_CODE_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["organisation", "name", "employer"],
                condition=Q(kind=MemberKind.INDIVIDUAL),
                name="member_unique_person",
                violation_error_message=PERSON_TAKEN,
            ),
            models.CheckConstraint(
                condition=(Q(kind=MemberKind.UNIT) & ~Q(credit_code=""))
                | (Q(kind=MemberKind.INDIVIDUAL) & Q(credit_code="")),
                name="member_credit_code_by_kind",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "joined_on"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.credit_code = credit_code_normalise(self.credit_code)
        errors = {}
        if self.kind == MemberKind.UNIT:
            for name in ("credit_code", "organisation_type"):
                if not getattr(self, name):
                    errors[name] = REQUIRED_FOR_UNITS
        elif self.kind == MemberKind.INDIVIDUAL:
            if self.credit_code:
                errors["credit_code"] = NOT_FOR_INDIVIDUALS
            if not self.category:
                errors["category"] = REQUIRED_FOR_INDIVIDUALS
        if errors:
            raise ValidationError(errors)

    @property
    def is_unit(self) -> bool:
        return self.kind == MemberKind.UNIT


class MemberStatusChange(models.Model):
    """A change of status (在册 → 暂停 → 退会 …): from when, why, and who wrote it down."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(_("from"), max_length=20, choices=MemberStatus.choices, blank=True)
    new_status = models.CharField(_("to"), max_length=20, choices=MemberStatus.choices)
    changed_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.member} · {self.old_status} → {self.new_status}"


class MemberDues(models.Model):
    """A member's dues (会费) for one year: what is due and what has been paid."""

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="dues")
    year = models.PositiveSmallIntegerField(_("year"))
    amount_due = models.DecimalField(
        _("amount due"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    paid = models.BooleanField(_("paid"), default=False)
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("dues")
        verbose_name_plural = _("dues")
        ordering = ["member", "-year"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="member_dues_unique_year")]
        indexes = [models.Index(fields=["year", "paid"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.year}"

    @property
    def outstanding(self):
        return max(self.amount_due - (self.amount_paid or 0), 0)
