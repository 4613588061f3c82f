from datetime import timedelta

from django.utils import timezone

from plans.branches import demo
from plans.branches.models import Branch, BranchTerm, BranchYearPlan
from plans.branches.selectors import branches_with_terms_ending
from sanitation.core.models import Change
from sanitation.organisations.demo import BRANCHES


def test_demo_branches_terms_and_assessments(association):
    created = demo.seed()
    assert created == {"branches": 6, "terms": 13, "year plans": 12, "assessments": 5}
    branches = Branch.objects.filter(organisation=association)
    assert sorted(b.name for b in branches) == sorted(name for _, name in BRANCHES)
    assert all(b.unit is not None and b.unit.kind == "branch" for b in branches)
    today = timezone.localdate()
    due = list(branches_with_terms_ending(association, today))
    assert [(b.unit.code, b.term_overdue) for b in due] == [
        ("CUEA-FZ04", True),
        ("CUEA-FZ01", False),
        ("CUEA-FZ03", False),
    ]
    assert due[0].current_term_ends_on == today - timedelta(days=30)
    assert sum(1 for b in due if today <= b.current_term_ends_on <= today + timedelta(days=90)) == 2
    assert BranchYearPlan.objects.filter(year=2025, score__isnull=False).count() == 5
    assert BranchYearPlan.objects.filter(year=2026).count() == 6
    assert BranchYearPlan.objects.get(branch__unit__code="CUEA-FZ04", year=2025).grade == "fail"


def test_demo_twice_creates_nothing(association):
    demo.seed()
    counts = (Branch.objects.count(), BranchTerm.objects.count(), BranchYearPlan.objects.count())
    changes = Change.objects.count()
    assert demo.seed() == {"branches": 0, "terms": 0, "year plans": 0, "assessments": 0}
    assert (Branch.objects.count(), BranchTerm.objects.count(), BranchYearPlan.objects.count()) == counts
    assert Change.objects.count() == changes
