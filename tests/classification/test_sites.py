"""Site pages: the list and its filters, a site's page, the clerks' forms; scoping and query counts."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from classification.models import Site, SiteKind
from sanitation.core.history import history_of
from sanitation.core.models import ChangeAction
from sanitation.organisations.models import Role, Unit

from ..factories import SiteFactory, member


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def leader_a(district_a):
    return member(district_a, Role.LEADER, username="leader_a")


@pytest.fixture
def many_sites(district_a):
    street_1, street_2 = Unit.objects.get(code="A-JD1"), Unit.objects.get(code="A-JD2")
    community = Unit.objects.get(code="A-JD1-SQ1")
    SiteFactory(street=street_1, community=community, name="阳光花园", kind=SiteKind.MANAGED_ESTATE,
                covered_since=date(2025, 3, 1), is_demonstration=True, households=860)  # fmt: skip
    SiteFactory(street=street_1, name="老街片区", kind=SiteKind.OPEN_ESTATE)
    SiteFactory(street=street_2, name="阳光小学", kind=SiteKind.SCHOOL, covered_since=date(2025, 9, 1))
    SiteFactory(street=street_2, name="明天大楼", kind=SiteKind.OFFICE_BUILDING, covered_since=date(2099, 1, 1))


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [site.name for site in response.context["page"]]


def test_site_list_filters(client, clerk_a, many_sites, sites_b):
    client.force_login(clerk_a)
    assert set(_names(client.get("/sorting/sites/"))) == {"阳光花园", "老街片区", "阳光小学", "明天大楼"}
    street_2 = Unit.objects.get(code="A-JD2")
    assert set(_names(client.get("/sorting/sites/", {"street": street_2.pk}))) == {"阳光小学", "明天大楼"}
    community = Unit.objects.get(code="A-JD1-SQ1")
    assert _names(client.get("/sorting/sites/", {"community": community.pk})) == ["阳光花园"]
    assert _names(client.get("/sorting/sites/", {"kind": "school"})) == ["阳光小学"]
    assert set(_names(client.get("/sorting/sites/", {"covered": "yes"}))) == {"阳光花园", "阳光小学"}
    assert set(_names(client.get("/sorting/sites/", {"covered": "no"}))) == {"老街片区", "明天大楼"}
    assert _names(client.get("/sorting/sites/", {"demonstration": "yes"})) == ["阳光花园"]
    assert set(_names(client.get("/sorting/sites/", {"q": "阳光"}))) == {"阳光花园", "阳光小学"}
    page = client.get("/sorting/sites/").content.decode()
    assert "阳光花园" in page and "B小区1" not in page and "4 sites" in page


def test_other_district_sees_nothing(client, clerk_b, many_sites):
    client.force_login(clerk_b)
    assert _names(client.get("/sorting/sites/")) == []
    site = Site.objects.get(name="阳光花园")
    assert client.get(f"/sorting/sites/{site.pk}/").status_code == 404
    assert client.get(f"/sorting/sites/{site.pk}/edit/").status_code == 404


def test_anonymous_is_sent_to_login(client, many_sites):
    assert client.get("/sorting/sites/").status_code == 302


def test_site_detail(client, leader_a, many_sites):
    client.force_login(leader_a)
    site = Site.objects.get(name="阳光花园")
    page = client.get(f"/sorting/sites/{site.pk}/").content.decode()
    assert "阳光花园" in page and "2025-03-01" in page and "860" in page and 'id="demonstration"' in page
    assert 'id="edit-site"' not in page  # leaders read


def test_clerk_adds_a_site(client, clerk_a, district_a):
    client.force_login(clerk_a)
    street, community = Unit.objects.get(code="A-JD2"), Unit.objects.get(code="A-JD2-SQ1")
    assert client.get("/sorting/sites/new/").status_code == 200
    response = client.post(
        "/sorting/sites/new/",
        {"street": street.pk, "community": community.pk, "name": "幸福里", "kind": "open_estate",
         "households": "420", "covered_since": "2026-05-01"},
    )  # fmt: skip
    site = Site.objects.get(name="幸福里")
    assert response.status_code == 302 and response.url == f"/sorting/sites/{site.pk}/"
    assert (site.street, site.community, site.households, site.covered_since) == (
        street,
        community,
        420,
        date(2026, 5, 1),
    )
    assert [(c.action, c.new, c.user) for c in history_of(site)] == [(ChangeAction.CREATED, "幸福里", clerk_a)]


def test_the_community_must_belong_to_the_street(client, clerk_a, district_a):
    client.force_login(clerk_a)
    street, other_community = Unit.objects.get(code="A-JD2"), Unit.objects.get(code="A-JD1-SQ1")
    response = client.post(
        "/sorting/sites/new/", {"street": street.pk, "community": other_community.pk, "name": "错位", "kind": "school"}
    )
    assert response.status_code == 200
    assert "The community must belong to the site&#x27;s street." in response.content.decode()
    assert not Site.objects.filter(name="错位").exists()


def test_clerk_cannot_add_a_site_in_another_district(client, clerk_a, district_b):
    client.force_login(clerk_a)
    response = client.post(
        "/sorting/sites/new/", {"street": Unit.objects.get(code="B-JD1").pk, "name": "越界", "kind": "school"}
    )
    assert response.status_code == 200 and not Site.objects.filter(name="越界").exists()


def test_clerk_edits_a_site(client, clerk_a, many_sites):
    client.force_login(clerk_a)
    site = Site.objects.get(name="老街片区")
    data = {"street": site.street_id, "name": "老街片区", "kind": "open_estate", "covered_since": "2026-06-20"}
    response = client.post(f"/sorting/sites/{site.pk}/edit/", {**data, "is_demonstration": "on"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.covered_since == date(2026, 6, 20) and site.is_demonstration


def test_leader_cannot_change_a_site(client, leader_a, many_sites):
    client.force_login(leader_a)
    site = Site.objects.get(name="老街片区")
    assert client.get("/sorting/sites/new/").status_code == 403
    response = client.post(
        f"/sorting/sites/{site.pk}/edit/", {"street": site.street_id, "name": "改名", "kind": "school"}
    )
    assert response.status_code == 403
    site.refresh_from_db()
    assert site.name == "老街片区" and site.kind == SiteKind.OPEN_ESTATE


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_site_list_queries_do_not_grow(client, clerk_a, many_sites):
    client.force_login(clerk_a)
    small = _count(client, "/sorting/sites/")
    street, community = Unit.objects.get(code="A-JD2"), Unit.objects.get(code="A-JD2-SQ2")
    for n in range(30):
        SiteFactory(street=street, community=community, name=f"新小区{n}")
    assert _count(client, "/sorting/sites/") == small
