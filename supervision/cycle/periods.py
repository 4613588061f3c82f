"""Which period a cycle covers when it runs on a day, and which district an issuer's cycle covers."""

import datetime

from ..models import Cycle


def cycle_period(cycle: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """daily → (day, day); weekly → the last complete Monday–Sunday week before `day`;
    monthly, quarterly, annual → the previous calendar month, quarter, year."""
    raise NotImplementedError


def district_of_issuer(issuer):
    """The district (nearest ancestor of kind DISTRICT, or the unit itself) of an issuer's unit."""
    raise NotImplementedError


def cycle_issuers():
    """The DocumentIssuers that run the cycle: those of sorting offices (unit kind OFFICE)."""
    raise NotImplementedError


CYCLES = [c.value for c in Cycle]
