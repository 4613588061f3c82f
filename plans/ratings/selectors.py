"""Reading ratings. Every queryset a user sees starts from one of the *_visible_to /
*_changeable_by doors below (plans.registry_access): readers of the registries see their
organisation's, everyone else nothing.

A rating counts once its round's list is published. The current rating of a facility or
an enterprise is its published, unrevoked rating valid today (the latest if several);
a rating is expiring or expired only if no later published rating renews it.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from sanitation.organisations.access import organisations_of
from sanitation.organisations.models import Unit

from ..registry_access import may_read_registries, registry_changeable_by, registry_visible_to
from .models import (
    ApplicationStatus,
    Enterprise,
    Facility,
    Programme,
    RatingApplication,
    RatingRound,
    RoundStatus,
)

EXPIRING_DAYS = 90


def organisations_readable_by(user) -> QuerySet[Unit]:
    return organisations_of(user) if may_read_registries(user) else Unit.objects.none()


def facilities_visible_to(user) -> QuerySet[Facility]:
    return registry_visible_to(Facility.objects.all(), user)


def facilities_changeable_by(user) -> QuerySet[Facility]:
    return registry_changeable_by(Facility.objects.all(), user)


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    return registry_visible_to(Enterprise.objects.all(), user)


def enterprises_changeable_by(user) -> QuerySet[Enterprise]:
    return registry_changeable_by(Enterprise.objects.all(), user)


def rounds_visible_to(user) -> QuerySet[RatingRound]:
    return registry_visible_to(RatingRound.objects.select_related("scheme", "circular"), user)


def rounds_changeable_by(user) -> QuerySet[RatingRound]:
    return registry_changeable_by(RatingRound.objects.select_related("scheme"), user)


def applications_visible_to(user) -> QuerySet[RatingApplication]:
    applications = RatingApplication.objects.select_related("round__scheme", "facility", "enterprise", "revoked_by")
    return registry_visible_to(applications, user, via="round__organisation")


def applications_changeable_by(user) -> QuerySet[RatingApplication]:
    applications = RatingApplication.objects.select_related("round__scheme", "facility", "enterprise")
    return registry_changeable_by(applications, user, via="round__organisation")


# Published ratings ------------------------------------------------------------------------


def published(applications: QuerySet[RatingApplication], *, programme: str | None = None) -> QuerySet:
    """Applications graded in a published round, revoked ones included."""
    applications = applications.filter(round__status=RoundStatus.PUBLISHED).exclude(grade="")
    if programme:
        applications = applications.filter(round__scheme__programme=programme)
    return applications


def _valid(applications: QuerySet[RatingApplication]) -> QuerySet[RatingApplication]:
    return applications.filter(status=ApplicationStatus.RATED, round__status=RoundStatus.PUBLISHED)


def _in(applications: QuerySet[RatingApplication], organisation) -> QuerySet[RatingApplication]:
    if isinstance(organisation, Unit):
        return applications.filter(round__organisation=organisation)
    return applications.filter(round__organisation__in=organisation)


def _not_renewed(applications: QuerySet[RatingApplication]) -> QuerySet[RatingApplication]:
    # facility_id = NULL never matches in SQL: each side only pairs ratings of one subject.
    renewals = _valid(RatingApplication.objects.all()).filter(
        Q(facility_id=OuterRef("facility_id")) | Q(enterprise_id=OuterRef("enterprise_id")),
        valid_until__gt=OuterRef("valid_until"),
    )
    return applications.filter(~Exists(renewals))


def _ratings(organisation) -> QuerySet[RatingApplication]:
    applications = RatingApplication.objects.select_related("round__scheme", "facility", "enterprise")
    return _not_renewed(_valid(_in(applications, organisation)))


def ratings_expiring(*, organisation, today: date, days: int = EXPIRING_DAYS) -> QuerySet[RatingApplication]:
    """Ratings ending within `days` from today (today included) that nothing renews yet.
    `organisation` is a Unit or a queryset of them."""
    return _ratings(organisation).filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=days))


def ratings_expired(*, organisation, today: date) -> QuerySet[RatingApplication]:
    """Ratings that ended before today and were not renewed."""
    return _ratings(organisation).filter(valid_until__lt=today)


def _current(today: date, **subject) -> QuerySet[RatingApplication]:
    return (
        _valid(RatingApplication.objects.filter(**subject))
        .filter(valid_from__lte=today, valid_until__gte=today)
        .order_by("-valid_from", "-pk")
    )


def with_current_rating(subjects: QuerySet, *, today: date) -> QuerySet:
    """Facilities or enterprises annotated with current_grade and current_valid_until."""
    current = _current(today, **{"facility" if subjects.model is Facility else "enterprise": OuterRef("pk")})
    return subjects.annotate(
        current_grade=Subquery(current.values("grade")[:1]),
        current_valid_until=Subquery(current.values("valid_until")[:1]),
    )


def rating_current(*, subject: Facility | Enterprise, today: date) -> RatingApplication | None:
    field = "facility" if isinstance(subject, Facility) else "enterprise"
    return _current(today, **{field: subject}).select_related("round").first()


def rating_history(subject: Facility | Enterprise) -> QuerySet[RatingApplication]:
    field = "facility" if isinstance(subject, Facility) else "enterprise"
    return (
        RatingApplication.objects.filter(**{field: subject})
        .select_related("round__scheme", "round__circular", "revoked_by")
        .order_by("-round__year", "-pk")
    )


# Pages -------------------------------------------------------------------------------------


def _applications_counted(**conditions) -> Coalesce:
    """The round's applications in use (RatingApplication's manager: a join would count deleted
    ones and those of a deleted facility or enterprise), as a subquery."""
    applications = RatingApplication.objects.filter(round=OuterRef("pk"), **conditions).order_by()
    counted = applications.values("round").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted), 0)


def rounds_by_programme(rounds: QuerySet[RatingRound]) -> dict[str, list[RatingRound]]:
    """Rounds with their counts of applications, rated and pending, per programme."""
    rounds = rounds.annotate(
        application_count=_applications_counted(),
        rated_count=_applications_counted(status=ApplicationStatus.RATED),
        pending_count=_applications_counted(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWING]),
    ).order_by("-year", "title")
    grouped = {programme: [] for programme in Programme.values}
    for rating_round in rounds:
        grouped[rating_round.scheme.programme].append(rating_round)
    return grouped


def round_applications(rating_round: RatingRound) -> list[RatingApplication]:
    """The round's applications with their experts counted, best grade first."""
    ranks = {t.grade: rank for rank, t in enumerate(rating_round.scheme.thresholds.order_by("-min_total"))}
    applications = rating_round.applications.select_related("facility", "enterprise").annotate(
        expert_count=Count("scores__expert", distinct=True)
    )
    return sorted(applications, key=lambda a: (ranks.get(a.grade, len(ranks)), a.status, a.subject.name))


def score_sheet(application: RatingApplication) -> list[dict]:
    """One row per expert: the points on each criterion (scheme order) and their sum."""
    criteria = list(application.round.scheme.criteria.all())
    points: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for score in application.scores.all():
        points[score.expert][score.criterion_id] = score.points
    return [
        {
            "expert": expert,
            "points": [by_criterion.get(criterion.pk) for criterion in criteria],
            "sum": sum(by_criterion.values(), Decimal(0)),
        }
        for expert, by_criterion in sorted(points.items())
    ]
