"""Street scores for a period under the scheme, ranking, and the red and black lists (红黑榜).

The office's documented weighting: a site's inspection score is the mean percent of its
inspections in the period, and a street's is the mean over its inspected sites, so that a
problem site visited every other day does not outweigh the rest of the street. The street's
total weighs the scheme's sources (inspections, third-party evaluation, public opinion …)
over those that have a score, so a total can be published before every source is in.
"""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.models import Unit, UnitKind

from .models import Inspection, SourceKind, StreetSourceScore
from .schemes import scheme_in_force

TWO_PLACES = Decimal("0.01")
RED = "red"
BLACK = "black"

_IN_FORCE = object()  # street_scores' default: look the scheme up

PERIOD_KINDS = {
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
}


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


def rounded(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of the week of `day`."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day of the week, month, quarter or year that contains `day`."""
    if kind == "week":
        return week_of(day)
    if kind == "month":
        first_month = last_month = day.month
    elif kind == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        last_month = first_month + 2
    elif kind == "year":
        first_month, last_month = 1, 12
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    last_day = calendar.monthrange(day.year, last_month)[1]
    return datetime.date(day.year, first_month, 1), datetime.date(day.year, last_month, last_day)


def previous_period(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of the same kind just before the one that contains `day`."""
    start, _end = period_bounds(kind, day)
    return period_bounds(kind, start - datetime.timedelta(days=1))


def period_span(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, the day after end 00:00) in local time: the instants of the days start..end."""
    return (
        timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)),
        timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)),
    )


def inspection_scores(*, district, periods: list[tuple[datetime.date, datetime.date]]) -> list[dict]:
    """For each period, street id → (mean of its sites' mean percent, inspections, sites inspected):
    one query over all the periods (the weekly report ranks this week beside the last)."""
    spans = [period_span(start, end) for start, end in periods]
    label = Case(
        *(
            When(inspected_at__gte=since, inspected_at__lt=until, then=Value(n))
            for n, (since, until) in enumerate(spans)
        ),
    )
    per_site = (
        Inspection.objects.filter(
            street__parent=district,
            inspected_at__gte=min(since for since, _until in spans),
            inspected_at__lt=max(until for _since, until in spans),
        )
        .annotate(period=label)
        .exclude(period=None)
        .values("period", "street_id", "site_id")
        .annotate(mean=Avg("percent"), visits=Count("id"))
        .order_by()
    )
    means = [defaultdict(list) for _ in spans]
    visits = [defaultdict(int) for _ in spans]
    for row in per_site:
        means[row["period"]][row["street_id"]].append(Decimal(row["mean"]))
        visits[row["period"]][row["street_id"]] += row["visits"]
    return [
        {
            street_id: (rounded(sum(site_means) / len(site_means)), counted[street_id], len(site_means))
            for street_id, site_means in by_street.items()
        }
        for by_street, counted in zip(means, visits, strict=True)
    ]


def _weighted_total(scores_by_source: dict) -> Decimal | None:
    weighed = [(source.weight, score) for source, score in scores_by_source.items() if score is not None]
    weights = sum((weight for weight, _score in weighed), Decimal(0))
    if not weighed or not weights:
        return None
    return rounded(sum((weight * score for weight, score in weighed), Decimal(0)) / weights)


def _rank(scores: list[StreetScore]) -> list[StreetScore]:
    """Best first; ties share a rank (1, 2, 2, 4); streets without a total unranked, last."""
    ranked = sorted((s for s in scores if s.total is not None), key=lambda s: -s.total)
    for position, score in enumerate(ranked, start=1):
        previous = ranked[position - 2] if position > 1 else None
        score.rank = previous.rank if previous is not None and previous.total == score.total else position
    return ranked + [s for s in scores if s.total is None]


def _list(ranked: list[StreetScore], scheme) -> None:
    count = len(ranked)
    for score in ranked:
        red = score.rank <= scheme.red_top and score.total >= scheme.red_min_score
        black = score.rank > count - scheme.black_bottom or score.total < scheme.black_max_score
        score.listing = RED if red else BLACK if black else ""


def street_scores(
    *, district, start: datetime.date, end: datetime.date, scheme=_IN_FORCE, by_inspection=None
) -> list[StreetScore]:
    """Every street of the district with its score for [start, end], best first.

    The scheme in force on `end` gives the sources' weights and the list thresholds (a caller
    that already looked it up passes it as `scheme`, None included). Without any scheme the
    inspections alone make the total and nobody is listed red or black, since the lists exist
    only by a scheme's rule.
    """
    if scheme is _IN_FORCE:
        scheme = scheme_in_force(district=district, on=end)
    sources = list(scheme.sources.all()) if scheme is not None else []
    if by_inspection is None:  # or the caller's, from inspection_scores over several periods
        by_inspection = inspection_scores(district=district, periods=[(start, end)])[0]
    reported: dict[tuple[int, int], Decimal] = {}
    if sources:
        rows = StreetSourceScore.objects.filter(
            source__scheme=scheme, street__parent=district, period_start=start, period_end=end
        ).values_list("source_id", "street_id", "score")
        reported = {(source_id, street_id): score for source_id, street_id, score in rows}

    scores = []
    streets = Unit.objects.filter(parent=district, kind=UnitKind.STREET).order_by("sort_order", "path")
    for street in streets:
        inspection_score, visits, sites = by_inspection.get(street.pk, (None, 0, 0))
        source_scores = {
            source: inspection_score if source.kind == SourceKind.INSPECTION else reported.get((source.pk, street.pk))
            for source in sources
        }
        has_data = inspection_score is not None or any(v is not None for v in source_scores.values())
        if not street.is_active and not has_data:
            continue  # a street merged away long ago has no place in this period's table
        total = _weighted_total(source_scores) if scheme is not None else inspection_score
        scores.append(StreetScore(street, visits, sites, inspection_score, source_scores, total))

    scores = _rank(scores)
    if scheme is not None:
        _list([s for s in scores if s.rank is not None], scheme)
    return scores


def red_black_lists(scores: list[StreetScore]) -> tuple[list[StreetScore], list[StreetScore]]:
    """The red list and the black list (红榜, 黑榜) of a ranking, each in rank order."""
    return [s for s in scores if s.listing == RED], [s for s in scores if s.listing == BLACK]
