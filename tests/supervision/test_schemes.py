"""Assessment schemes: the version in force on a day, new versions, putting a draft in force."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from classification.models import SiteKind
from supervision import schemes
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import AssessmentScheme, Criterion, DeductionRule, SchemeStatus, ScoreSource, SourceKind
from supervision.schemes import (
    criteria_for,
    scheme_in_force,
    scheme_new_version,
    scheme_put_in_force,
    scheme_update,
)

from .conftest import scheme_build


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def refused(constant, call, **params):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.messages == [str(constant) % params if params else str(constant)]


def test_the_scheme_in_force_on_a_day(scheme, district, other_district):
    assert scheme_in_force(district=district, on=datetime.date(2026, 1, 1)) == scheme
    assert scheme_in_force(district=district, on=datetime.date(2026, 12, 31)) == scheme
    assert scheme_in_force(district=district, on=datetime.date(2025, 12, 31)) is None  # another year
    assert scheme_in_force(district=other_district, on=datetime.date(2026, 6, 1)) is None


def test_a_scheme_is_in_force_from_its_date_only(district):
    later = scheme_build(district, in_force_from=datetime.date(2026, 3, 1))
    assert scheme_in_force(district=district, on=datetime.date(2026, 2, 28)) is None
    assert scheme_in_force(district=district, on=datetime.date(2026, 3, 1)) == later


def test_a_draft_is_never_in_force(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    # Even given a date, a draft does not count until it is put in force.
    AssessmentScheme.objects.filter(pk=draft.pk).update(in_force_from=datetime.date(2026, 2, 1))
    assert scheme_in_force(district=scheme.district, on=datetime.date(2026, 6, 1)) == scheme


def test_a_new_version_is_a_draft_copy_with_every_part(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)

    assert (draft.version, draft.status, draft.in_force_from) == (2, SchemeStatus.DRAFT, None)
    assert (draft.district, draft.year, draft.title, draft.created_by) == (
        scheme.district,
        2026,
        scheme.title,
        clerk,
    )
    assert (draft.general_days, draft.red_top, draft.black_max_score) == (7, 3, Decimal(60))
    assert [(s.kind, s.name, s.weight) for s in draft.sources.all()] == [
        (SourceKind.INSPECTION, "日常督查", Decimal(60)),
        (SourceKind.THIRD_PARTY, "第三方测评", Decimal(30)),
        (SourceKind.PUBLIC_OPINION, "群众评议", Decimal(10)),
    ]
    copied = [(c.name, c.points, c.site_kinds) for c in draft.criteria.all()]
    assert copied == [(c.name, c.points, c.site_kinds) for c in scheme.criteria.all()]
    assert len(copied) == 6
    rules = {
        r.problem_type.code: (r.criterion.name, r.points, r.criterion.scheme_id) for r in draft.deduction_rules.all()
    }
    assert rules["mixed-disposal"] == ("分类效果", Decimal(5), draft.pk)
    assert rules["damaged-bins"] == ("设施投放", Decimal(5), draft.pk)
    assert len(rules) == 7
    # The original is untouched.
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.IN_FORCE
    assert scheme.criteria.count() == 6


def test_only_one_draft_at_a_time(scheme, clerk):
    scheme_new_version(scheme=scheme, by=clerk)
    refused(schemes.DRAFT_EXISTS, lambda: scheme_new_version(scheme=scheme, by=clerk), version=2)


def test_next_years_scheme_starts_from_this_years(scheme, clerk):
    next_year = scheme_new_version(scheme=scheme, by=clerk, year=2027)
    assert (next_year.year, next_year.version, next_year.status) == (2027, 1, SchemeStatus.DRAFT)
    assert next_year.criteria.count() == 6


def test_a_draft_can_be_changed_and_a_scheme_in_force_cannot(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    scheme_update(scheme=draft, by=clerk, title="2026年考核办法（修订）", general_days=5)
    draft.refresh_from_db()
    assert (draft.title, draft.general_days) == ("2026年考核办法（修订）", 5)

    refused(schemes.NOT_A_DRAFT, lambda: scheme_update(scheme=scheme, by=clerk, title="改"))
    refused(
        schemes.NOT_A_DRAFT,
        lambda: schemes.criterion_save(scheme=scheme, by=clerk, name="新指标", points=Decimal(5)),
    )
    scheme.refresh_from_db()
    assert scheme.title != "改"
    with pytest.raises(TypeError):
        scheme_update(scheme=draft, by=clerk, status=SchemeStatus.IN_FORCE)
    with pytest.raises(ValidationError):
        scheme_update(scheme=draft, by=clerk, red_min_score=Decimal(120))


def test_a_drafts_parts_are_edited_through_the_services(scheme, clerk, problem_types):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    publicity = draft.criteria.get(name="宣传动员")
    schemes.criterion_save(
        scheme=draft, by=clerk, criterion=publicity, name="宣传动员", points=Decimal(10), order=publicity.order
    )
    extra = schemes.criterion_save(
        scheme=draft, by=clerk, name="督导值守", points=Decimal(5), site_kinds=[SiteKind.MANAGED_ESTATE], order=9
    )
    rule = schemes.deduction_rule_set(
        scheme=draft, by=clerk, problem_type=problem_types["supervisor-absent"], criterion=extra, points=Decimal(2)
    )
    assert (rule.criterion, rule.points) == (extra, Decimal(2))
    assert DeductionRule.objects.filter(scheme=draft, problem_type=problem_types["supervisor-absent"]).count() == 1
    other = scheme.criteria.get(name="宣传动员")
    refused(
        schemes.RULE_CRITERION_OTHER_SCHEME,
        lambda: schemes.deduction_rule_set(
            scheme=draft, by=clerk, problem_type=problem_types["odour"], criterion=other, points=Decimal(1)
        ),
    )
    public = draft.sources.get(name="群众评议")
    schemes.source_delete(source=public, by=clerk)
    schemes.source_save(scheme=draft, by=clerk, kind=SourceKind.OTHER, name="专项考核", weight=Decimal(10), order=2)

    assert criteria_for(scheme=draft, site_kind=SiteKind.SCHOOL)[0].points == Decimal(10)
    assert [c.name for c in criteria_for(scheme=draft, site_kind=SiteKind.MANAGED_ESTATE)][-1] == "督导值守"
    assert scheme.criteria.get(name="宣传动员").points == Decimal(15)  # version 1 unchanged


def test_criteria_for_a_kind_of_site(scheme):
    school = [c.name for c in criteria_for(scheme=scheme, site_kind=SiteKind.SCHOOL)]
    estate = [c.name for c in criteria_for(scheme=scheme, site_kind=SiteKind.MANAGED_ESTATE)]
    assert school == ["宣传动员", "设施投放", "标识指引", "台账建立", "分类效果"]
    assert estate == ["宣传动员", "设施投放", "标识指引", "台账建立", "示范创建", "分类效果"]


def test_putting_a_draft_in_force_supersedes_the_earlier_version(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    put = scheme_put_in_force(scheme=draft, on=datetime.date(2026, 7, 1), by=clerk)

    assert (put.status, put.in_force_from) == (SchemeStatus.IN_FORCE, datetime.date(2026, 7, 1))
    assert (draft.status, draft.in_force_from) == (SchemeStatus.IN_FORCE, datetime.date(2026, 7, 1))
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.SUPERSEDED
    assert scheme_in_force(district=scheme.district, on=datetime.date(2026, 6, 30)) == scheme
    assert scheme_in_force(district=scheme.district, on=datetime.date(2026, 7, 1)) == draft


def test_inspections_keep_the_version_they_were_scored_by(scheme, sites, clerk, problem_types):
    estate = sites[0]
    before = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(datetime.date(2026, 6, 10)),
        problems=[ProblemInput(problem_types["mixed-disposal"])],
    )
    draft = scheme_new_version(scheme=scheme, by=clerk)
    # Version 2 makes 混投 cost 8 points instead of 5.
    schemes.deduction_rule_set(
        scheme=draft,
        by=clerk,
        problem_type=problem_types["mixed-disposal"],
        criterion=draft.criteria.get(name="分类效果"),
        points=Decimal(8),
    )
    scheme_put_in_force(scheme=draft, on=datetime.date(2026, 8, 1), by=clerk)
    july = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(datetime.date(2026, 7, 31), hour=23),
        problems=[ProblemInput(problem_types["mixed-disposal"])],
    )
    after = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(datetime.date(2026, 8, 1), hour=8),
        problems=[ProblemInput(problem_types["mixed-disposal"])],
    )

    before.refresh_from_db()
    assert (before.scheme, before.score) == (scheme, Decimal(95))
    assert before.problems.get().criterion.scheme == scheme
    assert {s.criterion.scheme_id for s in before.criterion_scores.select_related("criterion")} == {scheme.pk}
    assert (july.scheme, july.score) == (scheme, Decimal(95))
    assert (after.scheme, after.score) == (draft, Decimal(92))
    assert {s.criterion.scheme_id for s in after.criterion_scores.select_related("criterion")} == {draft.pk}


def test_weights_must_add_up_to_100(scheme, clerk, english):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    ScoreSource.objects.filter(scheme=draft, name="群众评议").delete()
    refused(
        schemes.WEIGHTS_NOT_100,
        lambda: scheme_put_in_force(scheme=draft, on=datetime.date(2026, 7, 1), by=clerk),
        total="90",
    )
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT


def test_a_scheme_needs_criteria(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    Criterion.objects.filter(scheme=draft).delete()
    refused(schemes.NO_CRITERIA, lambda: scheme_put_in_force(scheme=draft, on=datetime.date(2026, 7, 1), by=clerk))


def test_a_new_version_cannot_start_before_the_one_it_replaces(district, clerk):
    current = scheme_build(district, in_force_from=datetime.date(2026, 3, 1))
    draft = scheme_new_version(scheme=current, by=clerk)
    refused(
        schemes.BEFORE_CURRENT,
        lambda: scheme_put_in_force(scheme=draft, on=datetime.date(2026, 2, 1), by=clerk),
        date=datetime.date(2026, 3, 1),
        version=1,
    )
    assert scheme_put_in_force(scheme=draft, on=datetime.date(2026, 3, 1), by=clerk).status == SchemeStatus.IN_FORCE


def test_a_new_version_cannot_start_before_inspections_already_scored(scheme, sites, clerk):
    inspection_record(site=sites[0], recorded_by=clerk, inspected_at=at(datetime.date(2026, 6, 10)))
    draft = scheme_new_version(scheme=scheme, by=clerk)
    refused(
        schemes.INSPECTED_AFTER,
        lambda: scheme_put_in_force(scheme=draft, on=datetime.date(2026, 6, 10), by=clerk),
        date=datetime.date(2026, 6, 10),
        version=1,
    )
    assert scheme_put_in_force(scheme=draft, on=datetime.date(2026, 6, 11), by=clerk).version == 2


def test_a_scheme_comes_into_force_within_its_year(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    refused(
        schemes.WRONG_YEAR,
        lambda: scheme_put_in_force(scheme=draft, on=datetime.date(2027, 1, 1), by=clerk),
        year=2026,
    )


def test_only_a_draft_is_put_in_force(scheme, clerk):
    refused(schemes.NOT_A_DRAFT, lambda: scheme_put_in_force(scheme=scheme, on=datetime.date(2026, 7, 1), by=clerk))


def test_leaders_street_staff_and_other_districts_may_not_change_schemes(scheme, leader, street_user, outsider, clerk):
    for user in (leader, street_user, outsider):
        refused(schemes.NOT_PERMITTED, lambda user=user: scheme_new_version(scheme=scheme, by=user))
    draft = scheme_new_version(scheme=scheme, by=clerk)
    for user in (leader, street_user, outsider):
        refused(
            schemes.NOT_PERMITTED,
            lambda user=user: scheme_put_in_force(scheme=draft, on=datetime.date(2026, 7, 1), by=user),
        )
        refused(schemes.NOT_PERMITTED, lambda user=user: scheme_update(scheme=draft, by=user, title="x"))
    assert AssessmentScheme.objects.filter(district=scheme.district).count() == 2
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT


def test_a_draft_can_be_thrown_away_and_a_scheme_in_force_cannot(scheme, clerk):
    draft = scheme_new_version(scheme=scheme, by=clerk)
    schemes.scheme_delete_draft(scheme=draft, by=clerk)
    assert not AssessmentScheme.objects.filter(pk=draft.pk).exists()
    refused(schemes.NOT_A_DRAFT, lambda: schemes.scheme_delete_draft(scheme=scheme, by=clerk))
    # With the draft gone, a new one can be made (and takes the next number again).
    assert scheme_new_version(scheme=scheme, by=clerk).version == 2
