"""Subsidies: the pool shared by score, awards and deductions by rank, the black list, the working."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sanitation.organisations.models import UnitKind
from supervision.models import Inspection, RankAward, ScoreSource, SourceKind, StreetSourceScore, SubsidyRule
from supervision.subsidies import (
    AWARD_FROM_TOP,
    BLACK_LIST_DEDUCTION,
    DEDUCTION_FROM_BOTTOM,
    LINE_TOTAL,
    NEVER_NEGATIVE,
    NO_SCORE,
    POOL_BELOW_MINIMUM,
    POOL_SHARE,
    money,
    subsidy_allocate,
)
from tests.factories import SiteFactory, UnitFactory

START = datetime.date(2026, 3, 1)
END = datetime.date(2026, 3, 31)


@pytest.fixture
def rule(district):
    rule = SubsidyRule.objects.create(
        district=district,
        year=2026,
        title="A区2026年生活垃圾分类奖补",
        pool=Decimal(100000),
        pool_min_score=Decimal(60),
        black_list_deduction=Decimal(5000),
    )
    RankAward.objects.create(rule=rule, rank=1, amount=Decimal(20000))
    RankAward.objects.create(rule=rule, rank=1, from_bottom=True, amount=Decimal(-10000))
    return rule


def third_party(scheme, streets, totals):
    """Give each street a third-party score only, which is then its total."""
    source = ScoreSource.objects.get(scheme=scheme, kind=SourceKind.THIRD_PARTY)
    for street, total in zip(streets, totals, strict=True):
        if total is not None:
            StreetSourceScore.objects.create(
                source=source, street=street, period_start=START, period_end=END, score=Decimal(total)
            )


def lines_by_street(allocation):
    return {line.street.code: line for line in allocation.lines}


def test_money_has_thousands_separators_and_two_places():
    assert money(Decimal("1234567.891")) == "1,234,567.89"
    assert money(Decimal("0.005")) == "0.01"
    assert money(Decimal(-5000)) == "-5,000.00"


def test_pool_shared_by_score_with_awards_and_black_list(rule, scheme, streets):
    third_party(scheme, streets, ["92.50", "80.00", "61.00"])

    allocation = subsidy_allocate(rule=rule, start=START, end=END)

    one, two, three = (lines_by_street(allocation)[code] for code in ("A-JD1", "A-JD2", "A-JD3"))
    # Σ totals ≥ 60: 92.50 + 80.00 + 61.00 = 233.50.
    assert (one.score, one.rank, one.listing) == (Decimal("92.50"), 1, "red")
    assert (one.pool_share, one.award, one.deduction, one.total) == (
        Decimal("39614.56"),  # 100000 × 92.50 / 233.50 = 39614.561…
        Decimal("20000.00"),
        Decimal("0.00"),
        Decimal("59614.56"),
    )
    assert one.working == [
        POOL_SHARE % {"pool": "100,000.00", "score": "92.50", "sum": "233.50", "share": "39,614.56"},
        AWARD_FROM_TOP % {"rank": 1, "amount": "20,000.00"},
        LINE_TOTAL % {"share": "39,614.56", "award": "20,000.00", "deduction": "0.00", "total": "59,614.56"},
    ]
    assert (two.rank, two.listing, two.pool_share, two.award, two.deduction, two.total) == (
        2,
        "",
        Decimal("34261.24"),  # 100000 × 80 / 233.50 = 34261.241…
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("34261.24"),
    )
    # Last place: −10,000 by rank from the bottom and −5,000 for the black list.
    assert (three.rank, three.listing, three.pool_share, three.award, three.deduction, three.total) == (
        3,
        "black",
        Decimal("26124.20"),  # 100000 × 61 / 233.50 = 26124.197…
        Decimal("0.00"),
        Decimal("15000.00"),
        Decimal("11124.20"),
    )
    assert three.working == [
        POOL_SHARE % {"pool": "100,000.00", "score": "61.00", "sum": "233.50", "share": "26,124.20"},
        DEDUCTION_FROM_BOTTOM % {"rank": 1, "amount": "10,000.00"},
        BLACK_LIST_DEDUCTION % {"amount": "5,000.00"},
        LINE_TOTAL % {"share": "26,124.20", "award": "0.00", "deduction": "15,000.00", "total": "11,124.20"},
    ]
    assert allocation.total == sum(line.total for line in allocation.lines) == Decimal("105000.00")
    assert sum(line.pool_share for line in allocation.lines) == Decimal("100000.00")


def test_below_the_minimum_no_share_and_the_total_never_negative(rule, scheme, streets):
    third_party(scheme, streets, ["92.50", "80.00", "50.00"])

    allocation = subsidy_allocate(rule=rule, start=START, end=END)

    one, two, three = (lines_by_street(allocation)[code] for code in ("A-JD1", "A-JD2", "A-JD3"))
    # Only 92.50 and 80.00 reach 60: Σ = 172.50.
    assert one.pool_share == Decimal("53623.19")  # 100000 × 92.5 / 172.5 = 53623.188…
    assert two.pool_share == Decimal("46376.81")
    assert (three.pool_share, three.deduction, three.total) == (Decimal("0.00"), Decimal("15000.00"), Decimal("0.00"))
    assert three.working == [
        POOL_BELOW_MINIMUM % {"score": "50.00", "minimum": "60.00", "share": "0.00"},
        DEDUCTION_FROM_BOTTOM % {"rank": 1, "amount": "10,000.00"},
        BLACK_LIST_DEDUCTION % {"amount": "5,000.00"},
        LINE_TOTAL % {"share": "0.00", "award": "0.00", "deduction": "15,000.00", "total": "-15,000.00"},
        NEVER_NEGATIVE % {"total": "-15,000.00", "paid": "0.00"},
    ]
    assert [line.total for line in allocation.lines] == [Decimal("73623.19"), Decimal("46376.81"), Decimal("0.00")]
    assert allocation.total == Decimal("120000.00") == sum(line.total for line in allocation.lines)


def test_tied_last_places_both_count_as_last(rule, scheme, streets):
    third_party(scheme, streets, ["90.00", "70.00", "70.00"])

    allocation = subsidy_allocate(rule=rule, start=START, end=END)

    # Ranks 1, 2, 2: both streets at 70 are first from the bottom.
    assert [(line.street.code, line.rank, line.award, line.deduction) for line in allocation.lines] == [
        ("A-JD1", 1, Decimal("20000.00"), Decimal("0.00")),
        ("A-JD2", 2, Decimal("0.00"), Decimal("10000.00")),
        ("A-JD3", 2, Decimal("0.00"), Decimal("10000.00")),
    ]
    # 100000 × 90 / 230 = 39130.434…, × 70 / 230 = 30434.782…
    assert [line.total for line in allocation.lines] == [
        Decimal("59130.43"),
        Decimal("20434.78"),
        Decimal("20434.78"),
    ]
    assert allocation.total == Decimal("99999.99")


def test_a_street_without_a_score_gets_a_zero_line(rule, scheme, streets):
    third_party(scheme, streets, ["80.00", "70.00", None])

    allocation = subsidy_allocate(rule=rule, start=START, end=END)

    last = allocation.lines[-1]
    assert (last.street.code, last.score, last.rank, last.total) == ("A-JD3", None, None, Decimal("0.00"))
    assert last.working == [NO_SCORE % {"total": "0.00"}]
    # JD2 is the last of the ranked streets: 1 from the bottom (−10,000) and black-listed (−5,000).
    assert lines_by_street(allocation)["A-JD2"].deduction == Decimal("15000.00")


def test_scores_from_inspections_feed_the_pool(rule, scheme, streets, clerk):
    when = timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 0))
    for street, percent in zip(streets, [90, 80, 70], strict=True):
        site = SiteFactory(street=street)
        Inspection.objects.create(
            site=site,
            street=street,
            scheme=scheme,
            inspected_at=when,
            recorded_by=clerk,
            percent=percent,
            max_score=100,
        )

    allocation = subsidy_allocate(rule=rule, start=START, end=END)

    # Inspections alone (third-party and public opinion missing): totals 90, 80, 70, Σ 240.
    assert [line.pool_share for line in allocation.lines] == [
        Decimal("37500.00"),
        Decimal("33333.33"),
        Decimal("29166.67"),
    ]


def test_queries_do_not_grow_with_streets(rule, scheme, streets):
    third_party(scheme, streets, ["92.50", "80.00", "61.00"])
    with CaptureQueriesContext(connection) as small:
        subsidy_allocate(rule=rule, start=START, end=END)
    more = [
        UnitFactory(code=f"A-JD{s}", name=f"A第{s}街道", kind=UnitKind.STREET, parent=rule.district)
        for s in range(4, 12)
    ]
    third_party(scheme, more, [50 + s for s in range(8)])
    with CaptureQueriesContext(connection) as large:
        allocation = subsidy_allocate(rule=rule, start=START, end=END)
    assert len(allocation.lines) == 11
    assert len(large) == len(small)
