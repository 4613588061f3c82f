"""Street scores for a period: site means, the sources' weights, ranks, red and black lists."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sanitation.organisations.models import Unit, UnitKind
from supervision.models import Inspection, ScoreSource, SourceKind, StreetSourceScore
from supervision.scores import (
    BLACK,
    RED,
    period_bounds,
    previous_period,
    red_black_lists,
    street_scores,
)
from tests.factories import SiteFactory, UnitFactory, district_with_streets
from tests.supervision.conftest import scheme_build

MONDAY = datetime.date(2026, 3, 9)
SUNDAY = datetime.date(2026, 3, 15)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def inspect(site, when: datetime.datetime, percent, *, scheme, by) -> Inspection:
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


def source(scheme, kind) -> ScoreSource:
    return ScoreSource.objects.get(scheme=scheme, kind=kind)


def source_score(scheme, kind, street, score, start=MONDAY, end=SUNDAY) -> StreetSourceScore:
    return StreetSourceScore.objects.create(
        source=source(scheme, kind), street=street, period_start=start, period_end=end, score=Decimal(score)
    )


def by_street(scores):
    return {s.street.code: s for s in scores}


def test_street_score_averages_sites_once_each_and_weighs_sources(scheme, streets, sites, clerk):
    jd1, jd2, jd3 = streets
    estate1, school1, _restaurant1, estate2 = sites[0], sites[1], sites[2], sites[3]
    # The estate visited twice (80, 100 → 90) counts once beside the school (70): (90 + 70) / 2 = 80.
    inspect(estate1, at(MONDAY), 80, scheme=scheme, by=clerk)
    inspect(estate1, at(SUNDAY, 23, 30), 100, scheme=scheme, by=clerk)  # last minutes of the period
    inspect(school1, at(datetime.date(2026, 3, 11)), 70, scheme=scheme, by=clerk)
    inspect(estate2, at(datetime.date(2026, 3, 12)), 90, scheme=scheme, by=clerk)
    # Outside the period on both sides (local time): not counted.
    inspect(school1, at(MONDAY - datetime.timedelta(days=1), 23, 59), 10, scheme=scheme, by=clerk)
    inspect(school1, at(SUNDAY + datetime.timedelta(days=1), 0, 0), 10, scheme=scheme, by=clerk)
    source_score(scheme, SourceKind.THIRD_PARTY, jd1, 95)
    source_score(scheme, SourceKind.THIRD_PARTY, jd2, 90)
    source_score(scheme, SourceKind.PUBLIC_OPINION, jd2, 80)
    # Another period's third-party score is not this week's.
    source_score(scheme, SourceKind.THIRD_PARTY, jd3, 99, start=MONDAY, end=MONDAY + datetime.timedelta(days=30))

    scores = street_scores(district=scheme.district, start=MONDAY, end=SUNDAY)

    assert [s.street.code for s in scores] == ["A-JD2", "A-JD1", "A-JD3"]
    one, two, three = by_street(scores)["A-JD1"], by_street(scores)["A-JD2"], by_street(scores)["A-JD3"]
    assert (one.inspections, one.sites_inspected, one.inspection_score) == (3, 2, Decimal("80.00"))
    # Public opinion missing: (60 × 80 + 30 × 95) / 90.
    assert one.total == Decimal("85.00")
    assert one.source_scores == {
        source(scheme, SourceKind.INSPECTION): Decimal("80.00"),
        source(scheme, SourceKind.THIRD_PARTY): Decimal("95.00"),
        source(scheme, SourceKind.PUBLIC_OPINION): None,
    }
    # (60 × 90 + 30 × 90 + 10 × 80) / 100.
    assert (two.inspections, two.sites_inspected, two.inspection_score, two.total) == (
        1,
        1,
        Decimal("90.00"),
        Decimal("89.00"),
    )
    assert (three.inspections, three.sites_inspected, three.inspection_score, three.total) == (0, 0, None, None)
    assert [(s.rank, s.listing) for s in scores] == [(1, ""), (2, BLACK), (None, "")]


def test_street_score_rounds_half_up_to_two_places(scheme, streets, sites, clerk):
    # Sites at 80.01 and 80.00: mean 80.005 → 80.01.
    inspect(sites[0], at(MONDAY), "80.01", scheme=scheme, by=clerk)
    inspect(sites[1], at(MONDAY), "80.00", scheme=scheme, by=clerk)
    # Only inspections: the total is the inspection score itself.
    [one] = [s for s in street_scores(district=scheme.district, start=MONDAY, end=SUNDAY) if s.rank]
    assert (one.inspection_score, one.total) == (Decimal("80.01"), Decimal("80.01"))


def four_streets(scheme, streets, totals):
    jd4 = UnitFactory(code="A-JD4", name="A第4街道", kind=UnitKind.STREET, parent=scheme.district)
    for street, total in zip([*streets, jd4], totals, strict=True):
        source_score(scheme, SourceKind.THIRD_PARTY, street, total)
    return street_scores(district=scheme.district, start=MONDAY, end=SUNDAY)


def test_ties_share_a_rank_and_lists_follow_the_scheme(scheme, streets):
    scheme.red_top, scheme.red_min_score = 2, Decimal(88)
    scheme.black_bottom, scheme.black_max_score = 1, Decimal(75)
    scheme.save()

    scores = four_streets(scheme, streets, [85, 90, 70, 85])

    assert [(s.street.code, s.total, s.rank) for s in scores] == [
        ("A-JD2", Decimal("90.00"), 1),
        ("A-JD1", Decimal("85.00"), 2),
        ("A-JD4", Decimal("85.00"), 2),
        ("A-JD3", Decimal("70.00"), 4),
    ]
    red, black = red_black_lists(scores)
    # Rank 2 is within the top 2 but 85 < 88: only the first is red; the last place is black.
    assert [s.street.code for s in red] == ["A-JD2"]
    assert [s.street.code for s in black] == ["A-JD3"]
    assert [s.listing for s in scores] == [RED, "", "", BLACK]


def test_black_list_takes_any_score_below_the_threshold_but_never_a_red_street(scheme, streets):
    scheme.red_top, scheme.red_min_score = 3, Decimal(60)
    scheme.black_bottom, scheme.black_max_score = 2, Decimal(86)
    scheme.save()

    scores = four_streets(scheme, streets, [85, 90, 70, 84])

    # Red: top 3 at ≥ 60. Black: places 3 and 4 of 4, or any below 86, unless red.
    red, black = red_black_lists(scores)
    assert [(s.street.code, s.rank) for s in red] == [("A-JD2", 1), ("A-JD1", 2), ("A-JD4", 3)]
    assert [(s.street.code, s.rank) for s in black] == [("A-JD3", 4)]


def test_scheme_in_force_on_the_last_day_sets_the_weights(scheme, streets, sites, clerk):
    version2 = scheme_build(scheme.district, version=2, in_force_from=datetime.date(2026, 3, 12))
    ScoreSource.objects.filter(scheme=version2, kind=SourceKind.INSPECTION).update(weight=50)
    ScoreSource.objects.filter(scheme=version2, kind=SourceKind.THIRD_PARTY).update(weight=50)
    inspect(sites[0], at(MONDAY), 80, scheme=scheme, by=clerk)
    source_score(version2, SourceKind.THIRD_PARTY, streets[0], 90)
    source_score(scheme, SourceKind.THIRD_PARTY, streets[0], 40)  # version 1's source: not used

    one = by_street(street_scores(district=scheme.district, start=MONDAY, end=SUNDAY))["A-JD1"]

    # (50 × 80 + 50 × 90) / 100.
    assert one.total == Decimal("85.00")
    assert {s.scheme_id for s in one.source_scores} == {version2.pk}


def test_without_a_scheme_inspections_alone_rank_and_nobody_is_listed(clerk):
    other = district_with_streets("C", streets=2)
    c1, c2 = Unit.objects.get(code="C-JD1"), Unit.objects.get(code="C-JD2")
    scheme_c = scheme_build(other, in_force_from=datetime.date(2026, 6, 1))  # not yet in force in March
    inspect(SiteFactory(street=c1), at(MONDAY), 50, scheme=scheme_c, by=clerk)
    inspect(SiteFactory(street=c2), at(MONDAY), 70, scheme=scheme_c, by=clerk)

    scores = street_scores(district=other, start=MONDAY, end=SUNDAY)

    assert [(s.street.code, s.total, s.rank, s.listing, s.source_scores) for s in scores] == [
        ("C-JD2", Decimal("70.00"), 1, "", {}),
        ("C-JD1", Decimal("50.00"), 2, "", {}),
    ]


def test_every_street_of_the_district_and_only_of_it(scheme, streets, sites, clerk, other_district):
    inactive = UnitFactory(code="A-JD9", name="A旧街道", kind=UnitKind.STREET, parent=scheme.district, is_active=False)
    merged = UnitFactory(code="A-JD8", name="A并入街道", kind=UnitKind.STREET, parent=scheme.district, is_active=False)
    inspect(SiteFactory(street=merged), at(MONDAY), 75, scheme=scheme, by=clerk)
    inspect(SiteFactory(street=Unit.objects.get(code="B-JD1")), at(MONDAY), 100, scheme=scheme, by=clerk)

    scores = street_scores(district=scheme.district, start=MONDAY, end=SUNDAY)

    codes = [s.street.code for s in scores]
    # The inactive street with an inspection in the period stays; the one without data goes.
    assert codes == ["A-JD8", "A-JD1", "A-JD2", "A-JD3"]
    assert inactive.code not in codes
    assert by_street(scores)["A-JD8"].total == Decimal("75.00")


def populate(scheme, clerk, streets, *, sites_per_street: int, visits: int):
    for street in streets:
        source_score(scheme, SourceKind.THIRD_PARTY, street, 88)
        for _ in range(sites_per_street):
            site = SiteFactory(street=street)
            for v in range(visits):
                inspect(site, at(MONDAY + datetime.timedelta(days=v)), 70 + v, scheme=scheme, by=clerk)


def test_queries_do_not_grow_with_streets_or_inspections(scheme, streets, clerk):
    populate(scheme, clerk, streets[:1], sites_per_street=1, visits=1)
    with CaptureQueriesContext(connection) as small:
        street_scores(district=scheme.district, start=MONDAY, end=SUNDAY)
    more = [
        UnitFactory(code=f"A-JD{s}", name=f"A第{s}街道", kind=UnitKind.STREET, parent=scheme.district)
        for s in range(4, 10)
    ]
    populate(scheme, clerk, [*streets[1:], *more], sites_per_street=4, visits=3)
    with CaptureQueriesContext(connection) as large:
        scores = street_scores(district=scheme.district, start=MONDAY, end=SUNDAY)
    assert len(scores) == 9
    assert len(large) == len(small) <= 5


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        ("week", datetime.date(2026, 3, 11), (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))),
        ("week", datetime.date(2026, 3, 15), (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))),
        ("month", datetime.date(2028, 2, 10), (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))),
        ("quarter", datetime.date(2026, 5, 20), (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))),
        ("quarter", datetime.date(2026, 12, 31), (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))),
        ("year", datetime.date(2026, 7, 1), (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))),
    ],
)
def test_period_bounds(kind, day, bounds):
    assert period_bounds(kind, day) == bounds


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        ("week", datetime.date(2026, 1, 1), (datetime.date(2025, 12, 22), datetime.date(2025, 12, 28))),
        ("month", datetime.date(2026, 1, 15), (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))),
        ("month", datetime.date(2026, 3, 31), (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))),
        ("quarter", datetime.date(2026, 2, 1), (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))),
        ("year", datetime.date(2026, 7, 1), (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))),
    ],
)
def test_previous_period(kind, day, bounds):
    assert previous_period(kind, day) == bounds


def test_unknown_period_kind_is_refused():
    with pytest.raises(ValueError):
        period_bounds("fortnight", MONDAY)


def test_a_caller_that_found_no_scheme_passes_none(scheme, streets, sites, clerk):
    inspect(sites[0], at(MONDAY), 80, scheme=scheme, by=clerk)
    source_score(scheme, SourceKind.THIRD_PARTY, streets[0], 95)

    with CaptureQueriesContext(connection) as queries:
        scores = street_scores(district=scheme.district, start=MONDAY, end=SUNDAY, scheme=None)

    # No scheme looked up, no sources read: the inspections alone.
    assert [(s.street.code, s.total, s.rank, s.listing) for s in scores] == [
        ("A-JD1", Decimal("80.00"), 1, ""),
        ("A-JD2", None, None, ""),
        ("A-JD3", None, None, ""),
    ]
    assert len(queries) == 2
