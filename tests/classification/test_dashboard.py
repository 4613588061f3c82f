import re
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classification import rates
from classification.models import (
    Campaign,
    CampaignPhase,
    CollectionRecord,
    FacilityKind,
    PhaseKind,
    Site,
    SiteKind,
    SortingFacility,
)
from plans import indicators
from plans.models import Chapter, Indicator, Item, Plan
from sanitation.organisations.models import Role, Unit, UnitKind

from ..factories import PASSWORD, SiteFactory, UnitFactory, member

URL = "/sorting/"
MARCH = {"from": "2026-01-01", "to": "2026-03-31", "month": "2026-03"}


def record(street: Unit, day: date, *, recyclable="0", kitchen="0", other="0", site=None):
    return CollectionRecord.objects.create(
        street=street,
        site=site,
        collected_on=day,
        recyclable_t=Decimal(recyclable),
        kitchen_t=Decimal(kitchen),
        other_t=Decimal(other),
    )


@pytest.fixture
def data_a(sites_a):
    street_1, street_2 = Unit.objects.get(code="A-JD1"), Unit.objects.get(code="A-JD2")
    Site.objects.filter(pk=sites_a[0].pk).update(households=500, covered_since=date(2026, 2, 1), is_demonstration=True)
    Site.objects.filter(pk=sites_a[1].pk).update(households=1000)
    SiteFactory(street=street_2, name="A写字楼", kind=SiteKind.OFFICE_BUILDING, covered_since=date(2026, 1, 1))
    SortingFacility.objects.create(street=street_1, kind=FacilityKind.CONTAINER, count=6, recorded_on=date(2026, 1, 1))
    SortingFacility.objects.create(street=street_2, kind=FacilityKind.DROP_OFF, count=3, recorded_on=date(2026, 1, 1))
    record(street_1, date(2026, 3, 5), recyclable="2", kitchen="3", other="5")  # 30.00%
    record(street_2, date(2026, 3, 5), kitchen="1", other="3")  # 25.00%
    record(street_1, date(2026, 2, 10), kitchen="1", other="1")  # February: 50.00%
    record(street_1, date(2025, 12, 31), kitchen="9", other="1")  # last year, outside the period
    return street_1, street_2


@pytest.fixture
def data_b(sites_b):
    record(Unit.objects.get(code="B-JD1"), date(2026, 3, 5), kitchen="7", other="3")  # 70.00%


def test_anonymous_is_sent_to_log_in(client, district_a):
    assert client.get(URL).status_code == 302


def test_someone_outside_any_district_gets_404(client, db):
    association = UnitFactory(code="XH", name="协会", kind=UnitKind.ASSOCIATION)
    client.force_login(member(association, Role.SECRETARIAT))
    assert client.get(URL).status_code == 404


def test_street_rates_for_the_month_equal_the_rates_module(client, clerk_a, data_a, data_b):
    client.force_login(clerk_a)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    march = CollectionRecord.objects.filter(collected_on__range=(date(2026, 3, 1), date(2026, 3, 31)))
    expected = {r.label: r.separation_rate for r in rates.separation_rates(march, by="street")}
    shown = {street["name"]: street["rate"].separation_rate for street in response.context["streets"]}
    assert shown == {"A第1街道": Decimal("30.00"), "A第2街道": Decimal("25.00")}
    assert shown == {name: rate for name, rate in expected.items() if name.startswith("A")}
    html = response.content.decode()
    assert "<tr><td>A第1街道</td><td>3.000</td><td>10.000</td><td>30.00</td><td>20.00</td></tr>" in html
    assert "<tr><td>A第2街道</td><td>1.000</td><td>4.000</td><td>25.00</td><td>0.00</td></tr>" in html


def test_another_month_is_chosen_with_month(client, clerk_a, data_a):
    client.force_login(clerk_a)
    response = client.get(URL, {**MARCH, "month": "2026-02"})
    streets = {street["name"]: street["rate"] for street in response.context["streets"]}
    assert streets["A第1街道"].separation_rate == Decimal("50.00") and streets["A第2街道"] is None


def test_months_and_composition_cover_the_period(client, clerk_a, data_a):
    client.force_login(clerk_a)
    response = client.get(URL, MARCH)
    assert [(r.label, r.separation_rate) for r in response.context["months"]] == [
        ("2026-02", Decimal("50.00")),
        ("2026-03", Decimal("28.57")),  # 4 of 14 t
    ]
    district = response.context["district_rate"]
    assert (district.kitchen_t, district.total_t, district.separation_rate) == (
        Decimal("5.000"),
        Decimal("16.000"),
        Decimal("31.25"),
    )
    html = response.content.decode()
    assert "<tr><td>2026-03</td><td>4.000</td><td>14.000</td><td>28.57</td><td>14.29</td></tr>" in html
    composition = html[html.index('id="composition-table"') :]
    assert "<tr><td>2.000</td><td>0.000</td><td>5.000</td><td>9.000</td><td>16.000</td></tr>" in composition


def test_coverage_facilities_and_demonstration_sites_by_street(client, clerk_a, data_a):
    client.force_login(clerk_a)
    html = client.get(URL, MARCH).content.decode()
    assert "<tr><td>A第1街道</td><td>1</td><td>1</td><td>100.00</td></tr>" in html
    assert "<tr><td>A第2街道</td><td>2</td><td>1</td><td>50.00</td></tr>" in html
    assert "<tr><td>A第1街道</td><td>6</td><td>500</td><td>12.00</td></tr>" in html  # 6 per 500 households
    assert "<tr><td>A第2街道</td><td>3</td><td>1000</td><td>3.00</td></tr>" in html
    assert '<tr><td>A第1街道</td><td>1</td><td class="bad">0</td><td class="bad">0</td></tr>' in html


def test_charts_are_well_formed_svg_with_the_streets_and_numbers(client, clerk_a, data_a):
    client.force_login(clerk_a)
    html = client.get(URL, MARCH).content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 6
    texts = []
    for svg in svgs:
        texts += [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert {"A第1街道", "A第2街道", "30.00%", "25.00%", "28.57", "12.00", "50.00%"} <= set(texts)
    assert "style=" not in html and "<script" not in html


def test_campaign_deadlines_draw_targets_and_list_streets_behind(client, clerk_a, data_a):
    campaign = Campaign.objects.create(district=Unit.objects.get(code="A"), year=2026, title="2026年全覆盖")
    CampaignPhase.objects.create(campaign=campaign, kind=PhaseKind.MOBILISE, deadline=date(2026, 3, 15))
    CampaignPhase.objects.create(
        campaign=campaign, kind=PhaseKind.IMPLEMENT, deadline=date(2026, 9, 30), target_rate=80
    )
    client.force_login(clerk_a)
    response = client.get(URL, MARCH)
    [mobilise, implement] = response.context["phases"]
    assert [s.street.name for s in implement["behind"]] == ["A第2街道"]  # 50% < 80%
    assert mobilise["behind"] == []  # no target, no demonstration sites due
    assert "09-30 80.00%" in response.content.decode()  # the target line on the coverage chart


def test_clerk_b_sees_only_district_b(client, clerk_b, data_a, data_b):
    client.force_login(clerk_b)
    response = client.get(URL, MARCH)
    html = response.content.decode()
    assert "A第1街道" not in html and "A第2街道" not in html and "31.25" not in html
    assert [street["name"] for street in response.context["streets"]] == ["B第1街道", "B第2街道"]
    assert response.context["district_rate"].separation_rate == Decimal("70.00")


def test_the_separation_rate_indicator_equals_the_dashboard(client, clerk_a, data_a, data_b):
    assert "classification.separation_rate" in dict(indicators.provider_choices())
    plan = Plan.objects.create(issuer=Unit.objects.get(code="A-FLB"), year=2026, title="2026年分类工作")
    chapter = Chapter.objects.create(plan=plan, number=1, title="垃圾分类")
    item = Item.objects.create(plan=plan, chapter=chapter, number=15, title="分出率", text="厨余垃圾分出率达到100%。")
    indicator = Indicator.objects.create(
        item=item, name="厨余垃圾分出率", target_value=100, unit="%", provider="classification.separation_rate"
    )
    value = indicators.indicator_refresh(indicator, date(2026, 3, 31)).actual_value
    client.force_login(clerk_a)
    shown = client.get(URL, MARCH).context["district_rate"].separation_rate
    in_rates = rates.separation_rates(
        CollectionRecord.objects.filter(street__path__startswith="A/", collected_on__year=2026), by="district"
    )[0].separation_rate
    assert value == shown == in_rates == Decimal("31.25")
    assert indicators.indicator_refresh(indicator, date(2026, 2, 28)).actual_value == Decimal("50.00")


def _grow(district: Unit, start: int, stop: int) -> None:
    """Streets numbered start..stop-1, each with a site, facilities and two months of records."""
    for n in range(start, stop):
        street = UnitFactory(code=f"A-X{n}", name=f"A新{n}街道", kind=UnitKind.STREET, parent=district)
        site = SiteFactory(street=street, households=300, covered_since=date(2026, 1, 1), is_demonstration=True)
        SortingFacility.objects.create(
            street=street, kind=FacilityKind.CONTAINER, count=4, recorded_on=date(2026, 1, 1)
        )
        for day in (date(2026, 2, 3), date(2026, 3, 3), date(2026, 3, 4)):
            record(street, day, kitchen="1", other="2", site=site)


def test_query_count_does_not_grow_with_streets_or_records(client, clerk_a, data_a):
    campaign = Campaign.objects.create(district=Unit.objects.get(code="A"), year=2026, title="2026年全覆盖")
    CampaignPhase.objects.create(
        campaign=campaign, kind=PhaseKind.IMPLEMENT, deadline=date(2026, 9, 30), target_rate=80
    )
    client.force_login(clerk_a)
    counts = []
    for start, size in ((0, 1), (1, 6)):
        _grow(Unit.objects.get(code="A"), start, size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, MARCH)
        assert len(response.context["streets"]) == 2 + size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_leader_of_the_district_sees_the_dashboard(client, data_a):
    leader = member(Unit.objects.get(code="A"), Role.LEADER, username="leader_a")
    assert client.login(username="leader_a", password=PASSWORD)
    response = client.get(URL, MARCH)
    assert response.status_code == 200 and response.context["district"].code == "A" and leader.pk
