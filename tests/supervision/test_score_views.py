"""Scores and subsidies pages: the ranking of a period with its numbers, the red and black lists,
previous and next periods, the allocation's working line by line; scoping and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from supervision import scores, subsidies
from supervision.models import Inspection, RankAward, ScoreSource, SourceKind, StreetSourceScore, SubsidyRule
from supervision.score_views import NO_SCHEME, NO_SUBSIDY_RULE
from tests.factories import SiteFactory

MONDAY = datetime.date(2026, 3, 9)
SUNDAY = datetime.date(2026, 3, 15)
SCORES = reverse("supervision:scores")
SUBSIDIES = reverse("supervision:subsidies")


@pytest.fixture(autouse=True)
def _english(english, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _inspect(site, day: datetime.date, percent, *, scheme, by) -> Inspection:
    return Inspection.objects.create(
        site=site,
        street=site.street,
        scheme=scheme,
        inspected_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))),
        recorded_by=by,
        percent=Decimal(percent),
        score=Decimal(percent),
        max_score=100,
    )


@pytest.fixture
def week(scheme, sites, clerk, streets):
    """JD1: estate 100 and 90 (same site, mean 95), school 95 → 95; third party 95 → total 95.
    JD2: estate 60 → 60; third party 70 → total 63.33. JD3: nothing."""
    jd1, jd2, _jd3 = streets
    _inspect(sites[0], MONDAY, 100, scheme=scheme, by=clerk)
    _inspect(sites[0], MONDAY + datetime.timedelta(days=2), 90, scheme=scheme, by=clerk)
    _inspect(sites[1], MONDAY + datetime.timedelta(days=3), 95, scheme=scheme, by=clerk)
    _inspect(sites[3], SUNDAY, 60, scheme=scheme, by=clerk)
    third_party = ScoreSource.objects.get(scheme=scheme, kind=SourceKind.THIRD_PARTY)
    for street, score in ((jd1, 95), (jd2, 70)):
        StreetSourceScore.objects.create(
            source=third_party, street=street, period_start=MONDAY, period_end=SUNDAY, score=Decimal(score)
        )


def _cells(page: str, street) -> list[str]:
    """The text of the cells of a street's ranking row."""
    row = page.split(f'data-street="{street.pk}">', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1].split("</td>", 1)[0] for cell in row.split("<td")[1:]]
    return [cell.replace("<strong>", "").replace("</strong>", "").strip() for cell in cells]


def test_scores_rank_the_streets_with_their_numbers(client, clerk, week, streets):
    jd1, jd2, jd3 = streets
    client.force_login(clerk)
    response = client.get(SCORES, {"kind": "week", "day": "2026-03-11"})
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == (MONDAY, SUNDAY)
    ranking = [row["score"] for row in response.context["rows"]]
    assert [(s.street, s.rank, s.total) for s in ranking] == [
        (jd1, 1, Decimal("95.00")),
        (jd2, 2, Decimal("63.33")),
        (jd3, None, None),
    ]
    page = response.content.decode()
    # rank, street, inspections, sites, inspection score, 第三方测评, 群众评议, total, list
    assert _cells(page, jd1)[:8] == ["1", jd1.display_name, "3", "2", "95.00", "95.00", "—", "95.00"]
    assert _cells(page, jd2)[:8] == ["2", jd2.display_name, "1", "1", "60.00", "70.00", "—", "63.33"]
    assert _cells(page, jd3)[:8] == ["—", jd3.display_name, "0", "0", "—", "—", "—", "—"]
    assert page.index(f'data-street="{jd1.pk}"') < page.index(f'data-street="{jd2.pk}"')
    assert "第三方测评" in page and "群众评议" in page
    red = page.split('id="red-list"', 1)[1].split("</section>", 1)[0]
    black = page.split('id="black-list"', 1)[1].split("</section>", 1)[0]
    assert jd1.display_name in red and jd2.display_name not in red
    assert jd2.display_name in black and jd1.display_name not in black
    # Links to the weeks before and after.
    assert "day=2026-03-08" in page and "day=2026-03-16" in page and "kind=week" in page


def test_a_month_counts_only_sources_reported_for_the_month(client, clerk, week, streets):
    jd1, jd2, _jd3 = streets
    client.force_login(clerk)
    response = client.get(SCORES, {"kind": "month", "day": "2026-03-20"})
    assert (response.context["start"], response.context["end"]) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 31),
    )
    totals = {row["score"].street: row["score"].total for row in response.context["rows"]}
    assert totals[jd1] == Decimal("95.00") and totals[jd2] == Decimal("60.00")
    page = response.content.decode()
    assert "day=2026-02-28" in page and "day=2026-04-01" in page


def test_scores_default_to_the_current_week(client, leader, scheme, streets):
    client.force_login(leader)
    response = client.get(SCORES)
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == scores.week_of(timezone.localdate())
    assert response.context["kind"] == "week"


def test_nonsense_parameters_fall_back_to_the_defaults(client, clerk, scheme, streets):
    client.force_login(clerk)
    response = client.get(SCORES, {"kind": "decade", "day": "yesterday"})
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == scores.week_of(timezone.localdate())


def test_without_a_scheme_the_page_says_so(client, clerk, district, streets):
    client.force_login(clerk)
    page = client.get(SCORES, {"kind": "week", "day": "2026-03-11"}).content.decode()
    assert escape(str(NO_SCHEME) % {"day": "2026-03-15"}) in page
    assert 'id="red-list"' not in page


def test_a_street_sees_the_district_ranking(client, street_user, week, streets):
    client.force_login(street_user)
    response = client.get(SCORES, {"kind": "week", "day": "2026-03-11"})
    assert [row["score"].street for row in response.context["rows"]] == streets


def test_another_district_sees_its_own_streets_only(client, outsider, week, streets):
    client.force_login(outsider)
    response = client.get(SCORES, {"kind": "week", "day": "2026-03-11"})
    assert response.context["district"].code == "B"
    page = response.content.decode()
    assert all(street.display_name not in page for street in streets)


def _query_count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_scores_queries_do_not_grow_with_inspections(client, clerk, scheme, sites, streets):
    client.force_login(clerk)
    params = {"kind": "week", "day": "2026-03-11"}
    _inspect(sites[0], MONDAY, 80, scheme=scheme, by=clerk)
    small = _query_count(client, SCORES, params)
    for site in sites:
        for offset in range(3):
            _inspect(site, MONDAY + datetime.timedelta(days=offset), 70 + offset, scheme=scheme, by=clerk)
    SiteFactory(street=streets[2], name="新增小区")
    assert _query_count(client, SCORES, params) == small


# Subsidies ---------------------------------------------------------------------------------------


@pytest.fixture
def rule(district):
    rule = SubsidyRule.objects.create(
        district=district,
        year=2026,
        title="2026年垃圾分类奖补办法",
        pool=Decimal("100000"),
        pool_min_score=Decimal("60"),
        black_list_deduction=Decimal("5000"),
    )
    RankAward.objects.create(rule=rule, rank=1, amount=Decimal("20000"))
    RankAward.objects.create(rule=rule, rank=1, from_bottom=True, amount=Decimal("-10000"))
    return rule


def test_subsidies_show_every_working_line(client, leader, week, rule, streets):
    jd1, jd2, jd3 = streets
    client.force_login(leader)
    response = client.get(SUBSIDIES, {"kind": "quarter", "day": "2026-03-11"})
    assert response.status_code == 200
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    assert (response.context["start"], response.context["end"]) == (start, end)
    page = response.content.decode()
    assert "2026年垃圾分类奖补办法" in page
    allocation = subsidies.subsidy_allocate(rule=rule, start=start, end=end)
    # The quarter has no third-party scores: JD1 95, JD2 60 from the inspections alone.
    lines = {line.street: line for line in allocation.lines}
    assert (lines[jd1].pool_share, lines[jd1].award, lines[jd1].total) == (
        Decimal("61290.32"),
        Decimal("20000"),
        Decimal("81290.32"),
    )
    assert (lines[jd2].pool_share, lines[jd2].deduction, lines[jd2].total) == (
        Decimal("38709.68"),
        Decimal("15000"),
        Decimal("23709.68"),
    )
    for line in allocation.lines:
        assert line.working
        for step in line.working:
            assert escape(str(step)) in page
    assert "81,290.32" in page and "23,709.68" in page
    assert 'id="allocation-total">105,000.00<' in page
    assert jd3.display_name in page


def test_subsidies_without_a_rule_say_so(client, clerk, scheme, streets):
    client.force_login(clerk)
    page = client.get(SUBSIDIES, {"kind": "quarter", "day": "2026-03-11"}).content.decode()
    assert escape(str(NO_SUBSIDY_RULE) % {"year": 2026}) in page
    assert 'id="allocation"' not in page


def test_subsidies_default_to_the_current_quarter(client, clerk, rule, scheme):
    client.force_login(clerk)
    response = client.get(SUBSIDIES)
    assert response.context["kind"] == "quarter"
    assert (response.context["start"], response.context["end"]) == scores.period_bounds("quarter", timezone.localdate())


def test_another_district_does_not_see_the_rule(client, outsider, rule, week):
    client.force_login(outsider)
    page = client.get(SUBSIDIES, {"kind": "quarter", "day": "2026-03-11"}).content.decode()
    assert "2026年垃圾分类奖补办法" not in page
