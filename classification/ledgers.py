"""Reads of the ledgers (台账): what a user may see of each, filtered, and the collection totals.

Every ledger row belongs to a street; a user sees the rows of the streets in their scope
(scope_by_unit via the street), household participation through its site's street.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from sanitation.organisations.access import scope_by_unit
from sanitation.organisations.models import Unit, UnitKind

from .models import CollectionRecord, HouseholdParticipation, PublicityActivity, SortingFacility, SortingPerson

PLACE = ("street", "community", "site")
TONNES = ("recyclable_t", "hazardous_t", "kitchen_t", "other_t")


@dataclass(frozen=True)
class LedgerFields:
    """Which field of a ledger holds its date and its kind (None when it has none)."""

    date: str
    kind: str | None
    street: str = "street"


LEDGER_FIELDS = {
    SortingFacility: LedgerFields(date="recorded_on", kind="kind"),
    CollectionRecord: LedgerFields(date="collected_on", kind=None),
    PublicityActivity: LedgerFields(date="held_on", kind="kind"),
    SortingPerson: LedgerFields(date="since", kind="role"),
    HouseholdParticipation: LedgerFields(date="counted_on", kind=None, street="site__street"),
}


def _scoped(model, user, *, change: bool = False) -> QuerySet:
    if model is HouseholdParticipation:
        # A count belongs to its site: a deleted site's counts go with it.
        rows = model.objects.filter(site__deleted_at__isnull=True).select_related("site__street", "site__community")
        return scope_by_unit(rows, user, via="site__street", change=change)
    return scope_by_unit(model.objects.select_related(*PLACE), user, via="street", change=change)


def facilities_visible_to(user) -> QuerySet[SortingFacility]:
    return _scoped(SortingFacility, user)


def collection_records_visible_to(user) -> QuerySet[CollectionRecord]:
    return _scoped(CollectionRecord, user)


def publicity_activities_visible_to(user) -> QuerySet[PublicityActivity]:
    return _scoped(PublicityActivity, user)


def sorting_people_visible_to(user) -> QuerySet[SortingPerson]:
    return _scoped(SortingPerson, user)


def participation_visible_to(user) -> QuerySet[HouseholdParticipation]:
    return _scoped(HouseholdParticipation, user)


def ledger_streets(user, *, change: bool = False) -> QuerySet[Unit]:
    """The streets whose ledgers the user sees (or, with change, keeps)."""
    return scope_by_unit(Unit.objects.filter(kind=UnitKind.STREET), user, via="", change=change)


def ledger_communities(user, *, change: bool = False) -> QuerySet[Unit]:
    return scope_by_unit(Unit.objects.filter(kind=UnitKind.COMMUNITY), user, via="", change=change)


def ledger_filter(
    rows: QuerySet,
    *,
    street: Unit | int | None = None,
    community: Unit | int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    kind: str | None = None,
    site_kind: str | None = None,
) -> QuerySet:
    """Rows of any ledger narrowed by place, date range (inclusive) and kind."""
    fields = LEDGER_FIELDS[rows.model]
    site = "site" if rows.model is HouseholdParticipation else None
    if street:
        rows = rows.filter(**{fields.street: street})
    if community:
        rows = rows.filter(**{f"{site}__community" if site else "community": community})
    if date_from:
        rows = rows.filter(**{f"{fields.date}__gte": date_from})
    if date_to:
        rows = rows.filter(**{f"{fields.date}__lte": date_to})
    if kind and fields.kind:
        rows = rows.filter(**{fields.kind: kind})
    if site_kind:
        rows = rows.filter(site__kind=site_kind)
    return rows


def _tonnes(name: str):
    return Coalesce(Sum(name), Value(Decimal("0")), output_field=DecimalField(max_digits=14, decimal_places=3))


def collection_totals(records: QuerySet[CollectionRecord]) -> dict[str, Decimal | None]:
    """Tonnes of each category over the rows, their total, and (in %, None without waste)
    the kitchen-waste separation rate (分出率 = kitchen / total) and the recycling rate
    (recyclable / total), all in one query."""
    decimal = DecimalField(max_digits=20, decimal_places=6)
    total = Sum(F("recyclable_t") + F("hazardous_t") + F("kitchen_t") + F("other_t"), output_field=decimal)
    hundred = Value(Decimal("100"), output_field=decimal)
    # The aggregates' names must differ from the fields': Django would read "kitchen_t" as the sum.
    totals = records.order_by().aggregate(
        **{f"sum_{name}": _tonnes(name) for name in TONNES},
        sum_total_t=Coalesce(total, Value(Decimal("0")), output_field=decimal),
        sum_separation_rate=Sum("kitchen_t", output_field=decimal) * hundred / NullIf(total, Value(Decimal("0"))),
        sum_recycling_rate=Sum("recyclable_t", output_field=decimal) * hundred / NullIf(total, Value(Decimal("0"))),
    )
    return {name.removeprefix("sum_"): value for name, value in totals.items()}
