"""Writing circulars: drafts, issuing with a gap-free number, corrections. Each write leaves its
lines in the circular's history (created, each draft field changed, issued with the number)."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from sanitation.core.history import record, record_changes
from sanitation.core.models import ChangeAction

from .models import Circular, CircularStatus, DocumentIssuer, IssuedCircularError, NumberCounter
from .rendering import renderer

DRAFT_FIELDS = (
    "kind",
    "title",
    "recipients",
    "body",
    "attachments",
    "signature",
    "written_on",
    "note",
    "copy_to",
    "printed_by",
    "printed_on",
    "figures",
)
# Charts and tables our own code made for a report: its regeneration is in the body's history already.
UNRECORDED_FIELDS = frozenset({"figures"})


def _acting(user):
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def circular_create(*, issuer: DocumentIssuer, user=None, **fields) -> Circular:
    fields.setdefault("signature", issuer.signature)
    fields.setdefault("printed_by", issuer.printed_by)
    circular = Circular(issuer=issuer, created_by=_acting(user), **fields)
    circular.full_clean()
    circular.save()
    record(circular, by=user, action=ChangeAction.CREATED, new=circular.title)
    return circular


@transaction.atomic
def circular_update(circular: Circular, *, user=None, **fields) -> Circular:
    """Change a draft's fields; one history line per field that changed. The draft is read again
    under a lock, so the lines compare with what is stored, whatever the caller's copy holds (a
    ModelForm puts the posted values on its instance before the service runs)."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {', '.join(sorted(unknown))}")
    locked = Circular.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=circular.pk)
    if locked.is_issued:
        raise IssuedCircularError(locked.number)
    before = {name: getattr(locked, name) for name in fields}
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    record_changes(
        locked,
        {name: (before[name], getattr(locked, name)) for name in fields if name not in UNRECORDED_FIELDS},
        by=user,
    )
    return locked


def _next_number(issuer: DocumentIssuer, year: int) -> int:
    """Take the issuer's next number for the year. The counter row stays locked until the
    caller's transaction ends, so concurrent issues wait in line and a rollback gives the
    number back: gap-free and never twice."""
    NumberCounter.objects.get_or_create(issuer=issuer, year=year)
    counter = NumberCounter.objects.select_for_update().get(issuer=issuer, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def circular_issue(circular_id: int, *, user=None) -> Circular:
    """Number the draft, render its PDF and freeze it. Raises IssuedCircularError if it
    was issued already (a retried task or a second click gets no second number)."""
    circular = Circular.objects.select_for_update().select_related("issuer").get(pk=circular_id)
    if circular.status != CircularStatus.DRAFT:
        raise IssuedCircularError(circular.number)
    today = timezone.localdate()
    circular.written_on = circular.written_on or today
    circular.printed_on = circular.printed_on or circular.written_on
    circular.year = circular.written_on.year
    circular.sequence = _next_number(circular.issuer, circular.year)
    circular.number = circular.issuer.format_number(circular.year, circular.sequence)
    rendered = renderer().render(circular.content())
    circular.pdf_sha256 = hashlib.sha256(rendered.data).hexdigest()
    circular.pdf_pages = rendered.pages
    circular.status = CircularStatus.ISSUED
    circular.issued_at = timezone.now()
    circular.issued_by = user
    # Server-made file name: the number's parts and the hash, nothing a user typed.
    name = f"{circular.issuer.unit.code}-{circular.year}-{circular.sequence:04d}-{circular.pdf_sha256[:12]}.pdf"
    circular.pdf.save(name, ContentFile(rendered.data), save=False)
    try:
        circular.save()
    except Exception:
        circular.pdf.delete(save=False)  # no file without its row
        raise
    record(circular, by=user, action=ChangeAction.ISSUED, field="number", new=circular.number)
    if circular.supersedes_id:
        # The corrected circular's history names the correction that replaces it.
        record(circular.supersedes, by=user, action=ChangeAction.ISSUED, field="corrected_by", new=circular.number)
    return circular


@transaction.atomic
def circular_correct(circular: Circular, *, user=None) -> Circular:
    """A correction of an issued circular: a new draft with its text, pointing back at it."""
    fields = {name: getattr(circular, name) for name in DRAFT_FIELDS}
    fields.update(written_on=None, printed_on=None)
    correction = circular_create(issuer=circular.issuer, user=user, **fields)
    correction.supersedes = circular
    correction.save(update_fields=["supersedes"])
    record(correction, by=user, field="supersedes", new=circular)
    return correction
