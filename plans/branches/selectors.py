"""Reads of the branch registry: what a user may see, and the lists with what they show."""

from datetime import date, timedelta

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from sanitation.organisations.models import Unit

from ..registry_access import registry_changeable_by, registry_visible_to
from .models import Branch, BranchStatus, BranchTerm, BranchYearPlan

DEFAULT_TERM_DAYS = 90


def branches_visible_to(user) -> QuerySet[Branch]:
    return registry_visible_to(Branch.objects.all(), user)


def branches_changeable_by(user) -> QuerySet[Branch]:
    return registry_changeable_by(Branch.objects.all(), user)


def _latest_terms() -> QuerySet[BranchTerm]:
    return BranchTerm.objects.order_by("-starts_on", "-number")


def with_term_end(branches: QuerySet[Branch]) -> QuerySet[Branch]:
    """Annotated with `current_term_ends_on`: the end of the latest term (None without terms)."""
    if "current_term_ends_on" in branches.query.annotations:
        return branches
    latest = _latest_terms().filter(branch=OuterRef("pk")).values("ends_on")[:1]
    return branches.annotate(current_term_ends_on=Subquery(latest))


def with_terms(branches: QuerySet[Branch]) -> QuerySet[Branch]:
    """With every branch's terms, latest first, in one more query: `current_term` needs no other."""
    return branches.prefetch_related(Prefetch("terms", queryset=_latest_terms(), to_attr="terms_latest_first"))


def with_listing(branches: QuerySet[Branch], *, year: int) -> QuerySet[Branch]:
    """What the lists show, in four queries whatever the number of branches: the terms
    (`current_term`), the plan of `year` (`year_plan`) and the latest assessment."""
    return with_terms(with_term_end(branches)).prefetch_related(
        Prefetch("year_plans", queryset=BranchYearPlan.objects.filter(year=year), to_attr="plans_of_year"),
        Prefetch(
            "year_plans",
            queryset=BranchYearPlan.objects.filter(score__isnull=False).order_by("-year"),
            to_attr="assessed_plans",
        ),
    )


def year_plan(branch: Branch) -> BranchYearPlan | None:
    """The plan of the year with_listing() was given, if the branch has one."""
    plans = getattr(branch, "plans_of_year", [])
    return plans[0] if plans else None


def latest_assessment(branch: Branch) -> BranchYearPlan | None:
    plans = getattr(branch, "assessed_plans", [])
    return plans[0] if plans else None


def branch_filter(branches: QuerySet[Branch], *, tier: str = "", status: str = "", q: str = "") -> QuerySet[Branch]:
    if tier:
        branches = branches.filter(tier=tier)
    if status:
        branches = branches.filter(status=status)
    if q:
        branches = branches.filter(Q(name__icontains=q) | Q(field__icontains=q) | Q(scope__icontains=q))
    return branches


def branch_years(branches: QuerySet[Branch], *, today: date) -> list[int]:
    """The years with targets among `branches`, and this year and next, latest first."""
    years = set(BranchYearPlan.objects.filter(branch__in=branches).values_list("year", flat=True).distinct())
    return sorted(years | {today.year, today.year + 1}, reverse=True)


def terms_ending(branches: QuerySet[Branch], *, today: date, days: int = DEFAULT_TERM_DAYS) -> QuerySet[Branch]:
    """Branches (not dissolved) whose current term ends within `days` of `today`, or has
    ended without a new one (`term_overdue`); overdue first, then by end date."""
    branches = with_term_end(branches.exclude(status=BranchStatus.DISSOLVED))
    branches = branches.filter(current_term_ends_on__lte=today + timedelta(days=days))
    overdue = ExpressionWrapper(Q(current_term_ends_on__lt=today), output_field=BooleanField())
    return branches.annotate(term_overdue=overdue).order_by("current_term_ends_on", "name", "pk")


def branches_with_terms_ending(
    organisation: Unit, today: date | None = None, days: int = DEFAULT_TERM_DAYS
) -> QuerySet[Branch]:
    """For other pages (a dashboard, a reminder): the organisation's branches due for
    renewal (换届) within `days`, overdue ones first; each has `current_term` prefetched."""
    today = today or timezone.localdate()
    branches = terms_ending(Branch.objects.filter(organisation=organisation), today=today, days=days)
    return with_terms(branches)
