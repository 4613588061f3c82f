"""Annual plans: plan → chapter (一、) → item （一）/1. → sub-point 一是…, with the units that
lead and assist each item, its indicators and the progress units report on it."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from sanitation.core.models import LiveManager, SoftDeletable
from sanitation.organisations.models import Unit


class Category(models.Model):
    """A kind of work (党建, 会员发展, 垃圾分类 …); an editable list. The importer assigns the
    category whose keyword comes first in a chapter's title, then a sub-category whose
    keyword the item's text names (设施评价 under 专项工作)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True, on_delete=models.PROTECT
    )
    keywords = models.JSONField(
        _("keywords"), default=list, blank=True, help_text=_("Words that name this kind of work.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Plan(SoftDeletable):
    """An annual plan. Deleting one is soft (it may have been issued): its items go with it from
    every page, list and report, and come back when it is restored."""

    # History keys that are not fields: an item added to the plan or removed from it.
    HISTORY_LABELS = {"item_added": _("item added"), "item_removed": _("item removed")}

    issuer = models.ForeignKey(Unit, verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="plans")
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    source_text = models.TextField(_("source text"), blank=True)
    circular = models.ForeignKey(
        "documents.Circular",
        verbose_name=_("circular"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "issuer__path"]
        constraints = [
            # A deleted plan does not stop its unit from importing the plan again.
            models.UniqueConstraint(
                fields=["issuer", "year", "title"], condition=Q(deleted_at__isnull=True), name="plan_unique_title"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="chapters")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="chapter_unique_number")]

    def __str__(self) -> str:
        return f"{self.label}{self.title}"

    @property
    def label(self) -> str:
        from .plan_text import chinese_numeral

        return f"{chinese_numeral(self.number)}、"


class NumberStyle(models.TextChoices):
    BRACKETED = "bracketed", "（一）"  # restarts in every chapter
    ARABIC = "arabic", "1."  # runs through the plan


class ItemManager(LiveManager):
    """Items in use: not deleted, in a plan not deleted. A subquery rather than a join, so that
    select_for_update() locks the item alone and values()/annotate() group as before."""

    def get_queryset(self):
        deleted_plans = Plan.all_objects.filter(pk=OuterRef("plan_id"), deleted_at__isnull=False)
        return super().get_queryset().exclude(Exists(deleted_plans))


class Item(SoftDeletable):
    # History keys that are not fields of the item: its milestones and indicators are rows of their own.
    HISTORY_LABELS = {"milestones": _("milestones"), "indicators": _("indicators")}

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="items")
    chapter = models.ForeignKey(Chapter, verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    number_style = models.CharField(max_length=10, choices=NumberStyle.choices, default=NumberStyle.ARABIC)
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("short title"), max_length=200)
    text = models.TextField(_("full text"))
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL)
    lead_units = models.ManyToManyField(Unit, verbose_name=_("lead units"), blank=True, related_name="led_items")
    assisting_units = models.ManyToManyField(
        Unit, verbose_name=_("assisting units"), blank=True, related_name="assisted_items"
    )
    lead_names = models.CharField(_("lead units as written"), max_length=300, blank=True)
    assisting_names = models.CharField(_("assisting units as written"), max_length=300, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # The lead units' latest reported percent; with the deadline it gives the status.
    percent = models.PositiveSmallIntegerField(_("progress"), default=0, validators=[MaxValueValidator(100)])
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    objects = ItemManager()

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan", "position"]
        indexes = [models.Index(fields=["plan", "deadline"])]

    def __str__(self) -> str:
        return f"{self.label}{self.title}"

    @property
    def label(self) -> str:
        from .plan_text import chinese_numeral

        if self.number_style == NumberStyle.BRACKETED:
            return f"（{chinese_numeral(self.number)}）"
        return f"{self.number}."


class SubPoint(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("plan item"), on_delete=models.CASCADE, related_name="sub_points")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("sub-point")
        verbose_name_plural = _("sub-points")
        ordering = ["item", "number"]

    def __str__(self) -> str:
        return self.text[:40]


class Milestone(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("plan item"), on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["item", "due_on"]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    """A target such as 厨余垃圾分出率 100% by 9月30日. Its actual value is typed in, or
    computed by a provider another app registers (see plans/indicators.py)."""

    item = models.ForeignKey(Item, verbose_name=_("plan item"), on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("name"), max_length=100)
    target_value = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    provider = models.CharField(
        _("computed by"), max_length=60, blank=True, help_text=_("Empty: the actual value is entered by hand.")
    )
    actual_value = models.DecimalField(_("actual"), max_digits=12, decimal_places=2, null=True, blank=True)
    actual_at = models.DateTimeField(_("actual as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.target_value}{self.unit}"


class Acknowledgement(models.Model):
    """A lead unit has received (签收) an item handed to it."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="acknowledgements")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "unit"], name="acknowledged_once")]

    def __str__(self) -> str:
        return f"{self.item} · {self.unit}"


def report_attachment_path(report: "ProgressReport", filename: str) -> str:
    from uuid import uuid4

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"plans/reports/{report.month:%Y-%m}/{uuid4().hex}.{suffix}"


class ProgressReport(models.Model):
    """What a unit did on an item in a month: the lead units' percent moves the item."""

    item = models.ForeignKey(Item, verbose_name=_("plan item"), on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="progress_reports")
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    text = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("percent done"), validators=[MaxValueValidator(100)])
    attachment = models.FileField(_("attachment"), upload_to=report_attachment_path, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    is_lead = models.BooleanField(_("by a lead unit"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-month", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["item", "unit", "month"], name="one_report_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.item} · {self.unit} · {self.month:%Y-%m}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Deadline approaching")  # 临近提醒
    OVERDUE = "overdue", _("Overdue")  # 到期催办


class Reminder(models.Model):
    """A reminder sent to a lead unit about one of its items: once per kind and deadline, so
    the daily run never sends the same one twice and a new deadline gets new reminders."""

    item = models.ForeignKey(Item, verbose_name=_("plan item"), on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="plan_reminders")
    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    deadline = models.DateField(_("deadline"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("people e-mailed"), default=0)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "unit", "kind", "deadline"], name="reminder_once_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.item}"
