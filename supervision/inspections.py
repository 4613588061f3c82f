"""Recording an inspection: its scores under the scheme in force, its problems and photos,
and a rectification for every problem."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .models import Inspection, InspectionKind, Photo, ProblemType


@dataclass(frozen=True)
class ProblemInput:
    problem_type: ProblemType
    note: str = ""
    severity: str | None = None  # None: the problem type's usual severity
    photos: Sequence[Photo] = field(default_factory=tuple)  # staged photos of the recording user


def inspection_record(
    *,
    site,
    recorded_by,
    inspected_at: datetime.datetime | None = None,
    kind: str = InspectionKind.DAILY,
    inspectors: Sequence = (),
    scores: Mapping[int, Decimal] | None = None,
    problems: Sequence[ProblemInput] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    accuracy_m: int | None = None,
    note: str = "",
) -> Inspection:
    """Record an inspection (atomic). `scores` maps criterion id → score the inspector typed;
    a criterion not in it scores its points less the deductions of the problems found.
    Only criteria that apply to the site's kind count. Each problem opens a rectification
    for the site's street. The day's assignment of the site, if any, is marked done."""
    raise NotImplementedError
