"""The rectification workflow: 待整改 → 整改中 → 待复查 → 已销号, or 逾期 when the deadline
passes. Every change is an event (who, when, what, photos)."""

import datetime
from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.deletion import restore, soft_delete

from .access import rectifications_answerable_by, rectifications_reviewable_by
from .models import (
    Photo,
    Problem,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
)
from .photos import photos_attach, photos_staged_by

TRANSITION_NOT_ALLOWED = _("This cannot be done to a rectification that is %(state)s.")
ANSWER_TEXT_REQUIRED = _("Say what was done to put it right.")
SEND_BACK_REASON_REQUIRED = _("Say why the rectification is sent back.")
NOTE_TEXT_REQUIRED = _("Write the note.")
STALE = _("Someone else changed this rectification in the meantime; reload the page and try again.")
NOT_PERMITTED = _("You may not do this to this rectification.")
DEADLINE_IN_THE_PAST = _("The new deadline cannot be in the past.")
DEADLINE_MOVED = _("Deadline moved from %(old)s to %(new)s.")
INSPECTION_DELETED = _("Its inspection is deleted: restoring the inspection brings its rectifications back.")

State = RectificationState
# Where each action may start from.
STARTABLE = (State.PENDING, State.OVERDUE)
ANSWERABLE = (State.PENDING, State.IN_PROGRESS, State.OVERDUE)
REVIEWABLE = (State.AWAITING_REVIEW,)
# The deadline can pass on these; awaiting re-inspection is the office's turn, not the unit's.
CAN_BE_OVERDUE = (State.PENDING, State.IN_PROGRESS)


def rectification_open(*, problem: Problem) -> Rectification:
    """Open the rectification of a problem for the site's street, deadline by severity."""
    inspection = problem.inspection
    site = inspection.site
    day = timezone.localdate(inspection.inspected_at)
    # No savepoint inside inspection_record's transaction: two inserts per problem, nothing more.
    # A second opening of the same problem fails on the one-to-one constraint.
    with transaction.atomic(savepoint=False):
        rectification = Rectification.objects.create(
            problem=problem,
            unit_id=site.street_id,
            site=site,
            responsible_party=site.property_company,
            state=State.PENDING,
            deadline=day + datetime.timedelta(days=inspection.scheme.rectification_days(problem.severity)),
            opened_at=inspection.inspected_at,
        )
        RectificationEvent.objects.create(
            rectification=rectification,
            action=RectificationAction.OPEN,
            from_state="",
            to_state=State.PENDING,
            text=problem.note,
            actor=inspection.recorded_by,
            at=inspection.inspected_at,
        )
    return rectification


def _state_after_setback(deadline: datetime.date) -> str:
    return State.OVERDUE if deadline < timezone.localdate() else State.IN_PROGRESS


def _transition(
    *,
    rectification: Rectification,
    by,
    door: Callable[..., QuerySet],
    allowed_from: Sequence[str],
    action: str,
    to_state: Callable[[Rectification], str],
    text: str = "",
    photos: Sequence[Photo] = (),
    expected_version: int | None = None,
    changes: Callable[[Rectification], list[str]] | None = None,
) -> tuple[Rectification, RectificationEvent]:
    """Lock, check (scope, version, state), move, bump the version and write the event."""
    locked = door(by).select_for_update(of=("self",)).filter(pk=rectification.pk).first()
    if locked is None:
        raise ValidationError(NOT_PERMITTED, code="not_permitted")
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE, code="stale")
    if locked.state not in allowed_from:
        raise ValidationError(TRANSITION_NOT_ALLOWED, code="transition", params={"state": locked.get_state_display()})
    staged = photos_staged_by(user=by, ids=[photo.pk for photo in photos])
    from_state = locked.state
    fields = ["state", "version"]
    if changes is not None:
        fields += changes(locked)
    locked.state = to_state(locked)
    locked.version += 1
    locked.save(update_fields=fields)
    event = RectificationEvent.objects.create(
        rectification=locked,
        action=action,
        from_state=from_state,
        to_state=locked.state,
        text=text,
        actor=by,
        at=timezone.now(),
    )
    photos_attach(photos=staged, event=event)
    # The caller's instance follows, so a view can render it without reloading.
    for name in fields:
        setattr(rectification, name, getattr(locked, name))
    return locked, event


@transaction.atomic
def rectification_start(
    *, rectification: Rectification, by, text: str = "", expected_version: int | None = None
) -> Rectification:
    """The unit says it is working on it: 待整改 → 整改中. An overdue one stays 逾期 (its deadline
    has still passed); the event records that work started."""
    locked, _event = _transition(
        rectification=rectification,
        by=by,
        door=rectifications_answerable_by,
        allowed_from=STARTABLE,
        action=RectificationAction.START,
        to_state=lambda r: _state_after_setback(r.deadline),
        text=text.strip(),
        expected_version=expected_version,
    )
    return locked


@transaction.atomic
def rectification_answer(
    *,
    rectification: Rectification,
    by,
    text: str,
    photos: Sequence[Photo] = (),
    expected_version: int | None = None,
) -> Rectification:
    """The unit reports it done, with text and photos: → 待复查."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(ANSWER_TEXT_REQUIRED, code="text_required")
    locked, _event = _transition(
        rectification=rectification,
        by=by,
        door=rectifications_answerable_by,
        allowed_from=ANSWERABLE,
        action=RectificationAction.ANSWER,
        to_state=lambda r: State.AWAITING_REVIEW,
        text=text,
        photos=photos,
        expected_version=expected_version,
    )
    return locked


@transaction.atomic
def rectification_close(
    *,
    rectification: Rectification,
    by,
    text: str = "",
    photos: Sequence[Photo] = (),
    expected_version: int | None = None,
) -> Rectification:
    """A clerk re-inspected and accepts it: 待复查 → 已销号."""

    def close(locked: Rectification) -> list[str]:
        locked.closed_at = timezone.now()
        return ["closed_at"]

    locked, _event = _transition(
        rectification=rectification,
        by=by,
        door=rectifications_reviewable_by,
        allowed_from=REVIEWABLE,
        action=RectificationAction.CLOSE,
        to_state=lambda r: State.CLOSED,
        text=(text or "").strip(),
        photos=photos,
        expected_version=expected_version,
        changes=close,
    )
    return locked


@transaction.atomic
def rectification_send_back(
    *,
    rectification: Rectification,
    by,
    text: str,
    photos: Sequence[Photo] = (),
    deadline: datetime.date | None = None,
    expected_version: int | None = None,
) -> Rectification:
    """A clerk re-inspected and refuses it: 待复查 → 整改中 (or 逾期 if the deadline has passed).
    A new deadline, if given, is kept as a note event of its own."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(SEND_BACK_REASON_REQUIRED, code="text_required")
    if deadline is not None and deadline < timezone.localdate():
        raise ValidationError(DEADLINE_IN_THE_PAST, code="deadline_past")
    old_deadline = None

    def move_deadline(locked: Rectification) -> list[str]:
        nonlocal old_deadline
        if deadline is None or deadline == locked.deadline:
            return []
        old_deadline, locked.deadline = locked.deadline, deadline
        return ["deadline"]

    locked, event = _transition(
        rectification=rectification,
        by=by,
        door=rectifications_reviewable_by,
        allowed_from=REVIEWABLE,
        action=RectificationAction.SEND_BACK,
        to_state=lambda r: _state_after_setback(r.deadline),
        text=text,
        photos=photos,
        expected_version=expected_version,
        changes=move_deadline,
    )
    if old_deadline is not None:
        RectificationEvent.objects.create(
            rectification=locked,
            action=RectificationAction.NOTE,
            from_state=locked.state,
            to_state=locked.state,
            # Stored as written, in the language of the clerk who moved it.
            text=str(DEADLINE_MOVED) % {"old": old_deadline, "new": locked.deadline},
            actor=by,
            at=event.at,
        )
    return locked


@transaction.atomic
def rectification_note(
    *, rectification: Rectification, by, text: str, photos: Sequence[Photo] = ()
) -> RectificationEvent:
    """A remark by the unit or the office that changes nothing (a phone call, a partial fix)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(NOTE_TEXT_REQUIRED, code="text_required")
    pk = rectification.pk
    locked = (
        rectifications_answerable_by(by).filter(pk=pk).first() or rectifications_reviewable_by(by).filter(pk=pk).first()
    )
    if locked is None:
        raise ValidationError(NOT_PERMITTED, code="not_permitted")
    staged = photos_staged_by(user=by, ids=[photo.pk for photo in photos])
    event = RectificationEvent.objects.create(
        rectification=locked,
        action=RectificationAction.NOTE,
        from_state=locked.state,
        to_state=locked.state,
        text=text,
        actor=by,
        at=timezone.now(),
    )
    photos_attach(photos=staged, event=event)
    return event


@transaction.atomic
def rectifications_mark_overdue(*, today: datetime.date) -> int:
    """Mark every open rectification whose deadline is before `today` and that is not awaiting
    re-inspection as 逾期; return how many changed. Idempotent."""
    due = list(
        Rectification.objects.select_for_update()
        .filter(state__in=CAN_BE_OVERDUE, deadline__lt=today)
        .order_by("pk")
        .values_list("pk", "state")
    )
    if not due:
        return 0
    Rectification.objects.filter(pk__in=[pk for pk, _state in due]).update(
        state=State.OVERDUE, version=F("version") + 1
    )
    now = timezone.now()
    RectificationEvent.objects.bulk_create(
        RectificationEvent(
            rectification_id=pk,
            action=RectificationAction.OVERDUE,
            from_state=state,
            to_state=State.OVERDUE,
            actor=None,
            at=now,
        )
        for pk, state in due
    )
    return len(due)


# Deleting and restoring one rectification (the admin's; an inspection's go with it) ---------------


@transaction.atomic
def rectification_delete(*, rectification: Rectification, by=None, reason: str = "") -> None:
    """Delete one rectification (soft): it leaves the lists, the reports and the reminders."""
    soft_delete(Rectification.all_objects.select_for_update().get(pk=rectification.pk), by=by, reason=reason)


@transaction.atomic
def rectification_restore(*, rectification: Rectification, by=None) -> Rectification:
    """Bring a deleted rectification back; not one whose inspection is deleted (it would count
    without the inspection that found the problem)."""
    locked = (
        Rectification.all_objects.select_for_update(of=("self",))
        .select_related("problem__inspection")
        .get(pk=rectification.pk)
    )
    if locked.problem.inspection.deleted_at is not None:
        raise ValidationError(INSPECTION_DELETED, code="inspection_deleted")
    restore(locked, by=by)
    return locked
