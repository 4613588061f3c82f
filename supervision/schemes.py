"""Assessment schemes: which version is in force, new versions, putting a draft in force.

A version in force is never edited: the office edits a draft copy and puts it in force from a
date, so every inspection keeps pointing at the rules it was scored by.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import schemes_changeable_by
from .models import (
    AssessmentScheme,
    Criterion,
    DeductionRule,
    Inspection,
    ProblemType,
    SchemeStatus,
    ScoreSource,
)

NOT_A_DRAFT = _("Only a draft version of a scheme can be changed; make a new version first.")
DRAFT_EXISTS = _("This scheme already has a draft version %(version)s; change that one or delete it first.")
NOT_PERMITTED = _("You may not change the assessment schemes of this district.")
WEIGHTS_NOT_100 = _("The weights of the score sources add up to %(total)s%%, not 100%%.")
NO_CRITERIA = _("A scheme needs at least one criterion.")
WRONG_YEAR = _("A %(year)s scheme comes into force on a day of %(year)s.")
BEFORE_CURRENT = _("The new version cannot come into force before %(date)s, when version %(version)s did.")
INSPECTED_AFTER = _(
    "Inspections on or after %(date)s were already scored under version %(version)s; "
    "choose a later date for the new version."
)
NEWER_VERSION_EXISTS = _("Version %(version)s is newer and already in force; this draft is out of date.")
RULE_CRITERION_OTHER_SCHEME = _("The criterion of a deduction rule must belong to the same scheme.")

# What `scheme_update` may change; the rest (district, year, version, status) is the workflow's.
UPDATABLE_FIELDS = frozenset(
    {
        "title",
        "note",
        "serious_days",
        "general_days",
        "minor_days",
        "red_top",
        "red_min_score",
        "black_bottom",
        "black_max_score",
    }
)


def scheme_in_force(*, district, on: datetime.date) -> AssessmentScheme | None:
    """The version of `district`'s scheme for `on.year` that was in force on `on`: the highest
    version not in draft whose `in_force_from` is on or before `on`."""
    return (
        AssessmentScheme.objects.filter(district=district, year=on.year, in_force_from__lte=on)
        .exclude(status=SchemeStatus.DRAFT)
        .order_by("-version")
        .first()
    )


def criteria_for(*, scheme: AssessmentScheme, site_kind: str) -> list[Criterion]:
    """The criteria of `scheme` that count for a kind of site, in the scheme's order."""
    criteria = getattr(scheme, "_prefetched_objects_cache", {}).get("criteria")
    if criteria is None:
        criteria = Criterion.objects.filter(scheme=scheme).order_by("order", "id")
    return [c for c in criteria if c.applies_to(site_kind)]


def deduction_rules_of(*, scheme: AssessmentScheme) -> dict[int, DeductionRule]:
    """The scheme's deduction rules by problem type id, with their criteria."""
    rules = DeductionRule.objects.filter(scheme=scheme).select_related("criterion", "problem_type")
    return {rule.problem_type_id: rule for rule in rules}


def _check_changeable(*, scheme: AssessmentScheme, by) -> None:
    if not schemes_changeable_by(by).filter(pk=scheme.pk).exists():
        raise ValidationError(NOT_PERMITTED, code="not_permitted")


def _check_draft(scheme: AssessmentScheme) -> None:
    if scheme.status != SchemeStatus.DRAFT:
        raise ValidationError(NOT_A_DRAFT, code="not_a_draft")


def _locked(scheme: AssessmentScheme) -> AssessmentScheme:
    return AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)


@transaction.atomic
def scheme_new_version(*, scheme: AssessmentScheme, by, year: int | None = None) -> AssessmentScheme:
    """A draft copy (version + 1) of `scheme` with its sources, criteria and deduction rules.

    With `year`, the copy is the next version of that year's scheme instead (version 1 when the
    year has none yet): how next year's scheme starts from this year's.
    """
    _check_changeable(scheme=scheme, by=by)
    year = year or scheme.year
    # Lock the year's versions so two clerks copying at once do not both take the same number.
    versions = list(
        AssessmentScheme.objects.select_for_update()
        .filter(district_id=scheme.district_id, year=year)
        .values_list("version", "status")
    )
    draft = next((version for version, status in versions if status == SchemeStatus.DRAFT), None)
    if draft is not None:
        raise ValidationError(DRAFT_EXISTS, code="draft_exists", params={"version": draft})
    copy = AssessmentScheme.objects.create(
        district_id=scheme.district_id,
        year=year,
        version=max((version for version, _status in versions), default=0) + 1,
        title=scheme.title,
        status=SchemeStatus.DRAFT,
        in_force_from=None,
        note=scheme.note,
        serious_days=scheme.serious_days,
        general_days=scheme.general_days,
        minor_days=scheme.minor_days,
        red_top=scheme.red_top,
        red_min_score=scheme.red_min_score,
        black_bottom=scheme.black_bottom,
        black_max_score=scheme.black_max_score,
        created_by=by,
    )
    ScoreSource.objects.bulk_create(
        ScoreSource(scheme=copy, kind=s.kind, name=s.name, weight=s.weight, order=s.order) for s in scheme.sources.all()
    )
    old_criteria = list(scheme.criteria.all())
    new_criteria = Criterion.objects.bulk_create(
        Criterion(
            scheme=copy,
            name=c.name,
            points=c.points,
            description=c.description,
            site_kinds=list(c.site_kinds),
            order=c.order,
        )
        for c in old_criteria
    )
    criterion_map = {old.pk: new for old, new in zip(old_criteria, new_criteria, strict=True)}
    DeductionRule.objects.bulk_create(
        DeductionRule(
            scheme=copy,
            problem_type_id=rule.problem_type_id,
            criterion=criterion_map[rule.criterion_id],
            points=rule.points,
        )
        for rule in scheme.deduction_rules.all()
    )
    return copy


@transaction.atomic
def scheme_update(*, scheme: AssessmentScheme, by, **fields) -> AssessmentScheme:
    """Change a draft's title, note, rectification days or 红黑榜 settings."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"scheme_update() cannot change {', '.join(sorted(unknown))}")
    _check_changeable(scheme=scheme, by=by)
    locked = _locked(scheme)
    _check_draft(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["district", "created_by"], validate_unique=False)
    locked.save(update_fields=list(fields) or None)
    for name in fields:
        setattr(scheme, name, getattr(locked, name))
    return locked


@transaction.atomic
def scheme_delete_draft(*, scheme: AssessmentScheme, by) -> None:
    """Throw a draft version away (nothing can point at a draft)."""
    _check_changeable(scheme=scheme, by=by)
    locked = _locked(scheme)
    _check_draft(locked)
    locked.delete()


@transaction.atomic
def scheme_put_in_force(*, scheme: AssessmentScheme, on: datetime.date, by) -> AssessmentScheme:
    """Put a draft in force from `on`; earlier versions of the year become superseded (but keep
    scoring the inspections made under them). Refuses a scheme whose weights do not add to 100,
    that has no criteria, or whose date is before the version it replaces."""
    _check_changeable(scheme=scheme, by=by)
    # Lock every version of the year: two drafts must not both come into force at once.
    versions = list(
        AssessmentScheme.objects.select_for_update()
        .filter(district_id=scheme.district_id, year=scheme.year)
        .order_by("-version")
    )
    locked = next(v for v in versions if v.pk == scheme.pk)
    _check_draft(locked)
    if on.year != locked.year:
        raise ValidationError(WRONG_YEAR, code="wrong_year", params={"year": locked.year})
    total = ScoreSource.objects.filter(scheme=locked).aggregate(total=Sum("weight"))["total"] or Decimal(0)
    if total != 100:
        raise ValidationError(WEIGHTS_NOT_100, code="weights", params={"total": format(total.normalize(), "f")})
    if not Criterion.objects.filter(scheme=locked).exists():
        raise ValidationError(NO_CRITERIA, code="no_criteria")
    in_force = [v for v in versions if v.status != SchemeStatus.DRAFT]
    if in_force and in_force[0].version > locked.version:
        raise ValidationError(NEWER_VERSION_EXISTS, code="newer", params={"version": in_force[0].version})
    current = in_force[0] if in_force else None
    if current is not None:
        if current.in_force_from and on < current.in_force_from:
            raise ValidationError(
                BEFORE_CURRENT,
                code="before_current",
                params={"date": current.in_force_from, "version": current.version},
            )
        # An inspection already scored under the old version on or after `on` would then point at
        # a version that was not the one in force that day.
        since = timezone.make_aware(datetime.datetime.combine(on, datetime.time.min))
        # A deleted one too: restored, it would point at the wrong version.
        if Inspection.all_objects.filter(scheme__in=in_force, inspected_at__gte=since).exists():
            raise ValidationError(
                INSPECTED_AFTER, code="inspected_after", params={"date": on, "version": current.version}
            )
    AssessmentScheme.objects.filter(pk__in=[v.pk for v in in_force], status=SchemeStatus.IN_FORCE).update(
        status=SchemeStatus.SUPERSEDED
    )
    locked.status = SchemeStatus.IN_FORCE
    locked.in_force_from = on
    locked.save(update_fields=["status", "in_force_from"])
    scheme.status, scheme.in_force_from = locked.status, locked.in_force_from
    return locked


# Editing a draft's parts ---------------------------------------------------------------------


def _draft_for_change(*, scheme: AssessmentScheme, by) -> AssessmentScheme:
    _check_changeable(scheme=scheme, by=by)
    locked = _locked(scheme)
    _check_draft(locked)
    return locked


@transaction.atomic
def criterion_save(
    *,
    scheme: AssessmentScheme,
    by,
    name: str,
    points: Decimal,
    site_kinds: list[str] | None = None,
    description: str = "",
    order: int = 0,
    criterion: Criterion | None = None,
) -> Criterion:
    """Add a criterion to a draft, or change one of its criteria."""
    locked = _draft_for_change(scheme=scheme, by=by)
    if criterion is None:
        criterion = Criterion(scheme=locked)
    elif criterion.scheme_id != locked.pk:
        raise ValidationError(NOT_A_DRAFT, code="not_a_draft")
    criterion.name = name
    criterion.points = points
    criterion.site_kinds = [str(kind) for kind in site_kinds or []]
    criterion.description = description
    criterion.order = order
    criterion.full_clean(exclude=["scheme"])
    criterion.save()
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion, by) -> None:
    """Remove a criterion (and its deduction rules) from a draft."""
    _draft_for_change(scheme=criterion.scheme, by=by)
    criterion.delete()


@transaction.atomic
def source_save(
    *,
    scheme: AssessmentScheme,
    by,
    kind: str,
    name: str,
    weight: Decimal,
    order: int = 0,
    source: ScoreSource | None = None,
) -> ScoreSource:
    """Add a score source to a draft, or change one of its sources."""
    locked = _draft_for_change(scheme=scheme, by=by)
    if source is None:
        source = ScoreSource(scheme=locked)
    elif source.scheme_id != locked.pk:
        raise ValidationError(NOT_A_DRAFT, code="not_a_draft")
    source.kind, source.name, source.weight, source.order = kind, name, weight, order
    source.full_clean(exclude=["scheme"])
    source.save()
    return source


@transaction.atomic
def source_delete(*, source: ScoreSource, by) -> None:
    _draft_for_change(scheme=source.scheme, by=by)
    source.delete()


@transaction.atomic
def deduction_rule_set(
    *, scheme: AssessmentScheme, by, problem_type: ProblemType, criterion: Criterion, points: Decimal
) -> DeductionRule:
    """Set what a problem type costs under a draft (one rule per problem type)."""
    locked = _draft_for_change(scheme=scheme, by=by)
    if criterion.scheme_id != locked.pk:
        raise ValidationError(RULE_CRITERION_OTHER_SCHEME, code="criterion_scheme")
    rule = DeductionRule(scheme=locked, problem_type=problem_type, criterion=criterion, points=points)
    rule.full_clean(exclude=["scheme", "problem_type", "criterion"], validate_unique=False)
    rule, _created = DeductionRule.objects.update_or_create(
        scheme=locked, problem_type=problem_type, defaults={"criterion": criterion, "points": points}
    )
    return rule


@transaction.atomic
def deduction_rule_delete(*, rule: DeductionRule, by) -> None:
    _draft_for_change(scheme=rule.scheme, by=by)
    rule.delete()
