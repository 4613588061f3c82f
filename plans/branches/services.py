"""Writes to the branch registry. Each one locks the branch, checks, writes, and records
who did what in the branch's history (core.Change)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sanitation.core.history import record, record_changes
from sanitation.core.models import Change, ChangeAction
from sanitation.organisations.models import Unit, UnitKind

from .models import (
    SCORE_RANGE,
    TERM_ENDS_BEFORE_START,
    AssessmentGrade,
    Branch,
    BranchTerm,
    BranchYearPlan,
    grade_for,
)

EDITABLE_BRANCH_FIELDS = ("name", "field", "scope", "founded_on", "unit", "tier", "tier_reason", "status")
TERM_OVERLAPS = _("The term overlaps %(term)s (%(starts)s – %(ends)s): a new term starts after the last one ends.")
TERM_NUMBER_NOT_AFTER = _("The new term's number must be greater than %(number)d, the current term's.")
TERM_STARTS_BEFORE_CURRENT = _("A new term starts after the current one (%(term)s, from %(starts)s).")
UNIT_NOT_A_BRANCH = _("Choose a branch unit of the association.")
NO_TARGETS = _("Write the targets of %(year)d before assessing it.")
ASSESSED_BEFORE_YEAR = _("An assessment of %(year)d is dated in %(year)d or later.")


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def term_text(term: BranchTerm) -> str:
    """第3届 2026-01-01 – 2030-12-31 · 主任委员 … · 秘书长 …, as the history shows a term."""
    parts = [f"{term.label} {_shown(term.starts_on)} – {_shown(term.ends_on)}"]
    if term.chair:
        parts.append(f"{BranchTerm._meta.get_field('chair').verbose_name}: {term.chair}")
    if term.secretary_general:
        parts.append(f"{BranchTerm._meta.get_field('secretary_general').verbose_name}: {term.secretary_general}")
    return " · ".join(str(part) for part in parts)


def _lock(branch: Branch) -> Branch:
    return Branch.objects.select_for_update().get(pk=branch.pk)


def _check_unit(organisation: Unit, unit: Unit | None) -> None:
    if unit is not None and (unit.kind != UnitKind.BRANCH or unit.organisation_path != organisation.path):
        raise ValidationError({"unit": UNIT_NOT_A_BRANCH})


# Branches ---------------------------------------------------------------------------------


@transaction.atomic
def branch_create(*, organisation: Unit, by, name: str, **values) -> Branch:
    """Register a branch; `values` are among EDITABLE_BRANCH_FIELDS."""
    unknown = set(values) - set(EDITABLE_BRANCH_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))}: not branch fields")
    branch = Branch(organisation=organisation, name=name, **values)
    _check_unit(organisation, branch.unit)
    branch.full_clean()
    branch.save()
    record(branch, by=by, action=ChangeAction.CREATED, new=branch.name)
    return branch


@transaction.atomic
def branch_update(*, branch: Branch, by, **changes) -> list[Change]:
    """Change a branch's fields, and write down each change."""
    branch = _lock(branch)
    diffs = {}
    for name, value in changes.items():
        if name not in EDITABLE_BRANCH_FIELDS:
            raise ValueError(f"{name} is not an editable branch field")
        old = getattr(branch, name)
        if old != value:
            setattr(branch, name, value)
            diffs[name] = (old, value)
    if not diffs:
        return []
    _check_unit(branch.organisation, branch.unit)
    branch.full_clean()
    branch.save()
    return record_changes(branch, diffs, by=by)


# Terms ------------------------------------------------------------------------------------


def term_problems(
    terms: list[BranchTerm], *, number: int, starts_on: date, ends_on: date, replacing: BranchTerm | None = None
) -> dict[str, str]:
    """What is wrong with a term among a branch's `terms` (latest first), by field; none
    if it may be recorded. With `replacing`, the term corrects that one instead of
    following it. Shared by the service and the Excel import, which reports per row."""
    if ends_on <= starts_on:
        return {"ends_on": str(TERM_ENDS_BEFORE_START)}
    others = [term for term in terms if replacing is None or term.pk != replacing.pk]
    current = others[0] if others else None
    if replacing is None and current is not None:
        if number <= current.number:
            return {"number": str(TERM_NUMBER_NOT_AFTER % {"number": current.number})}
        if starts_on <= current.starts_on:
            return {"starts_on": str(TERM_STARTS_BEFORE_CURRENT % {"term": current.label, "starts": current.starts_on})}
    for term in others:
        if term.starts_on <= ends_on and starts_on <= term.ends_on:
            values = {"term": term.label, "starts": _shown(term.starts_on), "ends": _shown(term.ends_on)}
            return {"starts_on": str(TERM_OVERLAPS % values)}
    return {}


def _terms_latest_first(branch: Branch) -> list[BranchTerm]:
    return list(branch.terms.order_by("-starts_on", "-number"))


@transaction.atomic
def branch_term_renew(
    *,
    branch: Branch,
    by,
    starts_on: date,
    ends_on: date,
    number: int | None = None,
    chair: str = "",
    secretary_general: str = "",
) -> BranchTerm:
    """Record a new term (换届) after the current one; refuses one that overlaps another.
    The number defaults to the current term's plus one (1 for a branch's first term)."""
    branch = _lock(branch)
    terms = _terms_latest_first(branch)
    if number is None:
        number = terms[0].number + 1 if terms else 1
    problems = term_problems(terms, number=number, starts_on=starts_on, ends_on=ends_on)
    if problems:
        raise ValidationError(problems)
    term = BranchTerm(
        branch=branch,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        chair=chair,
        secretary_general=secretary_general,
        recorded_by=by,
    )
    term.full_clean()
    term.save()
    old = term_text(terms[0]) if terms else ""
    record(branch, by=by, field=Branch.TERMS, old=old, new=term_text(term))
    return term


@transaction.atomic
def branch_term_correct(*, term: BranchTerm, by, **changes) -> BranchTerm:
    """Correct a recorded term's dates or officers (a typo, a chair who changed mid-term)."""
    branch = _lock(term.branch)
    term = BranchTerm.objects.select_for_update().get(pk=term.pk)
    before = term_text(term)
    for name, value in changes.items():
        if name not in ("starts_on", "ends_on", "chair", "secretary_general"):
            raise ValueError(f"{name} cannot be corrected on a term")
        setattr(term, name, value)
    after = term_text(term)
    if after == before:
        return term
    problems = term_problems(
        _terms_latest_first(branch), number=term.number, starts_on=term.starts_on, ends_on=term.ends_on, replacing=term
    )
    if problems:
        raise ValidationError(problems)
    term.recorded_by = by
    term.full_clean()
    term.save()
    record(branch, by=by, field=Branch.TERMS, old=before, new=after)
    return term


# Year plans and assessments ---------------------------------------------------------------


@transaction.atomic
def branch_targets_set(*, branch: Branch, year: int, targets: str, by) -> BranchYearPlan:
    """Write (or rewrite) a branch's work targets for a year."""
    branch = _lock(branch)
    plan, created = BranchYearPlan.objects.get_or_create(
        branch=branch, year=year, defaults={"targets": targets, "targets_by": by}
    )
    old = "" if created else plan.targets
    if not created:
        if plan.targets == targets:
            return plan
        plan.targets, plan.targets_by = targets, by
    plan.full_clean()
    plan.save()
    record(branch, by=by, field=Branch.TARGETS, old=old, new=f"{year}: {targets}")
    return plan


def assessment_text(plan: BranchYearPlan) -> str:
    if not plan.is_assessed:
        return ""
    return f"{plan.year}: {plan.score} · {plan.get_grade_display()} ({_shown(plan.assessed_on)})"


@transaction.atomic
def branch_assess(
    *, branch: Branch, year: int, score: int, assessed_on: date, by, grade: str = "", comments: str = ""
) -> BranchYearPlan:
    """The secretariat's assessment of a branch's year; a second one replaces the first.
    Without a grade, the score gives it (grade_for)."""
    branch = _lock(branch)
    plan = BranchYearPlan.objects.select_for_update().filter(branch=branch, year=year).first()
    if plan is None:
        raise ValidationError({"year": NO_TARGETS % {"year": year}})
    if year > assessed_on.year:
        raise ValidationError({"assessed_on": ASSESSED_BEFORE_YEAR % {"year": year}})
    if not 0 <= score <= 100:
        raise ValidationError({"score": SCORE_RANGE})
    old = assessment_text(plan)
    plan.score = score
    plan.grade = grade or grade_for(score)
    AssessmentGrade(plan.grade)  # an unknown grade is a programming error, not the user's
    plan.comments = comments
    plan.assessed_on = assessed_on
    plan.assessed_by = by
    plan.full_clean()
    plan.save()
    record(branch, by=by, field=Branch.ASSESSMENT, old=old, new=assessment_text(plan))
    return plan
