from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a periodic job ran: proves to the status page that beat and a worker live."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """A message in a user's inbox on the home page: a report is out, a rectification is overdue."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    # What it is about ("report:12", "overdue:CD-JD01:2026-11-30"): the same event never notifies twice.
    key = models.CharField(max_length=100)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set once the e-mail went out; the mail task retries the others.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    ISSUED = "issued", _("Issued")
    DELETED = "deleted", _("Deleted")
    RESTORED = "restored", _("Restored")


class Change(models.Model):
    """One line of a record's history: who did what to which field, and when.

    Every kind of record (plans, items, inspections, circulars, registries …) writes here through
    sanitation.core.history, so one table and one page partial show any record's history.
    `field` is a model field name or a key the model labels in its HISTORY_LABELS."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices, default=ChangeAction.CHANGED)
    field = models.CharField(_("field"), max_length=50, blank=True)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="change_of_record")]

    def __str__(self) -> str:
        return f"{self.content_type.model}:{self.object_id} · {self.action} {self.field}"

    def _model_field(self):
        model = self.content_type.model_class()
        if model is None or not self.field or self.field in getattr(model, "HISTORY_LABELS", {}):
            return None
        try:
            return model._meta.get_field(self.field)
        except FieldDoesNotExist:  # a field since removed
            return None

    @property
    def field_label(self) -> str:
        if not self.field:
            return ""
        model = self.content_type.model_class()
        labels = getattr(model, "HISTORY_LABELS", {}) if model else {}
        if self.field in labels:
            return str(labels[self.field])
        field = self._model_field()
        if field is None:
            return self.field
        # A reverse relation (an item's milestones) has no verbose_name of its own.
        return str(getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name_plural)

    def _shown(self, value: str) -> str:
        field = self._model_field()
        if field is not None and getattr(field, "choices", None):
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField) and value in ("0", "1"):
            return str(_("yes") if value == "1" else _("no"))
        return value

    @property
    def old_shown(self) -> str:
        return self._shown(self.old)

    @property
    def new_shown(self) -> str:
        return self._shown(self.new)

    @property
    def old_and_new(self) -> tuple[str, str]:
        return self.old_shown, self.new_shown


class LiveManager(models.Manager):
    """The records in use: a soft-deleted one is gone for every page, list, form and report."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    """A record that may have been part of an issued circular is never removed from the database:
    deleting it (sanitation.core.deletion) stamps when and by whom, and it disappears from the
    default manager. Foreign keys still reach it (Django follows them with the base manager), so an
    issued circular, a report's data or a history line keeps pointing at what it was about."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # The first manager is the default one: what every page, form and related set sees.
    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
