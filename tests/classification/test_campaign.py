"""Coverage by street and district on a date, a campaign's phases, and the pages that show them."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from classification import services
from classification.campaign import campaign_progress, coverage_by_street, coverage_of_district
from classification.models import Campaign, PhaseKind, Site, SiteKind, StreetTarget
from plans import indicators
from plans.models import Chapter, Indicator, Item, Plan
from sanitation.organisations.models import Role, Unit, UnitKind

from ..factories import SiteFactory, UnitFactory, member

MANAGED, OPEN, OFFICE = SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _site(street: str, name: str, kind=SiteKind.SCHOOL, since=None, demo=False) -> Site:
    return SiteFactory(
        street=Unit.objects.get(code=street), name=name, kind=kind, covered_since=since, is_demonstration=demo
    )


@pytest.fixture
def ground(district_a):
    """Street 1: three demonstration sites (the office one sorting only from 10 July), a school, a
    restaurant never covered. Street 2: three demonstration sites early, a supermarket from 15 October."""
    _site("A-JD1", "一号花园", MANAGED, date(2026, 5, 1), demo=True)
    _site("A-JD1", "老街片区", OPEN, date(2026, 6, 20), demo=True)
    _site("A-JD1", "办事处大楼", OFFICE, date(2026, 7, 10), demo=True)
    _site("A-JD1", "第一小学", SiteKind.SCHOOL, date(2026, 9, 1))
    _site("A-JD1", "好味酒家", SiteKind.RESTAURANT)
    _site("A-JD2", "二号雅苑", MANAGED, date(2026, 3, 1), demo=True)
    _site("A-JD2", "南街片区", OPEN, date(2026, 4, 1), demo=True)
    _site("A-JD2", "商务楼", OFFICE, date(2026, 6, 1), demo=True)
    _site("A-JD2", "万家超市", SiteKind.SUPERMARKET, date(2026, 10, 15))
    return district_a


@pytest.fixture
def the_campaign(ground):
    """2026's campaign with the seed's phases; street 2 must cover its three demonstration sites only."""
    campaign = services.campaign_create(district=ground, year=2026, title="2026年全覆盖")
    street = Unit.objects.get(code="A-JD2")
    services.street_target_set(
        campaign=campaign, street=street, sites=list(Site.objects.filter(street=street, is_demonstration=True))
    )
    return campaign


def _rows(rows) -> dict:
    return {row.street.code: (row.total, row.covered, row.rate) for row in rows}


def test_coverage_by_street_on_dates(ground):
    june = coverage_by_street(district=ground, on=date(2026, 6, 30))
    assert _rows(june) == {"A-JD1": (5, 2, Decimal("40.00")), "A-JD2": (4, 3, Decimal("75.00"))}
    assert june[0].demonstration == {MANAGED: 1, OPEN: 1, OFFICE: 0} and june[0].missing_demonstration_kinds == [OFFICE]
    assert june[1].missing_demonstration_kinds == []
    assert coverage_of_district(district=ground, on=date(2026, 6, 30)) == Decimal("55.56")  # 5 of 9
    assert coverage_of_district(district=ground, on=date(2026, 12, 31)) == Decimal("88.89")  # 8 of 9
    assert coverage_of_district(district=ground, on=date(2026, 1, 1)) == Decimal("0.00")


def test_a_street_target_list_replaces_its_sites(the_campaign, ground):
    rows = coverage_by_street(district=ground, on=date(2026, 6, 30), campaign=the_campaign)
    assert _rows(rows) == {"A-JD1": (5, 2, Decimal("40.00")), "A-JD2": (3, 3, Decimal("100.00"))}
    assert [row.has_target for row in rows] == [False, True]
    assert coverage_of_district(district=ground, on=date(2026, 9, 30), campaign=the_campaign) == Decimal("87.50")


def test_district_without_sites_has_no_rate(district_b):
    assert coverage_of_district(district=district_b, on=date(2026, 6, 30)) is None
    assert [row.rate for row in coverage_by_street(district=district_b, on=date(2026, 6, 30))] == [None, None]


def _behind(phase) -> dict:
    return {s.street.code: (s.rate_behind, s.missing_kinds, s.uncovered_sites) for s in phase.behind}


def test_streets_behind_each_deadline(the_campaign):
    mobilise, implement, accept = campaign_progress(campaign=the_campaign, on=date(2026, 12, 1))
    assert (mobilise.phase.kind, mobilise.deadline, mobilise.as_of, mobilise.passed) == (
        PhaseKind.MOBILISE,
        date(2026, 6, 30),
        date(2026, 6, 30),
        True,
    )
    # Demonstration rule: street 1's office building only sorted from 10 July.
    assert _behind(mobilise) == {"A-JD1": (False, [OFFICE], ["办事处大楼", "好味酒家", "第一小学"])}
    assert implement.target_rate == Decimal("100") and implement.rate == Decimal("87.50")
    assert _behind(implement) == {"A-JD1": (True, [], ["好味酒家"])}
    assert _behind(accept) == {"A-JD1": (True, [], ["好味酒家"])}
    assert accept.deadline == date(2026, 11, 30)


def test_before_a_deadline_the_day_asked_counts(the_campaign):
    mobilise, implement, _accept = campaign_progress(campaign=the_campaign, on=date(2026, 6, 15))
    assert mobilise.as_of == date(2026, 6, 15) and not mobilise.passed
    assert _behind(mobilise)["A-JD1"][1] == [OPEN, OFFICE]
    assert _behind(implement) == {"A-JD1": (True, [], ["办事处大楼", "好味酒家", "第一小学", "老街片区"])}


def test_every_street_on_target(the_campaign):
    Site.objects.filter(name="好味酒家").update(covered_since=date(2026, 9, 30))
    _mobilise, implement, accept = campaign_progress(campaign=the_campaign, on=date(2026, 12, 1))
    assert implement.behind == [] and accept.behind == [] and accept.rate == Decimal("100.00")


def test_the_seed_phases(the_campaign):
    phases = [(p.kind, p.deadline, p.target_rate, p.demonstration_sites_due) for p in the_campaign.phases.all()]
    assert phases == [
        (PhaseKind.MOBILISE, date(2026, 6, 30), Decimal("0.00"), True),
        (PhaseKind.IMPLEMENT, date(2026, 9, 30), Decimal("100.00"), False),
        (PhaseKind.ACCEPT, date(2026, 11, 30), Decimal("100.00"), False),
    ]
    with pytest.raises(ValidationError):
        services.campaign_create(district=the_campaign.district, year=2026, title="again")


def test_a_target_list_holds_only_the_streets_sites(the_campaign):
    other = Site.objects.get(name="好味酒家")
    with pytest.raises(ValidationError):
        services.street_target_set(campaign=the_campaign, street=Unit.objects.get(code="A-JD2"), sites=[other])
    assert StreetTarget.objects.get(street__code="A-JD2").sites.count() == 3


def _more_streets(district: Unit, count: int) -> None:
    for n in range(count):
        street = UnitFactory(code=f"A-X{n}", name=f"新街道{n}", kind=UnitKind.STREET, parent=district)
        for i, kind in enumerate((MANAGED, OPEN, OFFICE, SiteKind.SCHOOL)):
            SiteFactory(
                street=street, name=f"新{n}-{i}", kind=kind, covered_since=date(2026, 8, i + 1), is_demonstration=i < 2
            )


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_constant_queries(the_campaign, ground):
    def compute():
        campaign = Campaign.objects.select_related("district").get(pk=the_campaign.pk)
        coverage_by_street(district=ground, on=date(2026, 9, 30), campaign=campaign)
        campaign_progress(campaign=campaign, on=date(2026, 12, 1))

    small = _queries(compute)
    _more_streets(ground, 5)
    assert _queries(compute) == small


def _indicator(issuer: Unit) -> Indicator:
    plan = Plan.objects.create(issuer=issuer, year=2026, title="2026年工作要点")
    chapter = Chapter.objects.create(plan=plan, number=1, title="垃圾分类")
    item = Item.objects.create(plan=plan, chapter=chapter, number=15, title="全覆盖", text="全覆盖")
    return Indicator.objects.create(
        item=item, name="覆盖率", target_value=100, unit="%", provider="classification.coverage_rate"
    )


def test_the_indicator_equals_the_campaign_page(the_campaign, ground, client):
    indicator = _indicator(Unit.objects.get(code="A-FLB"))
    for day, expected in ((date(2026, 6, 30), "62.50"), (date(2026, 9, 30), "87.50")):
        value = indicators.indicator_refresh(indicator, day).actual_value
        assert value == coverage_of_district(district=ground, on=day, campaign=the_campaign) == Decimal(expected)
        client.force_login(member(Unit.objects.get(code="A-FLB"), Role.LEADER, username=f"leader{day:%m}"))
        page = client.get(f"/sorting/campaigns/{the_campaign.pk}/", {"on": day.isoformat()})
        assert f'<strong id="district-rate">{expected}%</strong>' in page.content.decode()


def test_the_indicator_without_a_campaign_counts_all_sites(ground, district_b):
    assert indicators.indicator_refresh(_indicator(ground), date(2026, 6, 30)).actual_value == Decimal("55.56")
    assert indicators.indicator_refresh(_indicator(district_b), date(2026, 6, 30)).actual_value is None


# The pages ------------------------------------------------------------------------------------


def test_campaign_page_shows_streets_behind(client, clerk_a, the_campaign):
    client.force_login(clerk_a)
    page = client.get(f"/sorting/campaigns/{the_campaign.pk}/", {"on": "2026-12-01"}).content.decode()
    assert '<strong id="district-rate">87.50%</strong>' in page
    assert page.count('class="bad street-behind" data-street="A-JD1"') == 3
    assert 'data-street="A-JD2"' in page and 'class="bad street-behind" data-street="A-JD2"' not in page
    assert "missing demonstration sites: Government or office building" in page
    assert "Not yet sorting: 好味酒家" in page


def test_campaign_page_defaults_to_today(client, clerk_a, the_campaign):
    client.force_login(clerk_a)
    response = client.get(f"/sorting/campaigns/{the_campaign.pk}/", {"on": "nonsense"})
    assert response.status_code == 200 and response.context["on"] == timezone.localdate()


def test_other_district_gets_404_and_empty_list(client, clerk_b, the_campaign):
    client.force_login(clerk_b)
    assert client.get(f"/sorting/campaigns/{the_campaign.pk}/").status_code == 404
    assert list(client.get("/sorting/campaigns/").context["campaigns"]) == []
    street = Unit.objects.get(code="A-JD1")
    assert client.get(f"/sorting/campaigns/{the_campaign.pk}/streets/{street.pk}/").status_code == 404


def test_clerk_creates_a_campaign_with_the_seed_phases(client, clerk_a, district_a):
    client.force_login(clerk_a)
    form = client.get("/sorting/campaigns/new/").context["form"]
    year = date.today().year
    assert form["implement_deadline"].initial == date(year, 9, 30) and form["mobilise_demonstration"].initial is True
    data = {"district": district_a.pk, "year": 2027, "title": "2027年全覆盖"}
    for kind, deadline, target, due in (("mobilise", "06-30", 0, "on"), ("implement", "09-30", 100, ""),
                                        ("accept", "11-30", 100, "")):  # fmt: skip
        data |= {f"{kind}_deadline": f"2027-{deadline}", f"{kind}_target": target}
        if due:
            data[f"{kind}_demonstration"] = due
    response = client.post("/sorting/campaigns/new/", data)
    campaign = Campaign.objects.get(year=2027)
    assert response.status_code == 302 and response.url == f"/sorting/campaigns/{campaign.pk}/"
    assert [(p.deadline, p.demonstration_sites_due) for p in campaign.phases.all()] == [
        (date(2027, 6, 30), True),
        (date(2027, 9, 30), False),
        (date(2027, 11, 30), False),
    ]
    data["year"], data["title"] = 2028, "错年"
    assert client.post("/sorting/campaigns/new/", data).status_code == 200  # deadlines of 2027
    assert not Campaign.objects.filter(year=2028).exists()


def test_leader_reads_but_does_not_write(client, district_a, the_campaign):
    client.force_login(member(district_a, Role.LEADER, username="leader_a"))
    assert client.get(f"/sorting/campaigns/{the_campaign.pk}/").status_code == 200
    assert client.get("/sorting/campaigns/new/").status_code == 403
    street = Unit.objects.get(code="A-JD1")
    assert client.post(f"/sorting/campaigns/{the_campaign.pk}/streets/{street.pk}/", {"sites": []}).status_code == 403
    assert not StreetTarget.objects.filter(street=street).exists()


def test_clerk_sets_a_street_target(client, clerk_a, the_campaign):
    client.force_login(clerk_a)
    street = Unit.objects.get(code="A-JD1")
    url = f"/sorting/campaigns/{the_campaign.pk}/streets/{street.pk}/"
    assert len(client.get(url).context["form"].fields["sites"].queryset) == 5
    chosen = Site.objects.filter(street=street).exclude(name="好味酒家")
    response = client.post(url, {"sites": [site.pk for site in chosen], "note": "酒家下年覆盖"})
    assert response.status_code == 302
    target = StreetTarget.objects.get(campaign=the_campaign, street=street)
    assert target.sites.count() == 4 and target.note == "酒家下年覆盖"
    assert coverage_of_district(district=the_campaign.district, on=date(2026, 9, 30), campaign=the_campaign) == 100


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_campaign_pages_keep_their_queries(client, clerk_a, the_campaign, ground):
    client.force_login(clerk_a)
    detail = f"/sorting/campaigns/{the_campaign.pk}/?on=2026-12-01"
    small = (_page_queries(client, "/sorting/campaigns/"), _page_queries(client, detail))
    _more_streets(ground, 5)
    for year in (2027, 2028):
        services.campaign_create(district=ground, year=year, title=f"{year}年")
    assert (_page_queries(client, "/sorting/campaigns/"), _page_queries(client, detail)) == small
