"""Which period a cycle covers when it runs on a day, and which district an issuer's cycle covers."""

import datetime

from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import PATH_SEPARATOR, Unit, UnitKind

from ..models import Cycle


def _month_start(year: int, month: int) -> datetime.date:
    # Months counted past December or before January roll into the neighbouring year.
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime.date(year, month, 1)


def cycle_period(cycle: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """daily → (day, day); weekly → the last complete Monday–Sunday week before `day`;
    monthly, quarterly, annual → the previous calendar month, quarter, year."""
    if cycle == Cycle.DAILY:
        return day, day
    if cycle == Cycle.WEEKLY:
        # The week `day` lies in is not complete before `day` (even on its Sunday).
        start = day - datetime.timedelta(days=day.weekday() + 7)
        return start, start + datetime.timedelta(days=6)
    if cycle == Cycle.MONTHLY:
        end = day.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if cycle == Cycle.QUARTERLY:
        quarter_start = _month_start(day.year, (day.month - 1) // 3 * 3 + 1)
        end = quarter_start - datetime.timedelta(days=1)
        return _month_start(end.year, end.month - 2), end
    if cycle == Cycle.ANNUAL:
        return datetime.date(day.year - 1, 1, 1), datetime.date(day.year - 1, 12, 31)
    raise ValueError(f"unknown cycle {cycle!r}")


def district_of_issuer(issuer) -> Unit:
    """The district (nearest ancestor of kind DISTRICT, or the unit itself) of an issuer's unit."""
    unit = issuer.unit
    codes = [code for code in unit.path.split(PATH_SEPARATOR) if code]
    district = Unit.objects.filter(code__in=codes, kind=UnitKind.DISTRICT).order_by("-depth").first()
    return district or unit


def cycle_issuers():
    """The DocumentIssuers that run the cycle: those of sorting offices (unit kind OFFICE)."""
    return DocumentIssuer.objects.filter(unit__kind=UnitKind.OFFICE, unit__is_active=True).select_related("unit")


CYCLES = [c.value for c in Cycle]
