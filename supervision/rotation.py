"""The clerks' rotation: which sites each clerk inspects today.

Every site must be seen at least once in its interval (per site kind and district); problem
sites (an open rectification, or a last inspection under 80 %) at half of it. The daily quota
spreads the work: the sites that are due come first, then the ones coming due soonest fill
the day up, so the load does not pile up on the days many sites fall due together.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from classification.models import Site
from sanitation.organisations.models import PATH_SEPARATOR, Role, Unit, UnitKind, User

from .access import inspections_visible_to, rectifications_reviewable_by
from .models import OPEN_STATES, Assignment, Inspection, InspectionInterval, Rectification, RectificationState
from .scores import period_span

DEFAULT_INTERVAL_DAYS = 14  # when the district set no interval for a site kind
PROBLEM_BELOW_PERCENT = Decimal(80)

REASON_DUE = "due"
REASON_PROBLEM = "problem"
REASON_AHEAD = "ahead"


@dataclass(frozen=True)
class _Candidate:
    site_id: int
    street_id: int
    street_path: str
    name: str
    problem: bool
    interval: int  # days, already halved for a problem site
    due: datetime.date
    seen_on_day: bool  # already inspected on the day being planned


def district_clerks(*, district) -> list[User]:
    """Active users with a clerk membership anywhere in the district's tree, by id."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.CLERK,
            memberships__unit__path__startswith=district.path,
        )
        .distinct()
        .order_by("pk")
    )


def _day_assignments(*, district, day: datetime.date) -> list[Assignment]:
    return list(
        Assignment.objects.filter(
            day=day, site__street__path__startswith=district.path, site__deleted_at__isnull=True
        ).select_related("site", "site__street", "clerk", "inspection")
    )


def _candidates(*, district, day: datetime.date) -> list[_Candidate]:
    """Every site of the district with its interval, problem flag and due date, in two queries."""
    intervals = dict(InspectionInterval.objects.filter(district=district).values_list("site_kind", "days"))
    _since, until = period_span(day, day)
    # Inspections later in the day count: a site already seen today is not sent out again.
    latest = Inspection.objects.filter(site=OuterRef("pk"), inspected_at__lt=until).order_by("-inspected_at", "-id")
    rows = (
        Site.objects.filter(street__path__startswith=district.path)
        .annotate(
            last_at=Subquery(latest.values("inspected_at")[:1]),
            last_percent=Subquery(latest.values("percent")[:1]),
            has_open=Exists(Rectification.objects.filter(site=OuterRef("pk"), state__in=OPEN_STATES)),
        )
        .values("pk", "street_id", "street__path", "name", "kind", "last_at", "last_percent", "has_open")
    )
    candidates = []
    for row in rows:
        interval = intervals.get(row["kind"], DEFAULT_INTERVAL_DAYS)
        problem = row["has_open"] or (row["last_percent"] is not None and row["last_percent"] < PROBLEM_BELOW_PERCENT)
        if problem:
            interval = max(1, interval // 2)
        last_day = timezone.localtime(row["last_at"]).date() if row["last_at"] else None
        due = day if last_day is None else last_day + datetime.timedelta(days=interval)
        candidates.append(
            _Candidate(
                row["pk"], row["street_id"], row["street__path"], row["name"], problem, interval, due, last_day == day
            )
        )
    return candidates


def _chosen(candidates: list[_Candidate], *, day: datetime.date) -> list[tuple[_Candidate, str]]:
    """The due sites (most overdue first, problem sites first), then up to the quota the sites with
    the smallest share of their interval left, so spare visits spread over the district instead
    of going to the same problem site every other day."""
    quota = math.ceil(sum((Fraction(1, c.interval) for c in candidates), Fraction(0)))

    def order(c: _Candidate):
        return (c.due, not c.problem, c.street_path, c.name, c.site_id)

    due = sorted((c for c in candidates if c.due <= day), key=order)

    def share_left(c: _Candidate):
        return (Fraction((c.due - day).days, c.interval), *order(c))

    ahead = sorted((c for c in candidates if c.due > day and not c.seen_on_day), key=share_left)
    ahead = ahead[: max(0, quota - len(due))]
    return [(c, REASON_PROBLEM if c.problem else REASON_DUE) for c in due] + [(c, REASON_AHEAD) for c in ahead]


def _split(chosen: list[tuple[_Candidate, str]], clerks: list[User]) -> dict[int, User]:
    """site id → clerk: whole streets, biggest first, each to the clerk with the fewest sites so far."""
    by_street: dict[int, list[_Candidate]] = defaultdict(list)
    for candidate, _reason in chosen:
        by_street[candidate.street_id].append(candidate)
    load = {clerk.pk: 0 for clerk in clerks}
    clerk_of_site = {}
    for street_sites in sorted(by_street.values(), key=lambda sites: (-len(sites), sites[0].street_path)):
        clerk = min(clerks, key=lambda c: (load[c.pk], c.pk))
        load[clerk.pk] += len(street_sites)
        for candidate in street_sites:
            clerk_of_site[candidate.site_id] = clerk
    return clerk_of_site


@transaction.atomic
def assignments_plan(*, district, day: datetime.date) -> list[Assignment]:
    """Create (idempotently) and return the day's assignments of the district's clerks.

    Once a day has assignments in the district, the plan stands: later calls return those rows
    (the inspections done since would otherwise reshuffle the clerks' lists mid-day). A district
    without clerks gets no plan.
    """
    # Planners of one district wait for each other, so the second finds the first one's rows.
    list(Unit.objects.select_for_update().filter(pk=district.pk).values_list("pk", flat=True))
    existing = _day_assignments(district=district, day=day)
    if existing:
        return existing
    clerks = district_clerks(district=district)
    if not clerks:
        return []
    chosen = _chosen(_candidates(district=district, day=day), day=day)
    clerk_of_site = _split(chosen, clerks)
    Assignment.objects.bulk_create(
        [
            Assignment(day=day, site_id=candidate.site_id, clerk=clerk_of_site[candidate.site_id], reason=reason)
            for candidate, reason in chosen
        ],
        ignore_conflicts=True,
    )
    return _day_assignments(district=district, day=day)


@dataclass
class ClerkDay:
    day: datetime.date
    assignments: list  # Assignment rows, each with `done`
    awaiting_review: list  # Rectification rows, each with `awaiting_since`, longest waiting first
    inspections_done: list


def clerk_districts(*, clerk) -> list[Unit]:
    """The districts in which the user is a clerk."""
    prefixes = set()
    for unit_path in clerk.memberships.filter(role=Role.CLERK).values_list("unit__path", flat=True):
        parts = unit_path.split(PATH_SEPARATOR)[:-1]
        prefixes.update(PATH_SEPARATOR.join(parts[: i + 1]) + PATH_SEPARATOR for i in range(len(parts)))
    if not prefixes:
        return []
    return list(Unit.objects.filter(kind=UnitKind.DISTRICT, path__in=prefixes).order_by("path"))


def clerk_day(*, clerk, day: datetime.date, plan: bool = False) -> ClerkDay:
    """The clerk's sites for the day (done or not), the rectifications waiting for their
    re-inspection and the inspections they recorded that day. With `plan`, the day's
    assignments of the clerk's districts are made first if they do not exist yet."""
    if plan:
        for district in clerk_districts(clerk=clerk):
            assignments_plan(district=district, day=day)
    since, until = period_span(day, day)
    inspected_that_day = Inspection.objects.filter(
        site=OuterRef("site_id"), inspected_at__gte=since, inspected_at__lt=until
    )
    assignments = (
        Assignment.objects.filter(clerk=clerk, day=day, site__deleted_at__isnull=True)
        .select_related("site", "site__street", "inspection")
        .annotate(
            done=ExpressionWrapper(
                Q(inspection__isnull=False, inspection__deleted_at__isnull=True) | Exists(inspected_that_day),
                output_field=BooleanField(),
            )
        )
    )
    awaiting = (
        rectifications_reviewable_by(clerk)
        .filter(state=RectificationState.AWAITING_REVIEW)
        .select_related("site", "site__street", "unit", "problem__problem_type")
        .annotate(
            awaiting_since=Coalesce(
                Max("events__at", filter=Q(events__to_state=RectificationState.AWAITING_REVIEW)), F("opened_at")
            )
        )
        .order_by("awaiting_since", "pk")
    )
    done = (
        inspections_visible_to(clerk)
        .filter(recorded_by=clerk, inspected_at__gte=since, inspected_at__lt=until)
        .select_related("site", "street")
        .order_by("inspected_at", "pk")
    )
    return ClerkDay(day=day, assignments=list(assignments), awaiting_review=list(awaiting), inspections_done=list(done))
