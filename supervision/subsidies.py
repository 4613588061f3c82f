"""Subsidy allocation (奖补资金): a rule turns a period's street scores into amounts, line by line."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .scores import BLACK, StreetScore, rounded, street_scores

ZERO = Decimal("0.00")

POOL_SHARE = _("Pool %(pool)s × score %(score)s ÷ %(sum)s = %(share)s")
POOL_BELOW_MINIMUM = _("Score %(score)s is below %(minimum)s: no share of the pool, %(share)s")
POOL_NOBODY = _("No street reached %(minimum)s: the pool is not shared, %(share)s")
NO_SCORE = _("No score for the period: no subsidy, %(total)s")
AWARD_FROM_TOP = _("Rank %(rank)s: award %(amount)s")
DEDUCTION_FROM_TOP = _("Rank %(rank)s: deduction %(amount)s")
AWARD_FROM_BOTTOM = _("Rank %(rank)s from the bottom: award %(amount)s")
DEDUCTION_FROM_BOTTOM = _("Rank %(rank)s from the bottom: deduction %(amount)s")
BLACK_LIST_DEDUCTION = _("On the black list: deduction %(amount)s")
LINE_TOTAL = _("Total %(share)s + %(award)s − %(deduction)s = %(total)s")
NEVER_NEGATIVE = _("A total cannot be negative: %(total)s is paid as %(paid)s")


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


def money(value: Decimal) -> str:
    """1234567.891 → "1,234,567.89": how amounts and scores appear in the working."""
    return f"{rounded(value):,.2f}"


def _rank_awards(score: StreetScore, *, bottom_rank: int, awards) -> tuple[Decimal, Decimal, list[str]]:
    award = deduction = ZERO
    working = []
    for rank_award in awards:
        rank = bottom_rank if rank_award.from_bottom else score.rank
        if rank_award.rank != rank:
            continue
        if rank_award.amount >= 0:
            award += rank_award.amount
            message = AWARD_FROM_BOTTOM if rank_award.from_bottom else AWARD_FROM_TOP
        else:
            deduction += -rank_award.amount
            message = DEDUCTION_FROM_BOTTOM if rank_award.from_bottom else DEDUCTION_FROM_TOP
        working.append(message % {"rank": rank, "amount": money(abs(rank_award.amount))})
    return award, deduction, working


def subsidy_allocate(*, rule, start: datetime.date, end: datetime.date, scores=None) -> SubsidyAllocation:
    """Each street's pool share, awards and deductions by rank, black-list deduction and total
    for [start, end], with the working a leader can check line by line. `scores`: the period's
    street_scores when the caller has them already."""
    if scores is None:
        scores = street_scores(district=rule.district, start=start, end=end)
    awards = list(rule.awards.all())
    ranked = [s for s in scores if s.rank is not None]
    shared = sum((s.total for s in ranked if s.total >= rule.pool_min_score), ZERO)

    lines = []
    for score in scores:
        if score.rank is None:
            lines.append(
                SubsidyLine(score.street, None, None, "", ZERO, ZERO, ZERO, ZERO, [NO_SCORE % {"total": money(ZERO)}])
            )
            continue
        working = []
        if score.total < rule.pool_min_score:
            share = ZERO
            working.append(
                POOL_BELOW_MINIMUM
                % {"score": money(score.total), "minimum": money(rule.pool_min_score), "share": money(share)}
            )
        elif not shared:
            share = ZERO
            working.append(POOL_NOBODY % {"minimum": money(rule.pool_min_score), "share": money(share)})
        else:
            share = rounded(rule.pool * score.total / shared)
            working.append(
                POOL_SHARE
                % {"pool": money(rule.pool), "score": money(score.total), "sum": money(shared), "share": money(share)}
            )
        # Counted from the bottom like ranks from the top: ties share the better (higher) place.
        bottom_rank = 1 + sum(1 for other in ranked if other.total < score.total)
        award, deduction, award_working = _rank_awards(score, bottom_rank=bottom_rank, awards=awards)
        working += award_working
        if score.listing == BLACK and rule.black_list_deduction:
            deduction += rule.black_list_deduction
            working.append(BLACK_LIST_DEDUCTION % {"amount": money(rule.black_list_deduction)})
        total = share + award - deduction
        working.append(
            LINE_TOTAL
            % {"share": money(share), "award": money(award), "deduction": money(deduction), "total": money(total)}
        )
        if total < 0:
            working.append(NEVER_NEGATIVE % {"total": money(total), "paid": money(ZERO)})
            total = ZERO
        lines.append(
            SubsidyLine(score.street, score.total, score.rank, score.listing, share, award, deduction, total, working)
        )
    return SubsidyAllocation(rule, start, end, lines, sum((line.total for line in lines), ZERO))
