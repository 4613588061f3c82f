"""Writing ratings: registering facilities and enterprises, opening rounds, applications,
experts' scores, rating, revocation, and publishing a round's list as a circular.

Every write to a round's applications first locks the round row, so scoring or rating
never slips in beside a publication: once the list is published the round is frozen,
and only revocations still change it. Every write is in the history of what it changes
(core.Change): the registry entry, the round or the application.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.credit_code import credit_code_normalise
from sanitation.core.history import record, record_changes
from sanitation.core.models import ChangeAction
from sanitation.documents.models import Circular, IssuedCircularError
from sanitation.documents.services import circular_issue

from . import grading
from .models import (
    ApplicationStatus,
    Criterion,
    Enterprise,
    ExpertScore,
    Facility,
    Programme,
    RatingApplication,
    RatingRound,
    RatingScheme,
    RoundStatus,
    points_text,
)
from .publishing import round_list_circular

ROUND_PUBLISHED = _("The list of this round is published: its applications, scores and ratings no longer change.")
WRONG_SUBJECT = _("This round rates %(expected)s.")
WRONG_FACILITY_KIND = _("This round rates facilities of the kind “%(kind)s”; “%(name)s” is not one.")
OTHER_ORGANISATION = _("“%(name)s” belongs to another organisation's registry.")
ALREADY_APPLIED = _("“%(name)s” has applied in this round already.")
EXPERT_REQUIRED = _("Give the expert's name.")
UNKNOWN_CRITERION = _("“%(criterion)s” is not a criterion of this round's scheme.")
MISSING_CRITERIA = _("Give points for every criterion; missing: %(names)s.")
POINTS_ABOVE_MAX = _("%(criterion)s: at most %(max)s points, not %(points)s.")
POINTS_NEGATIVE = _("%(criterion)s: points cannot be negative.")
NOT_OPEN_FOR_SCORES = _("This application is %(status)s: it is no longer scored or rated.")
REASON_REQUIRED = _("Give the reason for the revocation.")
NOT_REVOCABLE = _("Only a rating, or an application not yet rated, can be revoked; this one is %(status)s.")
PENDING_APPLICATIONS = _("Rate every application before publishing the list (or revoke it); still open: %(names)s.")
NOTHING_RATED = _("No application of this round is rated: there is no list to publish.")
NO_ISSUER = _("%(unit)s has no document number prefix yet (公文 → issuers).")

SCORABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWING, ApplicationStatus.RATED, ApplicationStatus.FAILED)
PENDING = (ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWING)


class RatingError(Exception):
    """The change cannot be made; `problems` says why, in the user's language."""

    def __init__(self, *problems):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


# Registry ------------------------------------------------------------------------------


@transaction.atomic
def facility_save(facility: Facility, *, by=None) -> Facility:
    """Create or change a facility of the registry (checked, the operator's code normalised)."""
    facility.operator_credit_code = credit_code_normalise(facility.operator_credit_code)
    return _entry_save(facility, by=by)


@transaction.atomic
def enterprise_save(enterprise: Enterprise, *, by=None) -> Enterprise:
    """Create or change an enterprise of the registry; its credit code is unique there."""
    enterprise.credit_code = credit_code_normalise(enterprise.credit_code)
    return _entry_save(enterprise, by=by)


def _entry_save(entry: Facility | Enterprise, *, by):
    """Save a registry entry whose new values are set on it, and record what changed."""
    model = type(entry)
    stored = model.all_objects.filter(pk=entry.pk).first() if entry.pk else None
    entry.full_clean()
    entry.save()
    if stored is None:
        record(entry, by=by, action=ChangeAction.CREATED, new=entry.name)
        return entry
    # The organisation never changes through the pages: reading it would cost two queries.
    fields = [f.name for f in model._meta.concrete_fields if f.editable and not f.is_relation and not f.primary_key]
    record_changes(entry, {name: (getattr(stored, name), getattr(entry, name)) for name in fields}, by=by)
    return entry


# Rounds and applications -----------------------------------------------------------------


@transaction.atomic
def round_open(*, scheme: RatingScheme, year: int, title: str = "", by=None) -> RatingRound:
    rating_round = RatingRound(organisation=scheme.organisation, scheme=scheme, year=year, title=title)
    rating_round.title = title or round_default_title(scheme=scheme, year=year)
    rating_round.full_clean()
    rating_round.save()
    record(rating_round, by=by, action=ChangeAction.CREATED, new=rating_round.title)
    return rating_round


def round_default_title(*, scheme: RatingScheme, year: int) -> str:
    if scheme.programme == Programme.CREDIT:
        return f"{year}年度环卫行业企业信用评价"
    subject = {"incineration": "生活垃圾焚烧厂无害化", "landfill": "生活垃圾填埋场无害化"}.get(scheme.facility_kind)
    return f"{year}年度{subject or '环卫设施'}等级评价"


def _locked_open_round(round_id: int) -> RatingRound:
    rating_round = RatingRound.objects.select_for_update().select_related("scheme").get(pk=round_id)
    if rating_round.status != RoundStatus.OPEN:
        raise RatingError(ROUND_PUBLISHED)
    return rating_round


@transaction.atomic
def application_submit(
    *,
    rating_round: RatingRound,
    facility: Facility | None = None,
    enterprise: Enterprise | None = None,
    submitted_on: date | None = None,
    user=None,
) -> RatingApplication:
    """A facility (facility rounds) or an enterprise (credit rounds) applies in the round."""
    rating_round = _locked_open_round(rating_round.pk)
    scheme = rating_round.scheme
    subject = facility if scheme.programme == Programme.FACILITY else enterprise
    if subject is None or (facility is not None and enterprise is not None):
        expected = _("facilities") if scheme.programme == Programme.FACILITY else _("enterprises")
        raise RatingError(WRONG_SUBJECT % {"expected": expected})
    if subject.organisation_id != rating_round.organisation_id:
        raise RatingError(OTHER_ORGANISATION % {"name": subject.name})
    if facility is not None and scheme.facility_kind and facility.kind != scheme.facility_kind:
        raise RatingError(WRONG_FACILITY_KIND % {"kind": scheme.get_facility_kind_display(), "name": facility.name})
    # The round is locked: no other application of this subject can be added meanwhile.
    if rating_round.applications.filter(facility=facility, enterprise=enterprise).exists():
        raise RatingError(ALREADY_APPLIED % {"name": subject.name})
    application = RatingApplication.objects.create(
        round=rating_round,
        facility=facility,
        enterprise=enterprise,
        submitted_on=submitted_on or timezone.localdate(),
        created_by=user,
    )
    record(application, by=user, action=ChangeAction.CREATED, new=subject.name)
    return application


# What rating changes on an application, recorded field by field in its history.
RATING_FIELDS = ("status", "total", "grade", "rated_on", "valid_from", "valid_until")


def _rating_of(application: RatingApplication, *extra: str) -> dict:
    return {name: getattr(application, name) for name in (*RATING_FIELDS, *extra)}


def _rating_record(application: RatingApplication, before: dict, *, by) -> None:
    record_changes(application, {name: (old, getattr(application, name)) for name, old in before.items()}, by=by)


def _locked_scorable(application: RatingApplication) -> RatingApplication:
    _locked_open_round(application.round_id)
    application = RatingApplication.objects.select_for_update().get(pk=application.pk)
    if application.status not in SCORABLE:
        raise RatingError(NOT_OPEN_FOR_SCORES % {"status": application.get_status_display()})
    return application


def _clear_rating(application: RatingApplication) -> None:
    application.status = ApplicationStatus.REVIEWING
    application.total = application.rated_on = application.valid_from = application.valid_until = None
    application.grade = ""


@transaction.atomic
def expert_scores_record(
    *, application: RatingApplication, expert: str, scores: dict[Criterion | int, Decimal], user=None
) -> list[ExpertScore]:
    """One expert's points on every criterion of the scheme, each at most the criterion's
    maximum. Recording an expert again replaces the expert's points; a rated application
    goes back under review until it is rated again."""
    application = _locked_scorable(application)
    expert = " ".join((expert or "").split())
    if not expert:
        raise RatingError(EXPERT_REQUIRED)
    criteria = {criterion.pk: criterion for criterion in application.round.scheme.criteria.all()}
    points = _checked_points(criteria, scores)
    before = _rating_of(application)
    earlier = {s.criterion_id: s.points for s in application.scores.filter(expert=expert)}
    _clear_rating(application)
    application.save()
    _rating_record(application, before, by=user)
    record(
        application,
        by=user,
        field="scores",
        old=_points_text(expert, criteria, earlier) if earlier else "",
        new=_points_text(expert, criteria, points),
    )
    recorded = []
    for criterion_id, value in points.items():
        score, _created = ExpertScore.objects.update_or_create(
            application=application,
            expert=expert,
            criterion_id=criterion_id,
            defaults={"points": value, "recorded_by": user},
        )
        recorded.append(score)
    return recorded


def _points_text(expert: str, criteria: dict[int, Criterion], points: dict[int, Decimal]) -> str:
    """张工: 运行管理 38, 环境监测 27 …, as the history shows an expert's points."""
    given = [f"{criterion.name} {points_text(points[pk])}" for pk, criterion in criteria.items() if pk in points]
    return f"{expert}: {', '.join(given)}"


def _checked_points(criteria: dict[int, Criterion], scores: dict) -> dict[int, Decimal]:
    problems, points = [], {}
    for key, value in scores.items():
        criterion_id = getattr(key, "pk", key)
        criterion = criteria.get(criterion_id)
        if criterion is None:
            problems.append(UNKNOWN_CRITERION % {"criterion": key})
            continue
        value = Decimal(value)
        if value < 0:
            problems.append(POINTS_NEGATIVE % {"criterion": criterion.name})
        elif value > criterion.max_points:
            limits = {"criterion": criterion.name, "max": criterion.max_text, "points": points_text(value)}
            problems.append(POINTS_ABOVE_MAX % limits)
        points[criterion_id] = value
    missing = [criterion.name for pk, criterion in criteria.items() if pk not in points]
    if missing:
        problems.append(MISSING_CRITERIA % {"names": "、".join(missing)})
    if problems:
        raise RatingError(*problems)
    return points


@transaction.atomic
def application_rate(*, application: RatingApplication, on: date | None = None, user=None) -> RatingApplication:
    """Total and grade from the experts' scores. A grade is valid from the day of rating
    for the scheme's years (3 for facilities, 2 for credit in the demo schemes), up to the
    day before the same date that many years later."""
    application = _locked_scorable(application)
    before = _rating_of(application)
    scheme = RatingScheme.objects.prefetch_related("criteria", "thresholds").get(pk=application.round.scheme_id)
    try:
        application.total = grading.application_total(list(application.scores.all()), len(scheme.criteria.all()))
    except grading.GradingError as error:
        raise RatingError(*error.problems) from error
    application.grade = grading.grade_for(list(scheme.thresholds.all()), application.total)
    application.rated_on = on or timezone.localdate()
    if application.grade:
        application.status = ApplicationStatus.RATED
        application.valid_from = application.rated_on
        application.valid_until = grading.valid_until(application.rated_on, scheme.valid_years)
    else:
        application.status = ApplicationStatus.FAILED
        application.valid_from = application.valid_until = None
    application.save()
    _rating_record(application, before, by=user)
    return application


@transaction.atomic
def rating_revoke(*, application: RatingApplication, reason: str, user=None) -> RatingApplication:
    """撤销: a rating (published or not), or an application that will not be rated. The
    grade stays on record with who revoked it, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise RatingError(REASON_REQUIRED)
    RatingRound.objects.select_for_update().get(pk=application.round_id)
    application = RatingApplication.objects.select_for_update().get(pk=application.pk)
    if application.status not in (ApplicationStatus.RATED, *PENDING):
        raise RatingError(NOT_REVOCABLE % {"status": application.get_status_display()})
    before = _rating_of(application, "revocation_reason")
    application.status = ApplicationStatus.REVOKED
    application.revocation_reason = reason
    application.revoked_at = timezone.now()
    application.revoked_by = user
    application.save()
    _rating_record(application, before, by=user)
    return application


@transaction.atomic
def round_publish(*, rating_round: RatingRound, user=None, written_on: date | None = None) -> Circular:
    """Publish the round's list as ONE numbered circular (关于公布…结果的通知) and freeze the
    round. Publishing again (a double click, a retry) gives the circular already issued."""
    rating_round = (
        RatingRound.objects.select_for_update().select_related("scheme", "organisation").get(pk=rating_round.pk)
    )
    if rating_round.circular_id is None:
        pending = rating_round.applications.filter(status__in=PENDING).select_related("facility", "enterprise")
        if pending:
            raise RatingError(PENDING_APPLICATIONS % {"names": "、".join(a.subject.name for a in pending)})
        rated = list(
            rating_round.applications.filter(status=ApplicationStatus.RATED).select_related("facility", "enterprise")
        )
        if not rated:
            raise RatingError(NOTHING_RATED)
        issuer = getattr(rating_round.organisation, "document_issuer", None)
        if issuer is None:
            raise RatingError(NO_ISSUER % {"unit": rating_round.organisation.name})
        rating_round.circular = round_list_circular(
            rating_round=rating_round, rated=rated, issuer=issuer, user=user, written_on=written_on
        )
        rating_round.status = RoundStatus.PUBLISHED
        rating_round.published_at = timezone.now()
        rating_round.published_by = user
        rating_round.save()
    try:
        circular = circular_issue(rating_round.circular_id, user=user)
    except IssuedCircularError:
        return Circular.objects.get(pk=rating_round.circular_id)
    record(rating_round, by=user, action=ChangeAction.ISSUED, field="circular", new=circular.number)
    return circular
