"""The clerks' rotation: every site within its interval, problem sites more often, streets kept
together, idempotent plans; and the clerk's day."""

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from classification.models import Site, SiteKind
from sanitation.organisations.models import Role, Unit
from supervision.models import (
    Assignment,
    Inspection,
    InspectionInterval,
    Problem,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
    Severity,
)
from supervision.rotation import (
    DEFAULT_INTERVAL_DAYS,
    REASON_AHEAD,
    REASON_DUE,
    REASON_PROBLEM,
    assignments_plan,
    clerk_day,
    clerk_districts,
)
from tests.factories import SiteFactory, district_with_streets, member

DAY = datetime.date(2026, 3, 20)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def inspect(site, when, percent, *, scheme, by) -> Inspection:
    return Inspection.objects.create(
        site=site,
        street=site.street,
        scheme=scheme,
        inspected_at=when,
        recorded_by=by,
        percent=Decimal(percent),
        score=Decimal(percent),
        max_score=100,
    )


def rectification(site, *, scheme, by, problem_types, state=RectificationState.PENDING, when=None):
    inspection = inspect(site, when or at(DAY - datetime.timedelta(days=30)), 95, scheme=scheme, by=by)
    problem = Problem.objects.create(
        inspection=inspection, problem_type=problem_types["overflowing"], severity=Severity.GENERAL
    )
    return Rectification.objects.create(
        problem=problem,
        unit=site.street,
        site=site,
        state=state,
        deadline=inspection.inspected_at.date() + datetime.timedelta(days=7),
        opened_at=inspection.inspected_at,
    )


def plan_of(rows):
    return {row.site.name: (row.clerk.username, row.reason) for row in rows}


def test_a_never_inspected_site_is_due_today(scheme, sites, clerk, outsider):
    rows = assignments_plan(district=scheme.district, day=DAY)

    assert len(rows) == 9
    assert {row.site for row in rows} == set(sites)
    assert {(row.day, row.clerk, row.reason) for row in rows} == {(DAY, clerk, REASON_DUE)}


def test_problem_sites_come_at_half_interval_and_due_sites_all_come(scheme, sites, clerk, problem_types):
    estate1, school1, restaurant1, estate2, school2 = sites[:5]
    for site in sites:
        inspect(site, at(datetime.date(2026, 3, 12)), 95, scheme=scheme, by=clerk)
    inspect(estate1, at(datetime.date(2026, 3, 12), 15), 70, scheme=scheme, by=clerk)  # last one < 80: 7 days
    rectification(restaurant1, scheme=scheme, by=clerk, problem_types=problem_types)  # open: 7 days
    school2_last = Inspection.objects.get(site=school2)
    school2_last.inspected_at = at(DAY - datetime.timedelta(days=DEFAULT_INTERVAL_DAYS))
    school2_last.save()

    rows = assignments_plan(district=scheme.district, day=DAY)

    # Quota ceil(7/14 + 2/7) = 1 ≤ 3 due: no site ahead of time. Estate 2 (due 26 March) stays home.
    assert plan_of(rows) == {
        estate1.name: ("clerk_a", REASON_PROBLEM),
        restaurant1.name: ("clerk_a", REASON_PROBLEM),
        school2.name: ("clerk_a", REASON_DUE),
    }
    assert estate2.name not in plan_of(rows)
    assert school1.name not in plan_of(rows)


def test_quota_is_filled_with_the_sites_coming_due_soonest(scheme, sites, clerk):
    InspectionInterval.objects.create(district=scheme.district, site_kind=SiteKind.SCHOOL, days=7)
    for site in sites:
        inspect(site, at(DAY - datetime.timedelta(days=2)), 95, scheme=scheme, by=clerk)
    soonest = sites[4]  # a school seen 5 days ago: due in 2 days
    Inspection.objects.filter(site=soonest).update(inspected_at=at(DAY - datetime.timedelta(days=5)))

    rows = assignments_plan(district=scheme.district, day=DAY)

    # Nothing due; quota ceil(6/14 + 3/7) = 1: the soonest due site, ahead of time.
    assert plan_of(rows) == {soonest.name: ("clerk_a", REASON_AHEAD)}


def test_a_site_inspected_earlier_today_is_not_sent_out_again(scheme, sites, clerk):
    InspectionInterval.objects.create(district=scheme.district, site_kind=SiteKind.MANAGED_ESTATE, days=1)
    for site in sites[1:]:
        inspect(site, at(DAY - datetime.timedelta(days=3)), 95, scheme=scheme, by=clerk)
    inspect(sites[0], at(DAY, 8), 95, scheme=scheme, by=clerk)  # an estate, due again tomorrow

    rows = assignments_plan(district=scheme.district, day=DAY)

    # Quota ceil(3/1 + 6/14) = 4: the two other estates are due, two more sites (all due in 11
    # days: the first street's first) come ahead of time, but not the estate seen this morning
    # although it comes due soonest.
    assert plan_of(rows) == {
        sites[3].name: ("clerk_a", REASON_DUE),
        sites[6].name: ("clerk_a", REASON_DUE),
        sites[1].name: ("clerk_a", REASON_AHEAD),
        sites[2].name: ("clerk_a", REASON_AHEAD),
    }


def test_a_second_call_returns_the_same_rows_and_creates_none(scheme, sites, clerk):
    first = assignments_plan(district=scheme.district, day=DAY)
    # Inspections since do not reshuffle the day's plan.
    inspect(sites[0], at(DAY, 9), 95, scheme=scheme, by=clerk)

    with CaptureQueriesContext(connection) as queries:
        second = assignments_plan(district=scheme.district, day=DAY)

    assert [row.pk for row in second] == [row.pk for row in first]
    assert Assignment.objects.count() == 9
    assert not [q for q in queries if q["sql"].startswith("INSERT")]


def test_a_district_without_clerks_gets_no_plan(scheme, sites, outsider):
    assert assignments_plan(district=scheme.district, day=DAY) == []
    assert not Assignment.objects.exists()


def test_two_clerks_get_disjoint_sets_with_streets_kept_together(scheme, sites, clerk, second_clerk, leader):
    retired = member(Unit.objects.get(code="A-FLB"), Role.CLERK, username="retired", is_active=False)
    street_clerk = member(Unit.objects.get(code="A-JD3"), Role.CLERK, username="street_clerk")

    rows = assignments_plan(district=scheme.district, day=DAY)

    by_clerk = defaultdict(set)
    streets_of = defaultdict(set)
    for row in rows:
        by_clerk[row.clerk.username].add(row.site.pk)
        streets_of[row.site.street.code].add(row.clerk.username)
    # Three streets of three sites among three clerks (a clerk membership on a street counts).
    assert set(by_clerk) == {clerk.username, second_clerk.username, street_clerk.username}
    assert retired.username not in by_clerk and leader.username not in by_clerk
    assert sum(len(s) for s in by_clerk.values()) == len(set().union(*by_clerk.values())) == 9
    # Streets by path go to the clerk with fewest sites so far, lowest id first.
    assert streets_of == {"A-JD1": {"clerk_a"}, "A-JD2": {"clerk_a2"}, "A-JD3": {"street_clerk"}}


def test_streets_are_balanced_biggest_first(scheme, sites, clerk, second_clerk):
    jd1, jd2, jd3 = (Unit.objects.get(code=f"A-JD{s}") for s in (1, 2, 3))
    for n in range(3):
        SiteFactory(street=jd3, name=f"JD3新小区{n}")  # JD3: 6 sites, the biggest

    rows = assignments_plan(district=scheme.district, day=DAY)

    counts = defaultdict(int)
    streets_of = defaultdict(set)
    for row in rows:
        counts[row.clerk.username] += 1
        streets_of[row.site.street_id].add(row.clerk.username)
    # JD3 (6) to clerk_a, then JD1 (3) and JD2 (3) to clerk_a2: 6 and 6.
    assert streets_of == {jd3.pk: {"clerk_a"}, jd1.pk: {"clerk_a2"}, jd2.pk: {"clerk_a2"}}
    assert dict(counts) == {"clerk_a": 6, "clerk_a2": 6}


def test_a_simulated_month_sees_every_site_within_its_interval(scheme, sites, clerk, problem_types):
    InspectionInterval.objects.create(district=scheme.district, site_kind=SiteKind.SCHOOL, days=7)
    InspectionInterval.objects.create(district=scheme.district, site_kind=SiteKind.RESTAURANT, days=4)
    estate1, school1, restaurant1, estate2, school2, restaurant2, estate3, school3, restaurant3 = sites
    # Problem sites: two inspected badly each time, one with a rectification open all month.
    bad = {restaurant1, school2}
    rectification(estate3, scheme=scheme, by=clerk, problem_types=problem_types, when=at(datetime.date(2026, 2, 25)))
    interval = {
        estate1: 14,
        estate2: 14,
        estate3: 7,
        school1: 7,
        school2: 3,
        school3: 7,
        restaurant1: 2,
        restaurant2: 4,
        restaurant3: 4,
    }
    first, last = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)

    reasons = defaultdict(list)
    day = first
    while day <= last:
        for row in assignments_plan(district=scheme.district, day=day):
            reasons[row.site].append(row.reason)
            row.inspection = inspect(row.site, at(day), 60 if row.site in bad else 95, scheme=scheme, by=row.clerk)
            row.save(update_fields=["inspection"])
        day += datetime.timedelta(days=1)

    for site in sites:
        dates = sorted(timezone.localtime(i.inspected_at).date() for i in site.inspections.all())
        gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
        assert max(gaps) <= interval[site], (site.name, dates)
        assert (last - dates[-1]).days < interval[site], (site.name, dates)
    # Never inspected before: everybody but the estate with the rectification is seen on day one.
    assert all(Inspection.objects.filter(site=s, inspected_at__date=first).exists() for s in sites if s != estate3)
    # Problem sites are sent more often than their clean twins.
    visits = {site: len(reasons[site]) for site in sites}
    assert visits[estate3] > max(visits[estate1], visits[estate2])
    assert visits[school2] > max(visits[school1], visits[school3])
    assert visits[restaurant1] > max(visits[restaurant2], visits[restaurant3])
    assert REASON_PROBLEM in reasons[restaurant1] and REASON_PROBLEM in reasons[estate3]
    assert REASON_PROBLEM not in reasons[estate1] + reasons[school1] + reasons[restaurant2]
    assert REASON_AHEAD in {reason for site_reasons in reasons.values() for reason in site_reasons}
    assert not Assignment.objects.filter(inspection__isnull=True).exists()


def district_of_size(code: str, *, sites_per_street: int, scheme, problem_types):
    district = district_with_streets(code, streets=3)
    member(Unit.objects.get(code=f"{code}-FLB"), Role.CLERK, username=f"clerk_{code}1")
    member(Unit.objects.get(code=f"{code}-FLB"), Role.CLERK, username=f"clerk_{code}2")
    InspectionInterval.objects.create(district=district, site_kind=SiteKind.SCHOOL, days=7)
    by = member(district, Role.CLERK, username=f"boss_{code}")
    for street in Unit.objects.filter(parent=district, kind="street"):
        for n in range(sites_per_street):
            site = SiteFactory(street=street, kind=SiteKind.SCHOOL if n % 2 else SiteKind.MANAGED_ESTATE)
            if n % 3 == 0:
                inspect(site, at(DAY - datetime.timedelta(days=n + 1)), 60 + n, scheme=scheme, by=by)
            if n % 4 == 0:
                rectification(site, scheme=scheme, by=by, problem_types=problem_types)
    return district


@pytest.mark.parametrize("sizes", [(2, 10)])
def test_plan_queries_do_not_grow_with_sites(scheme, problem_types, sizes):
    small_district = district_of_size("C", sites_per_street=sizes[0], scheme=scheme, problem_types=problem_types)
    large_district = district_of_size("D", sites_per_street=sizes[1], scheme=scheme, problem_types=problem_types)

    with CaptureQueriesContext(connection) as small:
        small_rows = assignments_plan(district=small_district, day=DAY)
    with CaptureQueriesContext(connection) as large:
        large_rows = assignments_plan(district=large_district, day=DAY)
    with CaptureQueriesContext(connection) as again:
        assignments_plan(district=large_district, day=DAY)

    sites = [Site.objects.filter(street__parent=d).count() for d in (small_district, large_district)]
    assert sites == [6, 30]
    # The first site of each street, inspected yesterday, is not due yet; no more sites are needed.
    assert (len(small_rows), len(large_rows)) == (3, 27)
    assert len(small) == len(large)
    assert len(again) < len(large)


# The clerk's day ----------------------------------------------------------------------------------


def answered(rect, *, by, when):
    rect.state = RectificationState.AWAITING_REVIEW
    rect.save()
    RectificationEvent.objects.create(
        rectification=rect,
        action=RectificationAction.ANSWER,
        from_state=RectificationState.PENDING,
        to_state=RectificationState.AWAITING_REVIEW,
        text="已整改",
        actor=by,
        at=when,
    )
    return rect


def test_clerk_day_lists_assignments_with_done_reviews_and_inspections(
    scheme, sites, clerk, second_clerk, street_user, outsider, problem_types
):
    rows = assignments_plan(district=scheme.district, day=DAY)
    mine = sorted((row for row in rows if row.clerk == clerk), key=lambda row: row.site.pk)
    # clerk_a has JD1 and JD3; second_clerk JD2.
    assert {row.site.street.code for row in mine} == {"A-JD1", "A-JD3"}
    done_by_me = inspect(mine[0].site, at(DAY, 9), 90, scheme=scheme, by=clerk)
    Assignment.objects.filter(pk=mine[0].pk).update(inspection=done_by_me)
    inspect(mine[1].site, at(DAY, 11), 85, scheme=scheme, by=second_clerk)  # done by somebody else
    inspect(mine[2].site, at(DAY - datetime.timedelta(days=1), 11), 85, scheme=scheme, by=clerk)  # yesterday
    late = inspect(sites[3], at(DAY, 16), 70, scheme=scheme, by=clerk)  # not assigned, still today's work

    older = answered(
        rectification(sites[0], scheme=scheme, by=clerk, problem_types=problem_types),
        by=street_user,
        when=at(DAY - datetime.timedelta(days=2)),
    )
    newer = answered(
        rectification(sites[4], scheme=scheme, by=clerk, problem_types=problem_types),
        by=street_user,
        when=at(DAY - datetime.timedelta(days=1)),
    )
    rectification(sites[5], scheme=scheme, by=clerk, problem_types=problem_types)  # still pending
    b_site = SiteFactory(street=Unit.objects.get(code="B-JD1"))
    answered(rectification(b_site, scheme=scheme, by=outsider, problem_types=problem_types), by=outsider, when=at(DAY))

    day = clerk_day(clerk=clerk, day=DAY)

    assert {row.site.pk: row.done for row in day.assignments} == {
        row.site.pk: (row is mine[0] or row is mine[1]) for row in mine
    }
    assert [r.pk for r in day.awaiting_review] == [older.pk, newer.pk]
    assert day.awaiting_review[0].awaiting_since == at(DAY - datetime.timedelta(days=2))
    assert [i.pk for i in day.inspections_done] == [done_by_me.pk, late.pk]


def test_clerk_day_can_make_the_plan_and_knows_the_clerks_districts(scheme, sites, clerk, second_clerk):
    assert clerk_districts(clerk=clerk) == [scheme.district]
    assert clerk_day(clerk=clerk, day=DAY).assignments == []

    day = clerk_day(clerk=clerk, day=DAY, plan=True)

    assert {row.site.street.code for row in day.assignments} == {"A-JD1", "A-JD3"}
    assert all(row.done is False for row in day.assignments)
    assert Assignment.objects.filter(day=DAY).count() == 9


def test_clerk_day_queries_do_not_grow_with_rows(scheme, sites, clerk, street_user, problem_types):
    assignments_plan(district=scheme.district, day=DAY)
    inspect(sites[0], at(DAY, 9), 90, scheme=scheme, by=clerk)
    answered(
        rectification(sites[1], scheme=scheme, by=clerk, problem_types=problem_types), by=street_user, when=at(DAY)
    )
    with CaptureQueriesContext(connection) as small:
        clerk_day(clerk=clerk, day=DAY)

    jd1 = Unit.objects.get(code="A-JD1")
    for n in range(10):
        site = SiteFactory(street=jd1, name=f"新小区{n}")
        Assignment.objects.create(day=DAY, site=site, clerk=clerk, reason=REASON_DUE)
        inspect(site, at(DAY, 12), 90, scheme=scheme, by=clerk)
        rect = rectification(site, scheme=scheme, by=clerk, problem_types=problem_types)
        answered(rect, by=street_user, when=at(DAY))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # a fresh user, as in a new request
    with CaptureQueriesContext(connection) as large:
        day = clerk_day(clerk=clerk, day=DAY)

    assert (len(day.assignments), len(day.awaiting_review), len(day.inspections_done)) == (19, 11, 11)
    assert len(large) == len(small)
