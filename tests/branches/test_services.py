from datetime import date

import pytest
from django.core.exceptions import ValidationError

from plans.branches import services
from plans.branches.models import (
    NAME_TAKEN,
    AssessmentGrade,
    Branch,
    BranchStatus,
    BranchTerm,
    BranchTier,
    BranchYearPlan,
    grade_for,
)
from sanitation.core.history import history_of
from sanitation.organisations.models import Unit

from .conftest import add_term, make_branch


def test_renewal_follows_the_current_term_with_the_next_number(branch, secretary):
    term = add_term(branch, secretary, date(2027, 1, 1), date(2031, 12, 31), chair="郑文华")
    assert term.number == 3
    assert branch.current_term == term
    change = history_of(branch).filter(field=Branch.TERMS).first()
    assert change.user == secretary
    assert change.old.startswith("Term 2 2022-01-01 – 2026-12-31")
    assert change.new.startswith("Term 3 2027-01-01 – 2031-12-31")
    assert "郑文华" in change.new


def test_renewal_refuses_a_term_overlapping_the_current_one(branch, secretary):
    with pytest.raises(ValidationError) as error:
        add_term(branch, secretary, date(2026, 12, 1), date(2031, 11, 30))
    assert error.value.message_dict == {
        "starts_on": [str(services.TERM_OVERLAPS % {"term": "Term 2", "starts": "2022-01-01", "ends": "2026-12-31"})]
    }
    assert branch.terms.count() == 2
    assert not history_of(branch).filter(field=Branch.TERMS, new__startswith="Term 3").exists()


def test_renewal_refuses_a_term_before_the_current_one_and_a_number_not_after_it(branch, secretary):
    with pytest.raises(ValidationError) as error:
        add_term(branch, secretary, date(2010, 1, 1), date(2014, 12, 31))
    assert list(error.value.message_dict) == ["starts_on"]
    with pytest.raises(ValidationError) as error:
        add_term(branch, secretary, date(2027, 1, 1), date(2031, 12, 31), number=2)
    assert error.value.message_dict == {"number": [str(services.TERM_NUMBER_NOT_AFTER % {"number": 2})]}
    assert BranchTerm.objects.filter(branch=branch).count() == 2


def test_a_term_ends_after_it_starts(association, secretary):
    branch = make_branch(association, secretary)
    with pytest.raises(ValidationError) as error:
        add_term(branch, secretary, date(2026, 1, 1), date(2025, 12, 31))
    assert list(error.value.message_dict) == ["ends_on"]
    first = add_term(branch, secretary, date(2026, 1, 1), date(2030, 12, 31))
    assert first.number == 1


def test_correcting_a_term_is_checked_and_kept_in_the_history(branch, secretary):
    current = branch.current_term
    services.branch_term_correct(term=current, by=secretary, chair="王立")
    current.refresh_from_db()
    assert current.chair == "王立"
    assert "王立" in history_of(branch).filter(field=Branch.TERMS).first().new
    with pytest.raises(ValidationError):
        services.branch_term_correct(term=current, by=secretary, starts_on=date(2021, 6, 1))


def test_branch_update_records_each_change(branch, secretary):
    history = services.branch_update(
        branch=branch, by=secretary, tier=BranchTier.C, status=BranchStatus.RECTIFYING, field=branch.field
    )
    assert [(c.field, c.old, c.new) for c in history] == [("tier", "A", "C"), ("status", "active", "rectifying")]
    change = history_of(branch).get(field="tier")
    assert (change.field_label, change.old_shown, change.new_shown) == ("tier", "Tier A (key)", "Tier C (developing)")
    assert services.branch_update(branch=branch, by=secretary, tier=BranchTier.C) == []


def test_names_are_unique_within_the_association(branch, association, secretary):
    with pytest.raises(ValidationError) as error:
        make_branch(association, secretary, name=branch.name)
    assert str(NAME_TAKEN) in error.value.messages


def test_only_a_branch_unit_of_the_organisation_is_linked(association, secretary):
    with pytest.raises(ValidationError) as error:
        make_branch(association, secretary, unit=Unit.objects.get(code="CUEA-ZHB"))
    assert error.value.message_dict == {"unit": [str(services.UNIT_NOT_A_BRANCH)]}
    branch = make_branch(association, secretary, unit=Unit.objects.get(code="CUEA-FZ02"))
    assert branch.unit.code == "CUEA-FZ02"


def test_targets_then_assessment_with_the_grade_from_the_score(branch, secretary):
    services.branch_targets_set(branch=branch, year=2025, targets="召开年会", by=secretary)
    plan = services.branch_assess(branch=branch, year=2025, score=86, assessed_on=date(2026, 1, 15), by=secretary)
    assert (plan.score, plan.grade, plan.assessed_by) == (86, AssessmentGrade.GOOD, secretary)
    plan = services.branch_assess(
        branch=branch, year=2025, score=86, grade=AssessmentGrade.EXCELLENT, assessed_on=date(2026, 1, 16), by=secretary
    )
    assert BranchYearPlan.objects.get(branch=branch, year=2025).grade == AssessmentGrade.EXCELLENT
    changes = list(history_of(branch).filter(field=Branch.ASSESSMENT).values_list("old", "new"))
    assert changes == [
        ("2025: 86 · Good (2026-01-15)", "2025: 86 · Excellent (2026-01-16)"),
        ("", "2025: 86 · Good (2026-01-15)"),
    ]
    assert history_of(branch).filter(field=Branch.TARGETS, new="2025: 召开年会").exists()


def test_an_assessment_needs_targets_and_a_year_that_has_begun(branch, secretary):
    with pytest.raises(ValidationError) as error:
        services.branch_assess(branch=branch, year=2025, score=80, assessed_on=date(2026, 1, 1), by=secretary)
    assert error.value.message_dict == {"year": [str(services.NO_TARGETS % {"year": 2025})]}
    services.branch_targets_set(branch=branch, year=2027, targets="…", by=secretary)
    with pytest.raises(ValidationError) as error:
        services.branch_assess(branch=branch, year=2027, score=80, assessed_on=date(2026, 12, 1), by=secretary)
    assert list(error.value.message_dict) == ["assessed_on"]


@pytest.mark.parametrize(
    ("score", "grade"), [(100, "excellent"), (90, "excellent"), (89, "good"), (75, "good"), (60, "pass"), (59, "fail")]
)
def test_grade_for_score(score, grade):
    assert grade_for(score) == grade


def test_rewriting_the_same_targets_records_nothing(branch, secretary):
    services.branch_targets_set(branch=branch, year=2026, targets="A", by=secretary)
    services.branch_targets_set(branch=branch, year=2026, targets="A", by=secretary)
    services.branch_targets_set(branch=branch, year=2026, targets="B", by=secretary)
    assert list(history_of(branch).filter(field=Branch.TARGETS).values_list("old", "new")) == [
        ("A", "2026: B"),
        ("", "2026: A"),
    ]
