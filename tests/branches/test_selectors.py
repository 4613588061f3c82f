from datetime import date, timedelta

from plans.branches import services
from plans.branches.models import BranchStatus
from plans.branches.selectors import branches_with_terms_ending

from .conftest import TODAY, add_term, make_branch


def _branch_ending(association, secretary, name, days, **values):
    branch = make_branch(association, secretary, name=name, **values)
    ends_on = TODAY + timedelta(days=days)
    add_term(branch, secretary, ends_on - timedelta(days=5 * 365), ends_on, chair=f"{name}主任")
    return branch


def test_terms_ending_within_the_days_and_overdue_first(association, secretary):
    soon = _branch_ending(association, secretary, "甲委员会", 40)
    later = _branch_ending(association, secretary, "乙委员会", 89)
    overdue = _branch_ending(association, secretary, "丙委员会", -30)
    _branch_ending(association, secretary, "丁委员会", 91)
    _branch_ending(association, secretary, "戊委员会", 10, status=BranchStatus.DISSOLVED)
    make_branch(association, secretary, name="己委员会")  # no term recorded

    found = list(branches_with_terms_ending(association, TODAY))
    assert found == [overdue, soon, later]
    assert [b.term_overdue for b in found] == [True, False, False]
    assert [(b.current_term_ends_on - TODAY).days for b in found] == [-30, 40, 89]
    assert found[1].current_term.chair == "甲委员会主任"
    assert [b.name for b in branches_with_terms_ending(association, TODAY, days=50)] == ["丙委员会", "甲委员会"]


def test_a_renewed_branch_is_no_longer_due(association, secretary):
    branch = _branch_ending(association, secretary, "甲委员会", -3)
    assert list(branches_with_terms_ending(association, TODAY)) == [branch]
    ended = branch.current_term.ends_on
    services.branch_term_renew(
        branch=branch, by=secretary, starts_on=ended + timedelta(1), ends_on=ended + timedelta(5 * 365)
    )
    assert list(branches_with_terms_ending(association, TODAY)) == []


def test_another_organisations_branches_are_not_listed(association, secretary, district_a):
    _branch_ending(association, secretary, "甲委员会", 10)
    assert list(branches_with_terms_ending(district_a, date(2026, 11, 24))) == []
