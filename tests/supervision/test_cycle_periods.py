"""Which period each cycle covers on a day, and which offices run the cycle for which district."""

import datetime

import pytest

from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import Unit, UnitKind
from supervision.cycle.periods import cycle_issuers, cycle_period, district_of_issuer
from tests.factories import UnitFactory, district_with_streets

D = datetime.date


@pytest.mark.parametrize(
    ("cycle", "day", "period"),
    [
        ("daily", D(2026, 3, 4), (D(2026, 3, 4), D(2026, 3, 4))),
        # Monday 9 March 2026: the week that just ended.
        ("weekly", D(2026, 3, 9), (D(2026, 3, 2), D(2026, 3, 8))),
        # Wednesday: still last week, not the one in progress.
        ("weekly", D(2026, 3, 11), (D(2026, 3, 2), D(2026, 3, 8))),
        # Sunday 15 March: its own week is not complete before the day.
        ("weekly", D(2026, 3, 15), (D(2026, 3, 2), D(2026, 3, 8))),
        # Across a year end.
        ("weekly", D(2026, 1, 1), (D(2025, 12, 22), D(2025, 12, 28))),
        ("monthly", D(2026, 3, 1), (D(2026, 2, 1), D(2026, 2, 28))),
        ("monthly", D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29))),
        ("monthly", D(2026, 1, 15), (D(2025, 12, 1), D(2025, 12, 31))),
        ("quarterly", D(2026, 4, 1), (D(2026, 1, 1), D(2026, 3, 31))),
        ("quarterly", D(2026, 6, 30), (D(2026, 1, 1), D(2026, 3, 31))),
        ("quarterly", D(2026, 10, 1), (D(2026, 7, 1), D(2026, 9, 30))),
        ("quarterly", D(2026, 2, 10), (D(2025, 10, 1), D(2025, 12, 31))),
        ("annual", D(2027, 1, 2), (D(2026, 1, 1), D(2026, 12, 31))),
        ("annual", D(2026, 7, 1), (D(2025, 1, 1), D(2025, 12, 31))),
    ],
)
def test_cycle_period(cycle, day, period):
    assert cycle_period(cycle, day) == period


def test_every_day_of_a_year_gives_complete_weeks_ending_before_it():
    day = D(2026, 1, 1)
    while day.year == 2026:
        start, end = cycle_period("weekly", day)
        assert start.weekday() == 0 and end - start == datetime.timedelta(days=6)
        assert end < day <= end + datetime.timedelta(days=7)
        day += datetime.timedelta(days=1)


def test_unknown_cycle_is_refused():
    with pytest.raises(ValueError):
        cycle_period("hourly", D(2026, 1, 1))


@pytest.mark.django_db
def test_cycle_issuers_are_the_sorting_offices_and_their_district_is_the_nearest_district():
    district = district_with_streets("A")
    office = Unit.objects.get(code="A-FLB")
    centre = Unit.objects.get(code="A-ZX")
    office_issuer = DocumentIssuer.objects.create(unit=office, prefix="A分类办", mark="A区分类办")
    DocumentIssuer.objects.create(unit=centre, prefix="A环卫", mark="A区环卫中心文件")
    # An office below an office of a city: the nearest district is its own, not the city.
    city = UnitFactory(code="C", name="C市", kind=UnitKind.DISTRICT)
    city_district = UnitFactory(code="C-X", name="C市X区", kind=UnitKind.DISTRICT, parent=city)
    nested = UnitFactory(code="C-X-FLB", name="X区分类办", kind=UnitKind.OFFICE, parent=city_district)
    nested_issuer = DocumentIssuer.objects.create(unit=nested, prefix="X分类办", mark="X区分类办")
    # An office without a district above it covers itself.
    lone = UnitFactory(code="L-FLB", name="独立分类办", kind=UnitKind.OFFICE)
    lone_issuer = DocumentIssuer.objects.create(unit=lone, prefix="L分类办", mark="L分类办")

    assert set(cycle_issuers()) == {office_issuer, nested_issuer, lone_issuer}
    assert district_of_issuer(office_issuer) == district
    assert district_of_issuer(nested_issuer) == city_district
    assert district_of_issuer(lone_issuer) == lone
