"""Rates from the ledgers: the kitchen-waste separation rate (分出率) and recycling rate, and the
street figures behind facilities per 1,000 households.

Each function is one aggregate query however many records or streets there are.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth

from .models import CollectionRecord, FacilityKind, Site, SortingFacility

Grouping = Literal["site", "street", "month", "district"]
CENT = Decimal("0.01")
TONNE_ZERO = Decimal("0.000")
# Where households put their sorted waste: what "facilities per 1,000 households" counts.
HOUSEHOLD_FACILITY_KINDS = (FacilityKind.CONTAINER, FacilityKind.DROP_OFF)

_GROUP_FIELDS: dict[str, tuple[str, str]] = {
    # by: (key field, label field)
    "site": ("site_id", "site__name"),
    "street": ("street_id", "street__name"),
    "district": ("street__parent_id", "street__parent__name"),
}


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` of `whole` in percent, to two places; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT)


@dataclass(frozen=True)
class Rate:
    """Tonnes in the four categories for one site, street, month or district, and the rates."""

    key: int | date | None
    label: str
    recyclable_t: Decimal
    hazardous_t: Decimal
    kitchen_t: Decimal
    other_t: Decimal

    @property
    def total_t(self) -> Decimal:
        return self.recyclable_t + self.hazardous_t + self.kitchen_t + self.other_t

    @property
    def separation_rate(self) -> Decimal | None:
        """分出率: kitchen waste over everything collected."""
        return percent(self.kitchen_t, self.total_t)

    @property
    def recycling_rate(self) -> Decimal | None:
        return percent(self.recyclable_t, self.total_t)


def records_in_period(
    records: QuerySet[CollectionRecord], *, start: date | None = None, end: date | None = None
) -> QuerySet[CollectionRecord]:
    """Records collected from `start` to `end`, both included; an open end is unbounded."""
    if start:
        records = records.filter(collected_on__gte=start)
    if end:
        records = records.filter(collected_on__lte=end)
    return records


def separation_rates(records: QuerySet[CollectionRecord], *, by: Grouping) -> list[Rate]:
    """The four totals and the rates of `records` grouped `by` site, street, month or district,
    in one aggregate query. Records without a site are left out of the grouping by site."""
    if by == "month":
        rows = (
            records.order_by()
            .annotate(group_key=TruncMonth("collected_on"))
            .values("group_key")
            .annotate(**_sums())
            .order_by("group_key")
        )
        return [_rate(row, row["group_key"], f"{row['group_key']:%Y-%m}") for row in rows]
    if by not in _GROUP_FIELDS:
        raise ValueError(f"Cannot group separation rates by {by!r}.")
    key_field, label_field = _GROUP_FIELDS[by]
    if by == "site":
        records = records.filter(site__isnull=False)
    ordering = {
        "site": ("site__street__path", "site__name"),
        "street": ("street__path",),
        "district": ("street__parent__path",),
    }
    rows = (
        records.order_by()
        .values(group_key=F(key_field), group_label=F(label_field))
        .annotate(**_sums())
        .order_by(*ordering[by])
    )
    return [_rate(row, row["group_key"], row["group_label"]) for row in rows]


def _sums() -> dict:
    return {
        "recyclable": Sum("recyclable_t"),
        "hazardous": Sum("hazardous_t"),
        "kitchen": Sum("kitchen_t"),
        "other": Sum("other_t"),
    }


def _tonnes(value: Decimal | None) -> Decimal:
    return TONNE_ZERO if value is None else value


def _rate(row: dict, key, label: str) -> Rate:
    return Rate(
        key=key,
        label=label,
        recyclable_t=_tonnes(row["recyclable"]),
        hazardous_t=_tonnes(row["hazardous"]),
        kitchen_t=_tonnes(row["kitchen"]),
        other_t=_tonnes(row["other"]),
    )


# Street figures from the sites and facilities ---------------------------------------------------


def households_by_street(sites: QuerySet[Site]) -> dict[int, int]:
    """Households (or staff) of the sites, summed per street."""
    rows = sites.order_by().values("street_id").annotate(households_sum=Sum("households"))
    return {row["street_id"]: row["households_sum"] or 0 for row in rows}


def household_facilities_by_street(facilities: QuerySet[SortingFacility], *, on: date) -> dict[int, int]:
    """Containers and drop-off points recorded by `on`, summed per street."""
    rows = (
        facilities.order_by()
        .filter(kind__in=HOUSEHOLD_FACILITY_KINDS, recorded_on__lte=on)
        .values("street_id")
        .annotate(facilities=Sum("count"))
    )
    return {row["street_id"]: row["facilities"] or 0 for row in rows}


def per_thousand(count: int, households: int) -> Decimal | None:
    if not households:
        return None
    return (Decimal(count) * 1000 / households).quantize(CENT)
