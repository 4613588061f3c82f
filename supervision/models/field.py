"""Supervision in the field: assessment schemes, inspections, problems and their photos,
rectifications, the clerks' rotation, and the subsidy rules the scores feed."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from classification.models import Site, SiteKind
from sanitation.core.models import SoftDeletable
from sanitation.organisations.models import Unit, UnitKind

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


# Assessment schemes (考核办法) -----------------------------------------------------------------


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")


class AssessmentScheme(models.Model):
    """One version of a district's assessment scheme for a year.

    A version in force is never edited: changing a scheme makes a new draft version that
    comes into force on a date, so an inspection always points at the rules it was scored by.
    """

    district = models.ForeignKey(
        Unit,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="assessment_schemes",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Rectification deadlines, in days from the inspection, by the problem's severity.
    serious_days = models.PositiveSmallIntegerField(_("days to rectify a serious problem"), default=3)
    general_days = models.PositiveSmallIntegerField(_("days to rectify a general problem"), default=7)
    minor_days = models.PositiveSmallIntegerField(_("days to rectify a minor problem"), default=15)
    # 红黑榜: the top streets with at least `red_min_score`; the bottom ones or any below `black_max_score`.
    red_top = models.PositiveSmallIntegerField(_("red list: top places"), default=3)
    red_min_score = models.DecimalField(
        _("red list: minimum score"), max_digits=5, decimal_places=2, default=90, validators=PERCENT
    )
    black_bottom = models.PositiveSmallIntegerField(_("black list: bottom places"), default=1)
    black_max_score = models.DecimalField(
        _("black list: any score below"), max_digits=5, decimal_places=2, default=60, validators=PERCENT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["district__path", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "version"], name="scheme_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{_('version')} {self.version}）"

    def rectification_days(self, severity: str) -> int:
        return {
            Severity.SERIOUS: self.serious_days,
            Severity.GENERAL: self.general_days,
            Severity.MINOR: self.minor_days,
        }[severity]


class SourceKind(models.TextChoices):
    INSPECTION = "inspection", _("The office's inspections")  # 日常督查
    THIRD_PARTY = "third_party", _("Third-party evaluation")  # 第三方测评
    PUBLIC_OPINION = "public_opinion", _("Public opinion")  # 群众评议
    OTHER = "other", _("Other")


class ScoreSource(models.Model):
    """A share of a street's total score: the office's inspections, third-party evaluation …"""

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="sources"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("score source")
        verbose_name_plural = _("score sources")
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "name"], name="score_source_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.weight}%"


class Criterion(models.Model):
    """A criterion of a scheme (宣传动员, 设施投放 …) with its points, for some site kinds."""

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("name"), max_length=100)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    description = models.TextField(_("what is checked"), blank=True)
    # Empty: every kind of site.
    site_kinds = models.JSONField(_("site kinds"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "name"], name="criterion_name_unique")]

    def __str__(self) -> str:
        return f"{self.name}（{self.points}）"

    def applies_to(self, site_kind: str) -> bool:
        return not self.site_kinds or site_kind in self.site_kinds


class ProblemType(models.Model):
    """What inspectors find (混投, 满溢 …): one list for every district, kept in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    severity = models.CharField(_("usual severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class DeductionRule(models.Model):
    """How many points of which criterion a problem of a type costs, per occurrence."""

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="deduction_rules"
    )
    problem_type = models.ForeignKey(
        ProblemType, verbose_name=_("problem type"), on_delete=models.PROTECT, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="deduction_rules"
    )
    points = models.DecimalField(
        _("points deducted"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("deduction rule")
        verbose_name_plural = _("deduction rules")
        ordering = ["scheme", "criterion__order", "problem_type__order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "problem_type"], name="one_rule_per_problem_type")]

    def __str__(self) -> str:
        return f"{self.problem_type} → {self.criterion.name} −{self.points}"


class StreetSourceScore(models.Model):
    """A street's score from a source other than the office's inspections, for a period."""

    source = models.ForeignKey(ScoreSource, verbose_name=_("source"), on_delete=models.CASCADE, related_name="scores")
    street = models.ForeignKey(
        Unit,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=PERCENT)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("street score from a source")
        verbose_name_plural = _("street scores from sources")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "street", "period_start", "period_end"], name="one_source_score_per_period"
            ),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="source_period"),
        ]

    def __str__(self) -> str:
        return f"{self.street} · {self.source.name} {self.score}"


# Inspections (督查) ---------------------------------------------------------------------------


class InspectionKind(models.TextChoices):
    DAILY = "daily", _("Daily inspection")  # 日督查
    SPECIAL = "special", _("Special inspection")  # 专项检查
    UNANNOUNCED = "unannounced", _("Unannounced visit")  # 暗访
    JOINT = "joint", _("Joint enforcement")  # 联合执法


class Inspection(SoftDeletable):
    """What a clerk found at a site. Deleting one (soft, inspections.inspection_delete) takes it,
    its problems and its rectifications out of every list, score and report still to be made;
    an issued circular that counted it keeps what it said."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="inspections")
    # The site's street when inspected: reports group and scope by it without a join.
    street = models.ForeignKey(
        Unit, verbose_name=_("street"), on_delete=models.PROTECT, related_name="street_inspections"
    )
    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InspectionKind.choices, default=InspectionKind.DAILY)
    inspected_at = models.DateTimeField(_("inspected at"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), related_name="inspections"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="inspections_recorded",
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Sum of the criterion scores and of the applicable criteria's points, under `scheme`.
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=1, default=0)
    max_score = models.DecimalField(_("full marks"), max_digits=6, decimal_places=1, default=0)
    # score / max_score × 100: what rankings average.
    percent = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, default=0)
    problem_count = models.PositiveSmallIntegerField(_("problems"), default=0)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Given by the form when it is opened: the same form sent twice (a lost response, a
    # double tap) finds the inspection it already made instead of recording a second one.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]
        indexes = [
            models.Index(fields=["street", "inspected_at"]),
            models.Index(fields=["site", "-inspected_at"]),
            models.Index(fields=["inspected_at"]),
            # The live ones only: the list counts a district's inspections from this index alone
            # (inspection_views.inspection_list), not from a scan of the whole table.
            models.Index(
                fields=["street", "inspected_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="inspection_live_street",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.inspected_at:%Y-%m-%d %H:%M}"


class CriterionScore(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="criterion_scores"
    )
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    # The inspector typed the score; otherwise it is the points less the problems' deductions.
    entered = models.BooleanField(_("entered by the inspector"), default=False)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "criterion"], name="one_score_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name} {self.score}"


class Problem(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="problems"
    )
    problem_type = models.ForeignKey(
        ProblemType, verbose_name=_("problem type"), on_delete=models.PROTECT, related_name="problems"
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # What the scheme's rule took off, kept so a later rule change does not rewrite history.
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deduction = models.DecimalField(_("points deducted"), max_digits=5, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return str(self.problem_type)


# Rectifications (整改) --------------------------------------------------------------------------


class RectificationState(models.TextChoices):
    PENDING = "pending", _("To rectify")  # 待整改
    IN_PROGRESS = "in_progress", _("Rectifying")  # 整改中
    AWAITING_REVIEW = "awaiting_review", _("Awaiting re-inspection")  # 待复查
    CLOSED = "closed", _("Closed")  # 已销号
    OVERDUE = "overdue", _("Overdue")  # 逾期


OPEN_STATES = (
    RectificationState.PENDING,
    RectificationState.IN_PROGRESS,
    RectificationState.AWAITING_REVIEW,
    RectificationState.OVERDUE,
)


class Rectification(SoftDeletable):
    """A problem the responsible unit must put right, followed to closure. Deleted (soft) with
    its inspection, and restored with it."""

    problem = models.OneToOneField(
        Problem, verbose_name=_("problem"), on_delete=models.PROTECT, related_name="rectification"
    )
    # The street answers, for itself or for the property company of the site.
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="rectifications"
    )
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="rectifications")
    responsible_party = models.CharField(_("responsible party"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=RectificationState.choices, default=RectificationState.PENDING
    )
    deadline = models.DateField(_("deadline"))
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Optimistic lock: a form posted against an older version is refused instead of overwriting.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["unit", "state", "deadline"]),
            models.Index(fields=["state", "deadline"]),
            # The cycle's reports take a district's streets (the units) and a period's rectifications
            # by when they opened, closed or fell due; without these a week reads every rectification
            # the district ever had (bench/reports.py writes the plans).
            models.Index(fields=["unit", "opened_at"]),
            models.Index(fields=["unit", "deadline"]),
            models.Index(fields=["unit", "closed_at", "deadline"]),
            # The open ones in the list's order, with their unit: the rectification list pages and
            # counts them from this index alone, not from three million rows mostly closed.
            models.Index(
                fields=["deadline", "id", "unit"],
                condition=models.Q(deleted_at__isnull=True, state__in=OPEN_STATES),
                name="rectification_open_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.problem}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RectificationAction(models.TextChoices):
    OPEN = "open", _("Opened")
    START = "start", _("Started")
    ANSWER = "answer", _("Answered")
    CLOSE = "close", _("Closed after re-inspection")
    SEND_BACK = "send_back", _("Sent back")
    OVERDUE = "overdue", _("Deadline passed")
    NOTE = "note", _("Note")


class RectificationEvent(models.Model):
    """Who did what to a rectification and when; the rectification's whole history."""

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("rectification"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=RectificationAction.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=RectificationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=RectificationState.choices)
    text = models.TextField(_("text"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("rectification event")
        verbose_name_plural = _("rectification events")
        ordering = ["rectification", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


# Photos -------------------------------------------------------------------------------------------


def photo_path(instance, filename: str) -> str:
    # `filename` is already server-generated (uuid); the date keeps directories small.
    return f"supervision/photos/{instance.uploaded_at:%Y/%m}/{filename}"


class Photo(models.Model):
    """A checked, re-encoded photo. Uploaded first (staged, attached to nothing), then attached
    to a problem or to a rectification event when the form that carries it is saved."""

    image = models.ImageField(_("photo"), upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    event = models.ForeignKey(
        RectificationEvent,
        verbose_name=_("rectification event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(problem__isnull=True) | models.Q(event__isnull=True), name="photo_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.image.name


# The clerks' rotation --------------------------------------------------------------------------


class InspectionInterval(models.Model):
    """How often a kind of site must be seen in a district: at least once every `days` days."""

    district = models.ForeignKey(
        Unit,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        related_name="inspection_intervals",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    site_kind = models.CharField(_("site kind"), max_length=30, choices=SiteKind.choices)
    days = models.PositiveSmallIntegerField(_("every (days)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("inspection interval")
        verbose_name_plural = _("inspection intervals")
        constraints = [models.UniqueConstraint(fields=["district", "site_kind"], name="one_interval_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_site_kind_display()} / {self.days}"


class Assignment(models.Model):
    """A site a clerk is to inspect on a day."""

    day = models.DateField(_("day"))
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="assignments")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("clerk"), on_delete=models.CASCADE, related_name="assignments"
    )
    reason = models.CharField(_("reason"), max_length=20)
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["day", "clerk", "site__street__path", "site__name"]
        constraints = [models.UniqueConstraint(fields=["day", "site"], name="one_assignment_per_site_day")]
        indexes = [models.Index(fields=["clerk", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.site} · {self.clerk}"


# Subsidies (奖补资金) --------------------------------------------------------------------------


class SubsidyRule(models.Model):
    """How a period's scores become money per street: a pool shared in proportion to score among
    streets that reach `pool_min_score`, then fixed awards or deductions by rank."""

    district = models.ForeignKey(
        Unit,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        related_name="subsidy_rules",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    pool = models.DecimalField(_("pool per period (yuan)"), max_digits=12, decimal_places=2, default=0)
    pool_min_score = models.DecimalField(
        _("minimum score for a share of the pool"), max_digits=5, decimal_places=2, default=60, validators=PERCENT
    )
    black_list_deduction = models.DecimalField(
        _("deduction for the black list (yuan)"), max_digits=12, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("subsidy rule")
        verbose_name_plural = _("subsidy rules")
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_subsidy_rule_per_year")]

    def __str__(self) -> str:
        return self.title


class RankAward(models.Model):
    """A fixed amount by rank: positive an award, negative a deduction. Rank counts from the
    top, or from the bottom when `from_bottom` (the last place is 1 from the bottom)."""

    rule = models.ForeignKey(SubsidyRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="awards")
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    from_bottom = models.BooleanField(_("counted from the bottom"), default=False)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("award by rank")
        verbose_name_plural = _("awards by rank")
        ordering = ["rule", "from_bottom", "rank"]
        constraints = [models.UniqueConstraint(fields=["rule", "rank", "from_bottom"], name="one_award_per_rank")]

    def __str__(self) -> str:
        return f"{self.rank} {self.amount}"
