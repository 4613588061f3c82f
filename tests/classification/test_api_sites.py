"""/api/v1/sites/ and /api/v1/campaigns/: filters, coverage as of a date, scoping, query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from classification import services
from classification.campaign import DEMONSTRATION_KINDS
from classification.models import Site, SiteKind
from sanitation.organisations.models import Unit, UnitKind

from ..factories import SiteFactory, UnitFactory


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _names(response) -> set[str]:
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


@pytest.fixture
def ground(district_a):
    street_1, street_2 = Unit.objects.get(code="A-JD1"), Unit.objects.get(code="A-JD2")
    community = Unit.objects.get(code="A-JD1-SQ1")
    SiteFactory(street=street_1, community=community, name="阳光花园", kind=SiteKind.MANAGED_ESTATE,
                covered_since=date(2026, 5, 1), is_demonstration=True)  # fmt: skip
    SiteFactory(street=street_1, name="老街片区", kind=SiteKind.OPEN_ESTATE, covered_since=date(2026, 8, 1))
    SiteFactory(street=street_2, name="阳光小学", kind=SiteKind.SCHOOL, covered_since=date(2026, 3, 1))
    SiteFactory(street=street_2, name="好味酒家", kind=SiteKind.RESTAURANT)
    return district_a


def test_site_list_and_filters(clerk_a, ground, sites_b):
    client = _client(clerk_a)
    response = client.get("/api/v1/sites/")
    assert response.json()["count"] == 4
    first = next(row for row in response.json()["results"] if row["name"] == "阳光花园")
    assert (first["name"], first["street_name"], first["community_name"], first["covered_since"]) == (
        "阳光花园",
        "A第1街道",
        "A第1街道1社区",
        "2026-05-01",
    )
    street_2 = Unit.objects.get(code="A-JD2")
    assert _names(client.get("/api/v1/sites/", {"street": street_2.pk})) == {"阳光小学", "好味酒家"}
    community = Unit.objects.get(code="A-JD1-SQ1")
    assert _names(client.get("/api/v1/sites/", {"community": community.pk})) == {"阳光花园"}
    assert _names(client.get("/api/v1/sites/", {"kind": "restaurant"})) == {"好味酒家"}
    covered = {"covered": "true", "on": "2026-06-30"}
    assert _names(client.get("/api/v1/sites/", covered)) == {"阳光花园", "阳光小学"}
    assert _names(client.get("/api/v1/sites/", {**covered, "covered": "false"})) == {"老街片区", "好味酒家"}
    assert _names(client.get("/api/v1/sites/", {"demonstration": "true"})) == {"阳光花园"}
    assert len(_names(client.get("/api/v1/sites/", {"demonstration": "false"}))) == 3


def test_bad_filters_answer_400(clerk_a, ground):
    client = _client(clerk_a)
    assert client.get("/api/v1/sites/", {"kind": "castle"}).status_code == 400
    assert client.get("/api/v1/sites/", {"street": "one"}).status_code == 400
    assert client.get("/api/v1/sites/", {"covered": "maybe"}).status_code == 400


def test_campaign_detail_with_coverage_on_a_date(clerk_a, ground):
    campaign = services.campaign_create(district=ground, year=2026, title="2026年全覆盖")
    client = _client(clerk_a)
    assert [row["title"] for row in client.get("/api/v1/campaigns/").json()["results"]] == ["2026年全覆盖"]
    data = client.get(f"/api/v1/campaigns/{campaign.pk}/", {"on": "2026-06-30"}).json()
    assert [phase["deadline"] for phase in data["phases"]] == ["2026-06-30", "2026-09-30", "2026-11-30"]
    assert data["on"] == "2026-06-30" and data["district_rate"] == "50.00"
    assert [(row["street_name"], row["sites"], row["covered"], row["rate"]) for row in data["coverage_by_street"]] == [
        ("A第1街道", 2, 1, "50.00"),
        ("A第2街道", 2, 1, "50.00"),
    ]
    mobilise = data["progress"][0]
    assert mobilise["passed"] is False and mobilise["target_rate"] == "0.00"
    behind = {row["street_name"]: row["missing_demonstration_kinds"] for row in mobilise["streets_behind"]}
    assert behind == {"A第1街道": ["open_estate", "office_building"], "A第2街道": list(DEMONSTRATION_KINDS)}
    implement = client.get(f"/api/v1/campaigns/{campaign.pk}/", {"on": "2026-10-01"}).json()["progress"][1]
    assert implement["passed"] is True and implement["rate"] == "75.00"
    assert [(row["street_name"], row["uncovered_sites"]) for row in implement["streets_behind"]] == [
        ("A第2街道", ["好味酒家"])
    ]
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/", {"on": "soon"}).status_code == 400


def test_other_district_gets_empty_lists_and_404(clerk_b, ground):
    campaign = services.campaign_create(district=ground, year=2026, title="2026年全覆盖")
    client = _client(clerk_b)
    assert client.get("/api/v1/sites/").json()["count"] == 0
    assert client.get("/api/v1/campaigns/").json()["count"] == 0
    assert client.get(f"/api/v1/sites/{Site.objects.first().pk}/").status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404
    assert APIClient().get("/api/v1/sites/").status_code == 403


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow(clerk_a, ground):
    campaign = services.campaign_create(district=ground, year=2026, title="2026年全覆盖")
    client = _client(clerk_a)
    urls = ["/api/v1/sites/", "/api/v1/campaigns/", f"/api/v1/campaigns/{campaign.pk}/?on=2026-10-01"]
    client.get(urls[0])  # the user's memberships are then cached on the forced user, as in every later request
    small = [_count(client, url) for url in urls]
    for n in range(4):
        street = UnitFactory(code=f"A-X{n}", name=f"新街道{n}", kind=UnitKind.STREET, parent=ground)
        for i in range(5):
            SiteFactory(street=street, name=f"新{n}-{i}", covered_since=date(2026, 9, i + 1) if i else None)
        services.campaign_create(district=ground, year=2027 + n, title=f"{2027 + n}年")
    assert [_count(client, url) for url in urls] == small
