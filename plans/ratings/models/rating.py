"""The rating machinery both programmes share: a scheme (criteria with their maximum
points, grade thresholds, how long a rating lasts), rounds of a year, applications of a
facility or an enterprise, experts' scores per criterion, and the grade the total earns."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from sanitation.core.models import LiveManager, SoftDeletable

from .registry import Enterprise, Facility, FacilityKind, Programme, organisation_field


class RatingScheme(models.Model):
    """A programme's standard of one edition: criteria, grade thresholds, validity."""

    organisation = organisation_field()
    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    year = models.PositiveSmallIntegerField(_("edition"))
    title = models.CharField(_("title"), max_length=200)
    facility_kind = models.CharField(
        _("facility kind"),
        max_length=20,
        choices=FacilityKind.choices,
        blank=True,
        help_text=_("Facility schemes rate one kind of facility; leave empty for credit ratings."),
    )
    valid_years = models.PositiveSmallIntegerField(_("years a rating is valid"))

    class Meta:
        verbose_name = _("rating scheme")
        verbose_name_plural = _("rating schemes")
        ordering = ["programme", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "programme", "facility_kind", "year"], name="rating_scheme_unique_edition"
            )
        ]

    def __str__(self) -> str:
        return self.title


def points_text(value) -> str:
    """40.0 → 40, 12.5 → 12.5: points as people write them."""
    return f"{value.normalize():f}" if value is not None else ""


class Criterion(models.Model):
    scheme = models.ForeignKey(
        RatingScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    max_points = models.DecimalField(_("maximum points"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scheme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "position"], name="criterion_unique_position"),
            models.CheckConstraint(condition=models.Q(max_points__gt=0), name="criterion_max_points_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_text(self) -> str:
        return points_text(self.max_points)


class GradeThreshold(models.Model):
    """The least total that earns a grade (AAA ≥ 90 …); below the lowest, the application fails."""

    scheme = models.ForeignKey(
        RatingScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="thresholds"
    )
    grade = models.CharField(_("grade"), max_length=10)
    min_total = models.DecimalField(_("least total"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("grade threshold")
        verbose_name_plural = _("grade thresholds")
        ordering = ["scheme", "-min_total"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "grade"], name="grade_threshold_unique_grade"),
            models.UniqueConstraint(fields=["scheme", "min_total"], name="grade_threshold_unique_total"),
        ]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {points_text(self.min_total)}"


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PUBLISHED = "published", _("Published")


class RatingRound(models.Model):
    """One year's rating under a scheme; publishing its list issues one circular and
    freezes it."""

    organisation = organisation_field()
    scheme = models.ForeignKey(RatingScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="rounds")
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    circular = models.OneToOneField(
        "documents.Circular",
        verbose_name=_("circular"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating_round",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("rating round")
        verbose_name_plural = _("rating rounds")
        ordering = ["-year", "title"]
        constraints = [models.UniqueConstraint(fields=["scheme", "year"], name="rating_round_unique_year")]

    def __str__(self) -> str:
        return self.title

    @property
    def programme(self) -> str:
        return self.scheme.programme

    @property
    def is_published(self) -> bool:
        return self.status == RoundStatus.PUBLISHED


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")  # 申请
    REVIEWING = "reviewing", _("Under review")  # 评审中
    RATED = "rated", _("Rated")  # 已评定
    FAILED = "failed", _("Not passed")  # 未通过
    REVOKED = "revoked", _("Revoked")  # 撤销


class ApplicationManager(LiveManager):
    """Applications in use: not deleted, of a facility or an enterprise not deleted. Subqueries
    rather than joins, so that select_for_update() locks the application alone."""

    def get_queryset(self):
        deleted_facility = Facility.all_objects.filter(pk=OuterRef("facility_id"), deleted_at__isnull=False)
        deleted_enterprise = Enterprise.all_objects.filter(pk=OuterRef("enterprise_id"), deleted_at__isnull=False)
        return super().get_queryset().exclude(Exists(deleted_facility)).exclude(Exists(deleted_enterprise))


class RatingApplication(SoftDeletable):
    """A facility's or an enterprise's application in a round, and the rating it earned.
    Deleting one is soft: its round's published list may name it."""

    # History keys that are not fields of the application: an expert's points.
    HISTORY_LABELS = {"scores": _("experts' scores")}

    round = models.ForeignKey(
        RatingRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="applications"
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    submitted_on = models.DateField(_("submitted on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    rated_on = models.DateField(_("rated on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationManager()

    class Meta:
        verbose_name = _("rating application")
        verbose_name_plural = _("rating applications")
        ordering = ["round", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(facility__isnull=False, enterprise__isnull=True)
                | models.Q(facility__isnull=True, enterprise__isnull=False),
                name="rating_application_one_subject",
            ),
            # A deleted application does not stop its subject from applying again.
            models.UniqueConstraint(
                fields=["round", "facility"],
                condition=Q(deleted_at__isnull=True),
                name="rating_application_unique_facility",
            ),
            models.UniqueConstraint(
                fields=["round", "enterprise"],
                condition=Q(deleted_at__isnull=True),
                name="rating_application_unique_enterprise",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.subject} · {self.round}"

    @property
    def subject(self) -> Facility | Enterprise:
        return self.facility if self.facility_id else self.enterprise

    @property
    def is_revoked(self) -> bool:
        return self.status == ApplicationStatus.REVOKED


class ExpertScore(models.Model):
    """The points one expert gives an application on one criterion."""

    application = models.ForeignKey(
        RatingApplication, verbose_name=_("application"), on_delete=models.CASCADE, related_name="scores"
    )
    expert = models.CharField(_("expert"), max_length=50)
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("expert score")
        verbose_name_plural = _("expert scores")
        ordering = ["application", "expert", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "expert", "criterion"], name="expert_score_unique"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="expert_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.criterion} · {self.points}"
