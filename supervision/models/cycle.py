"""The cycle (日督查、周报告、月调度、季讲评、年终综合评定): one report per cycle, period and issuer,
and the runs that asked for it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.models import Unit


class Cycle(models.TextChoices):
    DAILY = "daily", _("Daily inspection")  # 日督查
    WEEKLY = "weekly", _("Weekly report")  # 周报告
    MONTHLY = "monthly", _("Monthly dispatch")  # 月调度
    QUARTERLY = "quarterly", _("Quarterly review")  # 季讲评
    ANNUAL = "annual", _("Year-end assessment")  # 年终综合评定


class ReportState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CycleReport(models.Model):
    """What a cycle produced for a period and an issuer: its numbers, its PDF and, for the
    cycles that end in a numbered circular, that circular. The database holds one per
    (cycle, issuer, period): a second beat firing, a retry or a redelivered task finds it."""

    cycle = models.CharField(_("cycle"), max_length=20, choices=Cycle.choices)
    issuer = models.ForeignKey(
        "documents.DocumentIssuer", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="cycle_reports"
    )
    district = models.ForeignKey(
        Unit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="cycle_reports"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    state = models.CharField(_("state"), max_length=20, choices=ReportState.choices, default=ReportState.PENDING)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # The report's numbers as computed (JSON): the page and the PDF are drawn from them.
    data = models.JSONField(_("data"), default=dict, blank=True, editable=False)
    # The document as the PDF has it (body text in the documents app's format, SVG figures), so the
    # report page shows exactly what was printed.
    body = models.TextField(_("body"), blank=True, editable=False)
    figures = models.JSONField(default=dict, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to="cycle-reports/%Y/", blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    circular = models.OneToOneField(
        "documents.Circular",
        verbose_name=_("circular"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cycle_report",
    )
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    generations = models.PositiveIntegerField(_("times generated"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cycle report")
        verbose_name_plural = _("cycle reports")
        ordering = ["-period_start", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "issuer", "period_start"], name="one_report_per_cycle_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="report_period"),
        ]
        indexes = [models.Index(fields=["issuer", "cycle", "-period_start"])]

    def __str__(self) -> str:
        return self.title or f"{self.get_cycle_display()} {self.period_start:%Y-%m-%d}"


class RunTrigger(models.TextChoices):
    BEAT = "beat", _("Schedule")
    COMMAND = "command", _("Command line")
    WEB = "web", _("Web page")
    API = "api", _("API")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CycleRun(models.Model):
    """One request to run a cycle: who or what started it, when, how it went, what it said."""

    cycle = models.CharField(_("cycle"), max_length=20, choices=Cycle.choices)
    issuer = models.ForeignKey(
        "documents.DocumentIssuer", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="cycle_runs"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    trigger = models.CharField(_("started by"), max_length=20, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    regenerate = models.BooleanField(_("regenerate the draft"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=RunState.choices, default=RunState.QUEUED)
    step = models.CharField(_("step"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_id = models.CharField(max_length=255, blank=True, editable=False)
    worker = models.CharField(_("worker"), max_length=255, blank=True, editable=False)
    report = models.ForeignKey(
        CycleReport, verbose_name=_("report"), on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    created = models.BooleanField(_("made something new"), default=False)
    output = models.TextField(_("output"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cycle run")
        verbose_name_plural = _("cycle runs")
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["issuer", "cycle", "-queued_at"])]

    def __str__(self) -> str:
        return f"{self.get_cycle_display()} {self.period_start:%Y-%m-%d} · {self.get_state_display()}"
