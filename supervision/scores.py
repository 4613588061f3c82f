"""Street scores for a period under the scheme, ranking, and the red and black lists (红黑榜)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class StreetScore:
    street: object
    inspections: int
    sites_inspected: int
    inspection_score: Decimal | None
    source_scores: dict = field(default_factory=dict)  # ScoreSource → Decimal | None
    total: Decimal | None = None
    rank: int | None = None
    listing: str = ""  # "red", "black" or ""


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of the week of `day`."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def street_scores(*, district, start: datetime.date, end: datetime.date) -> list[StreetScore]:
    """Every street of the district with its score for [start, end], best first."""
    raise NotImplementedError
