"""Recording an inspection: its scores under the scheme in force, its problems and photos,
and a rectification for every problem. Deleting one (soft) takes its rectifications with it;
restoring it brings them back. Each of these writes is in the inspection's history."""

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from classification.indicators import district_of
from sanitation.core.deletion import restore, soft_delete
from sanitation.core.history import record
from sanitation.core.history import shown as history_shown
from sanitation.core.models import ChangeAction

from .access import inspections_deletable_by, sites_inspectable_by
from .models import (
    Assignment,
    CriterionScore,
    Inspection,
    InspectionKind,
    Photo,
    Problem,
    ProblemType,
    Rectification,
    Severity,
)
from .photos import photos_staged_by
from .rectifications import rectification_open
from .schemes import criteria_for, deduction_rules_of, scheme_in_force

# A phone's clock may run a little ahead of the server's.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")
LOCATION_DECIMALS = Decimal("0.000001")

NO_SCHEME_IN_FORCE = _(
    "No assessment scheme of the district is in force on %(date)s; the office must put one in force."
)
NOT_PERMITTED = _("You may not record inspections of this site.")
STREET_INACTIVE = _("The site's street is no longer in use; inspections cannot be recorded for it.")
IN_THE_FUTURE = _("The time of the inspection is in the future; check the phone's clock.")
UNKNOWN_KIND = _("Unknown kind of inspection.")
UNKNOWN_SEVERITY = _("Unknown severity.")
PROBLEM_TYPE_INACTIVE = _("The problem type %(name)s is no longer in use.")
UNKNOWN_CRITERION = _("The criterion scored is not one of the scheme's criteria for this kind of site.")
SCORE_OUT_OF_RANGE = _("The score of %(name)s must be between 0 and %(points)s.")
NO_CRITERIA_FOR_KIND = _("The scheme in force has no criteria for this kind of site.")
LATITUDE_OUT_OF_RANGE = _("The latitude must be between -90 and 90.")
LONGITUDE_OUT_OF_RANGE = _("The longitude must be between -180 and 180.")
ACCURACY_INVALID = _("The location accuracy must be a number of metres, 0 or more.")
PHOTO_TWICE = _("The same photo is attached to two problems.")
NOT_PERMITTED_TO_DELETE = _("You may not delete or restore this inspection.")
DELETED_WITH_INSPECTION = _("Deleted with its inspection.")


@dataclass(frozen=True)
class ProblemInput:
    problem_type: ProblemType
    note: str = ""
    severity: str | None = None  # None: the problem type's usual severity
    photos: Sequence[Photo] = field(default_factory=tuple)  # staged photos of the recording user


def _decimal(value, message, params=None) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(message, code="invalid", params=params) from error
    if not number.is_finite():
        raise ValidationError(message, code="invalid", params=params)
    return number


def _coordinate(value, *, limit: int, message) -> Decimal | None:
    if value is None or value == "":
        return None
    number = _decimal(value, message)
    if not -limit <= number <= limit:
        raise ValidationError(message, code="out_of_range")
    return number.quantize(LOCATION_DECIMALS, rounding=ROUND_HALF_UP)


def _accuracy(value) -> int | None:
    if value is None or value == "":
        return None
    number = _decimal(value, ACCURACY_INVALID)
    if number < 0:
        raise ValidationError(ACCURACY_INVALID, code="invalid")
    return int(number.to_integral_value(rounding=ROUND_HALF_UP))


def _when(inspected_at: datetime.datetime | None, now: datetime.datetime) -> datetime.datetime:
    if inspected_at is None:
        return now
    if timezone.is_naive(inspected_at):
        # A naive time from a form is wall-clock time where the office is.
        inspected_at = timezone.make_aware(inspected_at)
    if inspected_at > now + FUTURE_TOLERANCE:
        raise ValidationError(IN_THE_FUTURE, code="future")
    return inspected_at


def _typed_scores(scores: Mapping | None, criteria) -> dict[int, Decimal]:
    by_id = {c.pk: c for c in criteria}
    typed = {}
    for key, value in (scores or {}).items():
        if value is None or value == "":
            continue  # left blank: computed from the problems
        criterion_id = key.pk if hasattr(key, "pk") else key
        try:
            criterion = by_id[int(criterion_id)]
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(UNKNOWN_CRITERION, code="unknown_criterion") from error
        params = {"name": criterion.name, "points": format(criterion.points.normalize(), "f")}
        number = _decimal(value, SCORE_OUT_OF_RANGE, params)
        if not 0 <= number <= criterion.points:
            raise ValidationError(SCORE_OUT_OF_RANGE, code="score_range", params=params)
        typed[criterion.pk] = number.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    return typed


def _check_problems(problems: Sequence[ProblemInput]) -> list[int]:
    photo_ids: list[int] = []
    for problem in problems:
        if not problem.problem_type.is_active:
            raise ValidationError(
                PROBLEM_TYPE_INACTIVE, code="problem_type_inactive", params={"name": problem.problem_type.name}
            )
        if problem.severity is not None and problem.severity not in Severity.values:
            raise ValidationError(UNKNOWN_SEVERITY, code="severity")
        photo_ids.extend(photo.pk for photo in problem.photos)
    if len(photo_ids) != len(set(photo_ids)):
        raise ValidationError(PHOTO_TWICE, code="photo_twice")
    return photo_ids


@transaction.atomic
def inspection_record(
    *,
    site,
    recorded_by,
    inspected_at: datetime.datetime | None = None,
    kind: str = InspectionKind.DAILY,
    inspectors: Sequence = (),
    scores: Mapping[int, Decimal] | None = None,
    problems: Sequence[ProblemInput] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    accuracy_m: int | None = None,
    note: str = "",
    submission_key: uuid.UUID | None = None,
) -> Inspection:
    """Record an inspection (atomic). `scores` maps criterion id → score the inspector typed;
    a criterion not in it scores its points less the deductions of the problems found.
    Only criteria that apply to the site's kind count. Each problem opens a rectification
    for the site's street. The day's assignment of the site, if any, is marked done.
    A `submission_key` already used by the same recorder returns that inspection unchanged."""
    if submission_key is not None:
        # Deleted since or not, the form sent again is the inspection it already made.
        earlier = Inspection.all_objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.recorded_by_id != recorded_by.pk:
                raise ValidationError(NOT_PERMITTED, code="not_permitted")
            return earlier
    now = timezone.now()
    inspected_at = _when(inspected_at, now)
    if kind not in InspectionKind.values:
        raise ValidationError(UNKNOWN_KIND, code="kind")
    latitude = _coordinate(latitude, limit=90, message=LATITUDE_OUT_OF_RANGE)
    longitude = _coordinate(longitude, limit=180, message=LONGITUDE_OUT_OF_RANGE)
    accuracy_m = _accuracy(accuracy_m)
    photo_ids = _check_problems(problems)

    if not sites_inspectable_by(recorded_by).filter(pk=site.pk).exists():
        raise ValidationError(NOT_PERMITTED, code="not_permitted")
    street = site.street
    if not street.is_active:
        raise ValidationError(STREET_INACTIVE, code="street_inactive")
    day = timezone.localdate(inspected_at)
    scheme = scheme_in_force(district=district_of(street), on=day)
    if scheme is None:
        raise ValidationError(NO_SCHEME_IN_FORCE, code="no_scheme", params={"date": day})
    criteria = criteria_for(scheme=scheme, site_kind=site.kind)
    if not criteria:
        raise ValidationError(NO_CRITERIA_FOR_KIND, code="no_criteria")
    typed = _typed_scores(scores, criteria)
    rules = deduction_rules_of(scheme=scheme)

    try:
        # A savepoint: a second copy of the form racing this one waits on the unique key,
        # then finds the first one's inspection (committed by then) instead of failing.
        with transaction.atomic():
            inspection = Inspection.objects.create(
                site=site,
                street=street,
                scheme=scheme,
                kind=kind,
                inspected_at=inspected_at,
                recorded_by=recorded_by,
                latitude=latitude,
                longitude=longitude,
                location_accuracy_m=accuracy_m,
                note=note.strip(),
                problem_count=len(problems),
                submission_key=submission_key,
            )
    except IntegrityError:
        if submission_key is None:
            raise
        return Inspection.all_objects.get(submission_key=submission_key)
    photos = {photo.pk: photo for photo in photos_staged_by(user=recorded_by, ids=photo_ids)}
    inspector_ids = dict.fromkeys([recorded_by.pk, *(getattr(u, "pk", u) for u in inspectors)])
    # A new inspection has no inspectors yet: one insert, no diffing against existing rows.
    Inspection.inspectors.through.objects.bulk_create(
        Inspection.inspectors.through(inspection_id=inspection.pk, user_id=user_id) for user_id in inspector_ids
    )

    counted = {c.pk for c in criteria}
    rows = []
    for given in problems:
        rule = rules.get(given.problem_type.pk)
        # A rule on a criterion that does not apply to this kind of site takes nothing off.
        applies = rule is not None and rule.criterion_id in counted
        rows.append(
            Problem(
                inspection=inspection,
                problem_type=given.problem_type,
                severity=given.severity or given.problem_type.severity,
                note=given.note.strip()[:500],
                criterion=rule.criterion if applies else None,
                deduction=rule.points if applies else Decimal(0),
            )
        )
    Problem.objects.bulk_create(rows)
    attached = []
    for problem, given in zip(rows, problems, strict=True):
        for photo in given.photos:
            photos[photo.pk].problem = problem
            attached.append(photos[photo.pk])
    if attached:
        Photo.objects.bulk_update(attached, ["problem"])

    deductions: dict[int, Decimal] = {}
    for problem in rows:
        if problem.criterion_id:
            deductions[problem.criterion_id] = deductions.get(problem.criterion_id, Decimal(0)) + problem.deduction
    criterion_scores = []
    for criterion in criteria:
        entered = criterion.pk in typed
        score = typed[criterion.pk] if entered else max(Decimal(0), criterion.points - deductions.get(criterion.pk, 0))
        criterion_scores.append(
            CriterionScore(inspection=inspection, criterion=criterion, score=score, entered=entered)
        )
    CriterionScore.objects.bulk_create(criterion_scores)

    inspection.score = sum((s.score for s in criterion_scores), Decimal(0))
    inspection.max_score = sum((c.points for c in criteria), Decimal(0))
    inspection.percent = (inspection.score * 100 / inspection.max_score).quantize(TWO_DECIMALS, rounding=ROUND_HALF_UP)
    inspection.save(update_fields=["score", "max_score", "percent"])

    for problem in rows:
        rectification_open(problem=problem)
    Assignment.objects.filter(site=site, day=day, inspection__isnull=True).update(inspection=inspection)
    record(
        inspection,
        by=recorded_by,
        action=ChangeAction.CREATED,
        new=inspection_summary(inspection, [problem.problem_type.name for problem in rows]),
    )
    return inspection


def inspection_summary(inspection: Inspection, problem_names: Sequence[str]) -> str:
    """One line for the history: the site, the score and the problems found. Written in the
    recorder's language and kept as written, like the rest of a history line."""
    if problem_names:
        problems = ngettext("%(count)d problem: %(types)s", "%(count)d problems: %(types)s", len(problem_names)) % {
            "count": len(problem_names),
            "types": "、".join(problem_names),
        }
    else:
        problems = gettext("no problems")
    return gettext("%(site)s, score %(score)s of %(max_score)s (%(percent)s%%), %(problems)s") % {
        "site": inspection.site.name,
        "score": history_shown(inspection.score),
        "max_score": history_shown(inspection.max_score),
        "percent": history_shown(inspection.percent),
        "problems": problems,
    }


def _deletable(inspection: Inspection, by) -> Inspection:
    """The inspection locked, if `by` (None: the system) may delete or restore it."""
    door = Inspection.all_objects.all() if by is None else inspections_deletable_by(by)
    locked = door.select_for_update(of=("self",)).filter(pk=inspection.pk).first()
    if locked is None:
        raise ValidationError(NOT_PERMITTED_TO_DELETE, code="not_permitted")
    return locked


@transaction.atomic
def inspection_delete(*, inspection: Inspection, by=None, reason: str = "") -> Inspection:
    """Delete an inspection (soft) with its rectifications: none of them counts any more in a list,
    a score or a report still to be made. An issued circular keeps what it said."""
    locked = _deletable(inspection, by)
    if locked.deleted_at is not None:
        return locked
    soft_delete(locked, by=by, reason=reason)
    going = list(
        Rectification.objects.select_for_update(of=("self",)).filter(problem__inspection=locked).order_by("pk")
    )
    for rectification in going:
        soft_delete(rectification, by=by, reason=str(DELETED_WITH_INSPECTION))
    # One stamp for the inspection and what went with it: restoring brings back exactly those, not
    # a rectification deleted on its own before.
    Rectification.all_objects.filter(pk__in=[r.pk for r in going]).update(deleted_at=locked.deleted_at)
    inspection.deleted_at, inspection.deleted_by = locked.deleted_at, locked.deleted_by
    return locked


@transaction.atomic
def inspection_restore(*, inspection: Inspection, by=None) -> Inspection:
    """Bring a deleted inspection back, with the rectifications deleted with it."""
    locked = _deletable(inspection, by)
    if locked.deleted_at is None:
        return locked
    returning = list(
        Rectification.all_objects.select_for_update(of=("self",))
        .filter(problem__inspection=locked, deleted_at=locked.deleted_at)
        .order_by("pk")
    )
    restore(locked, by=by)
    for rectification in returning:
        restore(rectification, by=by)
    inspection.deleted_at = inspection.deleted_by = None
    return locked
