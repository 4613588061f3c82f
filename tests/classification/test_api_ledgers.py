from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classification.models import (
    CollectionRecord,
    FacilityKind,
    PublicityActivity,
    PublicityKind,
    SiteKind,
    SortingFacility,
)
from sanitation.organisations.models import Unit

from ..factories import PASSWORD, SiteFactory

ENDPOINTS = ["/api/v1/collection-records/", "/api/v1/facilities/", "/api/v1/publicity-activities/"]


def _street(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _rows(street: Unit, site, n: int, start=date(2025, 6, 1)) -> None:
    for i in range(n):
        on = start + timedelta(days=i)
        CollectionRecord.objects.create(street=street, site=site, collected_on=on, kitchen_t=Decimal("2.500"))
        SortingFacility.objects.create(street=street, site=site, kind=FacilityKind.CONTAINER, count=3, recorded_on=on)
        PublicityActivity.objects.create(
            street=street, site=site, kind=PublicityKind.COMMUNITY, held_on=on, title=f"宣传{i}"
        )


@pytest.fixture
def api(client, clerk_a):
    client.login(username=clerk_a.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_collection_records_with_names_and_tonnes(api, sites_a):
    _rows(_street("A-JD1"), sites_a[0], 2)
    body = api.get(ENDPOINTS[0]).json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["collected_on"] == "2025-06-02"
    assert (first["street_name"], first["site_name"], first["community_name"]) == ("A第1街道", "A小区1", None)
    assert first["kitchen_t"] == "2.500"


@pytest.mark.django_db
def test_filters_by_street_site_kind_and_dates(api, district_a, sites_a):
    school = SiteFactory(street=_street("A-JD2"), name="A小学", kind=SiteKind.SCHOOL)
    _rows(_street("A-JD1"), sites_a[0], 5)
    _rows(_street("A-JD2"), school, 5)
    by_street = api.get(ENDPOINTS[0], {"street": _street("A-JD2").pk}).json()
    assert {row["street_name"] for row in by_street["results"]} == {"A第2街道"}
    by_kind = api.get(ENDPOINTS[1], {"site_kind": "school"}).json()
    assert by_kind["count"] == 5 and {row["site_name"] for row in by_kind["results"]} == {"A小学"}
    by_dates = api.get(ENDPOINTS[2], {"from": "2025-06-02", "to": "2025-06-03"}).json()
    assert sorted(row["held_on"] for row in by_dates["results"]) == ["2025-06-02"] * 2 + ["2025-06-03"] * 2
    assert api.get(ENDPOINTS[1], {"kind": "vehicle"}).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, query, field",
    [
        (ENDPOINTS[0], {"from": "2025-13-01"}, "from"),
        (ENDPOINTS[0], {"from": "2025-06-05", "to": "2025-06-01"}, "to"),
        (ENDPOINTS[1], {"street": "abc"}, "street"),
        (ENDPOINTS[1], {"site_kind": "castle"}, "site_kind"),
        (ENDPOINTS[2], {"kind": "radio"}, "kind"),
    ],
)
def test_bad_filters_answer_400(api, url, query, field):
    response = api.get(url, query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_other_district_sees_nothing(client, sites_a, clerk_b, url):
    _rows(_street("A-JD1"), sites_a[0], 2)
    client.login(username=clerk_b.username, password=PASSWORD)
    assert client.get(url).json()["count"] == 0
    pk = {ENDPOINTS[0]: CollectionRecord, ENDPOINTS[1]: SortingFacility, ENDPOINTS[2]: PublicityActivity}[url]
    assert client.get(f"{url}{pk.objects.first().pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_is_refused(client, url):
    assert client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_read_only(api, url):
    assert api.post(url, {}).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_lists_cost_the_same_queries_at_two_sizes(api, sites_a, url):
    _rows(_street("A-JD1"), sites_a[0], 2)
    with CaptureQueriesContext(connection) as small:
        assert api.get(url).status_code == 200
    _rows(_street("A-JD2"), sites_a[1], 20)
    with CaptureQueriesContext(connection) as large:
        assert api.get(url).json()["count"] == 22
    assert len(large) == len(small)
