"""Subsidy allocation (奖补资金): a rule turns a period's street scores into amounts, line by line."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class SubsidyLine:
    street: object
    score: Decimal | None
    rank: int | None
    listing: str
    pool_share: Decimal
    award: Decimal
    deduction: Decimal
    total: Decimal
    working: list[str] = field(default_factory=list)  # how each amount was reached, in words


@dataclass
class SubsidyAllocation:
    rule: object
    start: datetime.date
    end: datetime.date
    lines: list[SubsidyLine]
    total: Decimal


def subsidy_allocate(*, rule, start: datetime.date, end: datetime.date) -> SubsidyAllocation:
    raise NotImplementedError
