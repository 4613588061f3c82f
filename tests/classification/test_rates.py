from datetime import date
from decimal import Decimal

import pytest

from classification import rates
from classification.models import CollectionRecord, FacilityKind, Site, SortingFacility
from sanitation.organisations.models import Unit


def record(street_code: str, day: date, *, site=None, recyclable="0", hazardous="0", kitchen="0", other="0"):
    return CollectionRecord.objects.create(
        street=Unit.objects.get(code=street_code),
        site=site,
        collected_on=day,
        recyclable_t=Decimal(recyclable),
        hazardous_t=Decimal(hazardous),
        kitchen_t=Decimal(kitchen),
        other_t=Decimal(other),
    )


def test_separation_rate_is_kitchen_over_total_and_recycling_rate_recyclable_over_total(district_a):
    record("A-JD1", date(2026, 3, 2), recyclable="2", hazardous="0.5", kitchen="3", other="4.5")
    [street] = rates.separation_rates(CollectionRecord.objects.all(), by="street")
    assert street.label == "A第1街道"
    assert street.total_t == Decimal("10.000")
    assert street.separation_rate == Decimal("30.00")
    assert street.recycling_rate == Decimal("20.00")


def test_rates_by_street_sum_each_street_in_one_query(district_a, django_assert_num_queries):
    record("A-JD1", date(2026, 3, 2), kitchen="1", other="3")
    record("A-JD1", date(2026, 3, 3), kitchen="2", other="2")  # street 1: 3 of 8 = 37.50%
    record("A-JD2", date(2026, 3, 2), recyclable="1", kitchen="1", other="1")  # street 2: 1 of 3 = 33.33%
    with django_assert_num_queries(1):
        by_street = rates.separation_rates(CollectionRecord.objects.all(), by="street")
    assert [(r.label, r.kitchen_t, r.total_t, r.separation_rate) for r in by_street] == [
        ("A第1街道", Decimal("3.000"), Decimal("8.000"), Decimal("37.50")),
        ("A第2街道", Decimal("1.000"), Decimal("3.000"), Decimal("33.33")),
    ]
    assert by_street[1].recycling_rate == Decimal("33.33")


def test_rates_by_site_leave_out_records_without_a_site(sites_a):
    site_1, site_2 = sites_a
    record("A-JD1", date(2026, 3, 2), site=site_1, kitchen="1", other="1")
    record("A-JD2", date(2026, 3, 2), site=site_2, kitchen="1", other="3")
    record("A-JD2", date(2026, 3, 2), kitchen="9")  # street-level record: no site
    by_site = rates.separation_rates(CollectionRecord.objects.all(), by="site")
    assert [(r.key, r.label, r.separation_rate) for r in by_site] == [
        (site_1.pk, "A小区1", Decimal("50.00")),
        (site_2.pk, "A小区2", Decimal("25.00")),
    ]


def test_months_are_bucketed_by_calendar_month(district_a):
    record("A-JD1", date(2026, 1, 31), kitchen="1", other="1")
    record("A-JD2", date(2026, 1, 1), kitchen="1", other="1")
    record("A-JD1", date(2026, 2, 1), kitchen="1", other="3")
    by_month = rates.separation_rates(CollectionRecord.objects.all(), by="month")
    assert [(r.key, r.label, r.total_t, r.separation_rate) for r in by_month] == [
        (date(2026, 1, 1), "2026-01", Decimal("4.000"), Decimal("50.00")),
        (date(2026, 2, 1), "2026-02", Decimal("4.000"), Decimal("25.00")),
    ]


def test_district_rate_adds_up_all_its_streets_and_no_other_district(district_a, district_b):
    record("A-JD1", date(2026, 3, 2), kitchen="3", other="7")
    record("A-JD2", date(2026, 3, 2), kitchen="1", other="9")
    record("B-JD1", date(2026, 3, 2), kitchen="5", other="5")
    by_district = rates.separation_rates(CollectionRecord.objects.all(), by="district")
    assert [(r.label, r.total_t, r.separation_rate) for r in by_district] == [
        ("A区", Decimal("20.000"), Decimal("20.00")),
        ("B区", Decimal("10.000"), Decimal("50.00")),
    ]


def test_period_includes_both_ends(district_a):
    for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1)):
        record("A-JD1", day, kitchen="1")
    in_march = rates.records_in_period(CollectionRecord.objects.all(), start=date(2026, 3, 1), end=date(2026, 3, 31))
    [march] = rates.separation_rates(in_march, by="street")
    assert march.kitchen_t == Decimal("2.000")


def test_no_waste_gives_no_rate(district_a):
    record("A-JD1", date(2026, 3, 2))
    [street] = rates.separation_rates(CollectionRecord.objects.all(), by="street")
    assert street.total_t == 0 and street.separation_rate is None and street.recycling_rate is None
    assert rates.separation_rates(CollectionRecord.objects.none(), by="month") == []


def test_unknown_grouping_is_refused():
    with pytest.raises(ValueError):
        rates.separation_rates(CollectionRecord.objects.none(), by="community")


def test_facilities_per_thousand_households(sites_a):
    Site.objects.filter(pk=sites_a[0].pk).update(households=800)
    street = Unit.objects.get(code="A-JD1")
    for kind, count, day in [
        (FacilityKind.CONTAINER, 10, date(2026, 1, 5)),
        (FacilityKind.DROP_OFF, 2, date(2026, 1, 5)),
        (FacilityKind.VEHICLE, 4, date(2026, 1, 5)),  # not where households put waste
        (FacilityKind.CONTAINER, 7, date(2026, 6, 1)),  # recorded later
    ]:
        SortingFacility.objects.create(street=street, kind=kind, count=count, recorded_on=day)
    facilities = rates.household_facilities_by_street(SortingFacility.objects.all(), on=date(2026, 3, 1))
    households = rates.households_by_street(Site.objects.all())
    assert facilities == {street.pk: 12}
    assert households[street.pk] == 800
    assert rates.per_thousand(facilities[street.pk], households[street.pk]) == Decimal("15.00")
    assert rates.per_thousand(3, 0) is None
