"""Indicator providers computed from the collection ledger (separation rate)."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from plans import indicators

from .indicators import district_of
from .models import CollectionRecord
from .rates import records_in_period, separation_rates


def district_separation_rate(*, district, start: date, end: date) -> Decimal | None:
    """The district's kitchen-waste separation rate (%) from `start` to `end`, as the dashboard shows it."""
    records = CollectionRecord.objects.filter(street__path__startswith=district.path)
    rows = separation_rates(records_in_period(records, start=start, end=end), by="district")
    return rows[0].separation_rate if rows else None


@indicators.provider("classification.separation_rate", _("Kitchen-waste separation rate (%)"))
def separation_rate(indicator, as_of: date) -> Decimal | None:
    """Over the plan's year up to `as_of`, in the district of the unit that issued the plan."""
    plan = indicator.item.plan
    district = district_of(plan.issuer)
    if district is None:
        return None
    return district_separation_rate(
        district=district, start=date(plan.year, 1, 1), end=min(as_of, date(plan.year, 12, 31))
    )
