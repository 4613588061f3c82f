"""Work on plan items: lead units acknowledge (签收) and report each month, assisting units
add their part, and units are reminded before a deadline (临近提醒) and after it (到期催办).

An item's percent is the lowest latest percent among its lead units (one that has not
reported counts as 0): an item led by two units is done when both say so.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sanitation.core.history import record
from sanitation.organisations.models import Unit, User

from .models import Acknowledgement, Item, ProgressReport, Reminder, ReminderKind
from .selectors import DUE_SOON_DAYS

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# What an attachment may be, told by its first bytes rather than its name.
ATTACHMENT_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


class ProgressError(Exception):
    """A report or acknowledgement that cannot be accepted; the message says why."""


def _involvement(item: Item, unit: Unit) -> str | None:
    if item.lead_units.filter(pk=unit.pk).exists():
        return "lead"
    if item.assisting_units.filter(pk=unit.pk).exists():
        return "assist"
    return None


def acknowledge(item: Item, unit: Unit, *, user=None) -> Acknowledgement:
    """A lead unit has received the item. Acknowledging twice keeps the first."""
    if _involvement(item, unit) != "lead":
        raise ProgressError(_("Only a lead unit acknowledges an item."))
    acknowledgement, _created = Acknowledgement.objects.get_or_create(item=item, unit=unit, defaults={"user": user})
    return acknowledgement


def attachment_check(upload: UploadedFile) -> None:
    """PDF, Word, Excel or a photo, by content, at most 10 MB."""
    suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if suffix not in ATTACHMENT_SIGNATURES:
        raise ProgressError(_("Attach a PDF, Word, Excel, JPEG or PNG file."))
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ProgressError(_("The attachment is larger than 10 MB."))
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(ATTACHMENT_SIGNATURES[suffix]):
        raise ProgressError(
            _("The attachment is not the kind of file its name says (.%(suffix)s).") % {"suffix": suffix}
        )


def month_of(day: date) -> date:
    return day.replace(day=1)


@transaction.atomic
def progress_report(
    item: Item,
    unit: Unit,
    *,
    text: str,
    percent: int,
    user=None,
    month: date | None = None,
    attachment: UploadedFile | None = None,
) -> ProgressReport:
    """A unit's report on an item for a month; reporting again in the same month replaces
    it. A lead unit's report moves the item's percent (and logs the change)."""
    involvement = _involvement(item, unit)
    if involvement is None:
        raise ProgressError(_("%(unit)s neither leads nor assists this item.") % {"unit": unit.name})
    if not 0 <= percent <= 100:
        raise ProgressError(_("The percent done is between 0 and 100."))
    if not text.strip():
        raise ProgressError(_("Say what was done."))
    if attachment is not None:
        attachment_check(attachment)
    month = month_of(month or timezone.localdate())
    if month > timezone.localdate():
        raise ProgressError(_("A report is about a month that has begun, not a future one."))
    report, _created = ProgressReport.objects.update_or_create(
        item=item,
        unit=unit,
        month=month,
        defaults={"text": text.strip(), "percent": percent, "is_lead": involvement == "lead", "created_by": user},
    )
    if attachment is not None:
        report.attachment_name = attachment.name[:200]
        report.attachment.save(attachment.name, attachment, save=False)
        report.save(update_fields=["attachment", "attachment_name"])
    if involvement == "lead":
        _item_percent_update(item, user)
    return report


def _item_percent_update(item: Item, user) -> None:
    """The lowest latest percent of the item's current lead units; one that has not
    reported counts as 0."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    leads = set(item.lead_units.values_list("pk", flat=True))
    latest = dict.fromkeys(leads, 0)
    reports = ProgressReport.objects.filter(item=item, unit__in=leads).order_by("month", "created_at")
    for unit_id, percent in reports.values_list("unit_id", "percent"):
        latest[unit_id] = percent
    percent = min(latest.values(), default=0)
    if percent == item.percent:
        return
    record(item, by=user, field="percent", old=item.percent, new=percent)
    item.percent = percent
    item.completed_on = timezone.localdate() if percent >= 100 else None
    item.save(update_fields=["percent", "completed_on"])


@dataclass
class ReminderRun:
    due_soon: int = 0
    overdue: int = 0
    emails: int = 0


@transaction.atomic  # a failed send rolls the records back, so the retry sends again
def reminders_send(today: date | None = None) -> ReminderRun:
    """Remind each lead unit of its unfinished items due within DUE_SOON_DAYS (临近提醒) and
    of those past their deadline (到期催办), once per item, unit, kind and deadline: running
    it twice a day, or again after a failure, sends nothing twice."""
    today = today or timezone.localdate()
    run = ReminderRun()
    unfinished = Item.objects.filter(percent__lt=100, deadline__isnull=False).prefetch_related("lead_units")
    windows = {
        ReminderKind.DUE_SOON: Q(deadline__gte=today, deadline__lte=today + timedelta(days=DUE_SOON_DAYS)),
        ReminderKind.OVERDUE: Q(deadline__lt=today),
    }
    messages = []
    for kind, window in windows.items():
        for item in unfinished.filter(window).select_related("plan"):
            for unit in item.lead_units.all():
                if not _reminder_record(item, unit, kind):
                    continue
                setattr(run, kind, getattr(run, kind) + 1)
                messages.extend(_reminder_mails(item, unit, kind))
    run.emails = send_mass_mail(messages, fail_silently=False) if messages else 0
    return run


def _reminder_record(item: Item, unit: Unit, kind: str) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(item=item, unit=unit, kind=kind, deadline=item.deadline)
    except IntegrityError:
        return False  # sent already for this deadline
    return True


def _reminder_mails(item: Item, unit: Unit, kind: str) -> list[tuple]:
    people = User.objects.filter(memberships__unit=unit, is_active=True).exclude(email="").distinct()
    addresses = [person.email for person in people]
    if not addresses:
        return []
    Reminder.objects.filter(item=item, unit=unit, kind=kind, deadline=item.deadline).update(recipients=len(addresses))
    if kind == ReminderKind.DUE_SOON:
        subject = _("Due on %(deadline)s: %(item)s") % {"deadline": item.deadline, "item": item.title}
    else:
        subject = _("Overdue since %(deadline)s: %(item)s") % {"deadline": item.deadline, "item": item.title}
    body = _("%(plan)s, item %(label)s%(item)s, led by %(unit)s. Please report its progress.") % {
        "plan": item.plan.title,
        "label": item.label,
        "item": item.title,
        "unit": unit.name,
    }
    return [(subject, body, None, addresses)]
