"""The association's branches (分支机构): who they are, their terms of office (届), their
yearly work targets and the secretariat's assessment of them. Their history is core.Change.

Branches are managed by tier (分级分类管理): the tier sets what the secretariat expects of
a branch and how closely it follows it. The current term is the latest one; a branch
whose current term has ended is due for renewal (换届).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.models import Unit, UnitKind

NAME_TAKEN = _("The association already has a branch with this name.")
UNIT_TAKEN = _("Another branch is already linked to this unit.")
TERM_ENDS_BEFORE_START = _("The term must end after it starts.")
TERM_NUMBER_TAKEN = _("This branch already has a term with this number.")
SCORE_RANGE = _("A score is a whole number from 0 to 100.")


class BranchTier(models.TextChoices):
    """分级管理: A key branches (重点), B standard (规范), C developing (培育)."""

    A = "A", _("Tier A (key)")
    B = "B", _("Tier B (standard)")
    C = "C", _("Tier C (developing)")


class BranchStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RECTIFYING = "rectifying", _("Under rectification")
    DISSOLVED = "dissolved", _("Dissolved")


class AssessmentGrade(models.TextChoices):
    """Best first. The lowest scores of each grade are in GRADE_FLOORS."""

    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Satisfactory")
    FAIL = "fail", _("Unsatisfactory")


GRADE_FLOORS = ((90, AssessmentGrade.EXCELLENT), (75, AssessmentGrade.GOOD), (60, AssessmentGrade.PASS))


def grade_for(score: int) -> str:
    """The grade a score earns when the secretariat gives none: 90 优秀, 75 良好, 60 合格."""
    return next((grade for floor, grade in GRADE_FLOORS if score >= floor), AssessmentGrade.FAIL)


class Branch(models.Model):
    # History keys that are not fields of the branch: its terms, targets and assessments.
    TERMS, TARGETS, ASSESSMENT = "terms", "targets", "assessment"
    HISTORY_LABELS = {TERMS: _("term"), TARGETS: _("work targets"), ASSESSMENT: _("assessment")}

    organisation = models.ForeignKey(
        Unit,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="registry_branches",
        limit_choices_to={"parent__isnull": True},
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit in the organisation tree"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="branch_records",
        limit_choices_to={"kind": UnitKind.BRANCH},
    )
    name = models.CharField(_("name"), max_length=200)
    field = models.CharField(_("professional field"), max_length=100, blank=True, help_text=_("专业领域"))
    scope = models.TextField(_("business scope"), blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=1, choices=BranchTier.choices, default=BranchTier.B)
    tier_reason = models.CharField(_("reason for the tier"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BranchStatus.choices, default=BranchStatus.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="branch_unique_name", violation_error_message=NAME_TAKEN
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(unit__isnull=False),
                name="branch_unique_unit",
                violation_error_message=UNIT_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_term(self) -> "BranchTerm | None":
        """The latest term; from `terms_latest_first` when the selector prefetched it."""
        terms = getattr(self, "terms_latest_first", None)
        if terms is None:
            return self.terms.order_by("-starts_on", "-number").first()
        return terms[0] if terms else None


class BranchTerm(models.Model):
    """A term of office (第几届): its dates and the two officers the registry names."""

    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="terms")
    number = models.PositiveSmallIntegerField(_("term number"), validators=[MinValueValidator(1)])
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    chair = models.CharField(_("chair"), max_length=50, blank=True, help_text=_("主任委员"))
    secretary_general = models.CharField(_("secretary-general"), max_length=50, blank=True, help_text=_("秘书长"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["branch", "-starts_on", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "number"], name="branch_term_unique_number", violation_error_message=TERM_NUMBER_TAKEN
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="branch_term_ends_after_start",
                violation_error_message=TERM_ENDS_BEFORE_START,
            ),
        ]
        indexes = [models.Index(fields=["branch", "-starts_on"])]

    def __str__(self) -> str:
        return f"{self.branch} · {self.label}"

    @property
    def label(self) -> str:
        return _("Term %(number)d") % {"number": self.number}

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": TERM_ENDS_BEFORE_START})


class BranchYearPlan(models.Model):
    """A branch's work targets for one year, and the secretariat's assessment of that year."""

    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="year_plans")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)])
    targets = models.TextField(_("work targets"))
    targets_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    targets_at = models.DateTimeField(_("targets written"), auto_now_add=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    grade = models.CharField(_("grade"), max_length=20, choices=AssessmentGrade.choices, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("year plan")
        verbose_name_plural = _("year plans")
        ordering = ["branch", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="branch_year_plan_unique_year"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="branch_year_plan_score_range"
            ),
            # Assessed means a score, a grade and a date together; not assessed means none.
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & Q(grade="") & Q(assessed_on__isnull=True))
                | (Q(score__isnull=False) & ~Q(grade="") & Q(assessed_on__isnull=False)),
                name="branch_year_plan_assessed_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} · {self.year}"

    @property
    def is_assessed(self) -> bool:
        return self.score is not None
