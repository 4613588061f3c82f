"""How a total and a grade come from the experts' scores, and how long a grade lasts:
arithmetic only, no database."""

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from .models import ExpertScore, GradeThreshold

NO_SCORES = _("No expert has scored this application yet.")
INCOMPLETE_SCORES = _("%(expert)s has not scored every criterion.")
CENT = Decimal("0.01")


class GradingError(ValueError):
    """The scores do not give a total; `problems` says why."""

    def __init__(self, *problems):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


def application_total(scores: list[ExpertScore], criteria_count: int) -> Decimal:
    """The average over the experts of each expert's sum of points, to the cent."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for score in scores:
        sums[score.expert] += score.points
        counts[score.expert] += 1
    if not sums:
        raise GradingError(NO_SCORES)
    incomplete = [expert for expert, count in counts.items() if count != criteria_count]
    if incomplete:
        raise GradingError(*(INCOMPLETE_SCORES % {"expert": expert} for expert in incomplete))
    return (sum(sums.values()) / len(sums)).quantize(CENT, rounding=ROUND_HALF_UP)


def grade_for(thresholds: list[GradeThreshold], total: Decimal) -> str:
    """The highest grade whose threshold the total reaches; "" if none (not passed)."""
    for threshold in sorted(thresholds, key=lambda t: t.min_total, reverse=True):
        if total >= threshold.min_total:
            return threshold.grade
    return ""


def valid_until(rated_on: date, years: int) -> date:
    """The last day of a rating valid `years` years from the day of rating: the day before
    the same date that many years later (a rating of 29 February ends on 27 February)."""
    year = rated_on.year + years
    same_day = rated_on.replace(year=year, day=min(rated_on.day, calendar.monthrange(year, rated_on.month)[1]))
    return same_day - timedelta(days=1)
