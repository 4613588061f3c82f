"""The clerks' rotation: which sites each clerk inspects today."""

import datetime
from dataclasses import dataclass

from .models import Assignment

DEFAULT_INTERVAL_DAYS = 14  # when the district set no interval for a site kind


def assignments_plan(*, district, day: datetime.date) -> list[Assignment]:
    """Create (idempotently) and return the day's assignments of the district's clerks."""
    raise NotImplementedError


@dataclass
class ClerkDay:
    day: datetime.date
    assignments: list
    awaiting_review: list
    inspections_done: list


def clerk_day(*, clerk, day: datetime.date) -> ClerkDay:
    raise NotImplementedError
