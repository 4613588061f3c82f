from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classification import ledgers
from classification.models import (
    CollectionRecord,
    FacilityKind,
    HouseholdParticipation,
    PersonRole,
    PublicityActivity,
    PublicityKind,
    SortingFacility,
    SortingPerson,
)
from sanitation.organisations.models import Role, Unit

from ..factories import PASSWORD, member

LEDGER_URLS = ["facilities", "collection", "publicity", "people", "participation"]


def _street(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _records(street: Unit, days: int, *, start=date(2025, 6, 1), kitchen="2.000", other="6.000", community=None):
    CollectionRecord.objects.bulk_create(
        CollectionRecord(
            street=street,
            community=community,
            collected_on=start + timedelta(days=day),
            recyclable_t=Decimal("1.500"),
            hazardous_t=Decimal("0.500"),
            kitchen_t=Decimal(kitchen),
            other_t=Decimal(other),
        )
        for day in range(days)
    )


def _every_ledger(street: Unit, site, n: int) -> None:
    community = street.children.first()
    for i in range(n):
        SortingFacility.objects.create(
            street=street,
            community=community,
            site=site,
            kind=FacilityKind.CONTAINER,
            count=4 + i,
            recorded_on=date(2025, 5, 1) + timedelta(days=i),
        )
        PublicityActivity.objects.create(
            street=street,
            community=community,
            kind=PublicityKind.COMMUNITY,
            held_on=date(2025, 5, 1) + timedelta(i),
            title=f"垃圾分类进社区{i}",
            audience=50,
        )
        SortingPerson.objects.create(street=street, site=site, name=f"督导员{i}", role=PersonRole.SUPERVISOR)
        HouseholdParticipation.objects.create(site=site, counted_on=date(2025, 5, 1) + timedelta(i), households=300)
    _records(street, n)


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)


@pytest.mark.django_db
def test_collection_totals_are_the_sums_and_rates_of_the_filtered_rows(district_a):
    _records(_street("A-JD1"), 30)  # 1.5 + 0.5 + 2 + 6 = 10 t a day
    _records(_street("A-JD2"), 30, kitchen="5.000", other="3.000")
    totals = ledgers.collection_totals(CollectionRecord.objects.filter(street__code="A-JD1"))
    assert totals["kitchen_t"] == Decimal("60.000")
    assert totals["total_t"] == Decimal("300.000")
    assert round(totals["separation_rate"], 2) == Decimal("20.00")
    assert round(totals["recycling_rate"], 2) == Decimal("15.00")
    everything = ledgers.collection_totals(CollectionRecord.objects.all())
    assert round(everything["separation_rate"], 2) == Decimal("35.00")  # (60 + 150) / 600


@pytest.mark.django_db
def test_collection_totals_of_no_rows_have_no_rate(district_a):
    totals = ledgers.collection_totals(CollectionRecord.objects.none())
    assert totals["total_t"] == 0
    assert totals["separation_rate"] is None


@pytest.mark.django_db
def test_ledger_filter_by_street_community_dates_and_kind(district_a, sites_a):
    street = _street("A-JD1")
    _every_ledger(street, sites_a[0], 5)
    _records(_street("A-JD2"), 5)
    records = ledgers.ledger_filter(
        CollectionRecord.objects.all(), street=street, date_from=date(2025, 6, 2), date_to=date(2025, 6, 4)
    )
    assert sorted(r.collected_on.day for r in records) == [2, 3, 4]
    community = street.children.first()
    assert ledgers.ledger_filter(SortingFacility.objects.all(), community=community).count() == 5
    assert ledgers.ledger_filter(SortingFacility.objects.all(), kind=FacilityKind.VEHICLE).count() == 0
    assert ledgers.ledger_filter(HouseholdParticipation.objects.all(), street=street).count() == 5
    assert ledgers.ledger_filter(SortingPerson.objects.all(), site_kind="managed_estate").count() == 5


@pytest.mark.django_db
def test_selectors_show_only_the_users_district(district_a, district_b, sites_a, sites_b, clerk_a, clerk_b):
    _every_ledger(_street("A-JD1"), sites_a[0], 2)
    _every_ledger(_street("B-JD1"), sites_b[0], 3)
    assert ledgers.collection_records_visible_to(clerk_a).count() == 2
    assert ledgers.collection_records_visible_to(clerk_b).count() == 3
    assert {f.street.code for f in ledgers.facilities_visible_to(clerk_b)} == {"B-JD1"}
    assert ledgers.participation_visible_to(clerk_a).count() == 2
    assert ledgers.sorting_people_visible_to(clerk_a).count() == 2
    assert ledgers.publicity_activities_visible_to(clerk_a).count() == 2
    assert list(ledgers.ledger_streets(clerk_a).values_list("code", flat=True)) == ["A-JD1", "A-JD2"]


@pytest.mark.django_db
def test_collection_page_shows_rows_and_totals(client, district_a, clerk_a):
    _records(_street("A-JD1"), 30)
    _login(client, clerk_a)
    response = client.get(reverse("classification:ledger-collection"), {"street": _street("A-JD1").pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="total-t">300.000<' in html
    assert 'id="separation-rate">20.0%<' in html
    assert 'id="recycling-rate">15.0%<' in html
    assert html.count('class="ledger-row"') == 30
    assert "A第1街道" in html


@pytest.mark.django_db
def test_bad_dates_in_the_filter_are_shown_and_not_applied(client, district_a, clerk_a):
    _records(_street("A-JD1"), 3)
    _login(client, clerk_a)
    response = client.get(reverse("classification:ledger-collection"), {"date_from": "2025-07-01", "date_to": "x"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0  # date_from applied, the bad date_to not
    assert response.context["filter_form"].errors["date_to"]


@pytest.mark.django_db
@pytest.mark.parametrize("ledger", LEDGER_URLS)
def test_other_district_sees_an_empty_ledger(client, district_a, district_b, sites_a, clerk_b, ledger):
    _every_ledger(_street("A-JD1"), sites_a[0], 3)
    _login(client, clerk_b)
    response = client.get(reverse(f"classification:ledger-{ledger}"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "A第1街道" not in response.content.decode()


@pytest.mark.django_db
def test_ledger_pages_need_a_login(client):
    response = client.get(reverse("classification:ledger-collection"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_leader_reads_but_is_not_offered_the_import(client, district_a):
    leader = member(Unit.objects.get(code="A"), Role.LEADER, username="leader_a")
    _records(_street("A-JD1"), 2)
    _login(client, leader)
    response = client.get(reverse("classification:ledger-collection"))
    assert response.context["page"].paginator.count == 2
    assert not response.context["can_import"]
    assert 'id="ledger-import"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("ledger", LEDGER_URLS)
def test_ledger_pages_cost_the_same_queries_at_two_sizes(client, district_a, sites_a, clerk_a, ledger):
    _login(client, clerk_a)
    url = reverse(f"classification:ledger-{ledger}")
    _every_ledger(_street("A-JD1"), sites_a[0], 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"street": ""}).status_code == 200
    _every_ledger(_street("A-JD2"), sites_a[1], 12)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"street": ""})
    assert response.context["page"].paginator.count == 14
    assert len(large) == len(small)
