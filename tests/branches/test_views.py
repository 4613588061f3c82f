from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans.branches import services
from plans.branches.models import Branch, BranchStatus, BranchTier, BranchYearPlan
from sanitation.core.history import history_of

from .conftest import add_term, make_branch


@pytest.fixture
def logged_in(client, secretary):
    client.force_login(secretary)
    return client


def _ending(association, secretary, name, days, **values):
    branch = make_branch(association, secretary, name=name, **values)
    ends_on = timezone.localdate() + timedelta(days=days)
    add_term(branch, secretary, ends_on - timedelta(days=1800), ends_on, chair=f"{name}主任")
    return branch


def test_list_shows_branches_with_term_end_and_assessment(logged_in, branch, secretary):
    services.branch_targets_set(branch=branch, year=2025, targets="年会", by=secretary)
    services.branch_assess(branch=branch, year=2025, score=92, assessed_on=date(2026, 1, 10), by=secretary)
    response = logged_in.get(reverse("branches:list"), {"year": 2025})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="branch-table"' in html
    assert "垃圾分类专业委员会" in html and "测试领域" in html and "Tier A (key)" in html
    assert "Term 2 · 2026-12-31" in html
    assert "<strong>Excellent</strong> 92" in html


def test_list_filters_by_tier_status_and_search(logged_in, association, secretary, branch):
    make_branch(association, secretary, name="环卫装备专业委员会", tier=BranchTier.C, status=BranchStatus.RECTIFYING)
    url = reverse("branches:list")
    assert "环卫装备" not in logged_in.get(url, {"tier": "A"}).content.decode()
    html = logged_in.get(url, {"status": "rectifying"}).content.decode()
    assert "环卫装备专业委员会" in html and "垃圾分类专业委员会" not in html
    html = logged_in.get(url, {"q": "装备"}).content.decode()
    assert "环卫装备专业委员会" in html and "垃圾分类专业委员会" not in html


def test_detail_shows_terms_plans_and_history(logged_in, branch, secretary):
    services.branch_targets_set(branch=branch, year=2026, targets="举办培训", by=secretary)
    services.branch_update(branch=branch, by=secretary, tier=BranchTier.B)
    html = logged_in.get(reverse("branches:detail", args=[branch.pk])).content.decode()
    assert "Current term: Term 2, 2022-01-01 – 2026-12-31." in html
    assert "吴志明" in html and "周建国" in html
    assert "举办培训" in html and "Not assessed yet." in html
    history = html[html.index('id="history"') :]
    assert "Tier A (key)" in history and "Tier B (standard)" in history and "work targets" in history
    assert 'id="term-renew-form"' in html and 'id="assessment-form"' in html


@pytest.mark.parametrize("who", ["clerk_a", "association_staff"])
def test_others_get_404_on_a_branch_and_403_on_the_lists(client, branch, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("branches:detail", args=[branch.pk])).status_code == 404
    response = client.post(reverse("branches:edit", args=[branch.pk]), {"branch-tier": "C"})
    assert response.status_code == 404
    for name in ("list", "terms-ending", "export", "import", "create"):
        assert client.get(reverse(f"branches:{name}")).status_code == 403, name
    branch.refresh_from_db()
    assert branch.tier == BranchTier.A


def test_a_leader_reads_but_may_not_change(client, branch, association_leader):
    client.force_login(association_leader)
    html = client.get(reverse("branches:detail", args=[branch.pk])).content.decode()
    assert "吴志明" in html and 'id="term-renew-form"' not in html
    response = client.post(
        reverse("branches:term-renew", args=[branch.pk]),
        {"term-starts_on": "2027-01-01", "term-ends_on": "2031-12-31"},
    )
    assert response.status_code == 403
    assert branch.terms.count() == 2


def test_secretariat_edits_tier_and_status(logged_in, branch):
    data = {
        "branch-name": branch.name,
        "branch-field": "生活垃圾分类",
        "branch-scope": branch.scope,
        "branch-founded_on": "2017-01-01",
        "branch-unit": "",
        "branch-tier": "C",
        "branch-tier_reason": "活动偏少",
        "branch-status": "rectifying",
    }
    response = logged_in.post(reverse("branches:edit", args=[branch.pk]), data)
    assert response.status_code == 302
    branch.refresh_from_db()
    assert (branch.tier, branch.status, branch.field) == ("C", "rectifying", "生活垃圾分类")
    fields = set(history_of(branch).exclude(action="created").values_list("field", flat=True))
    assert {"tier", "status", "field", "tier_reason", "founded_on"} <= fields


def test_secretariat_renews_the_term_and_an_overlap_is_refused(logged_in, branch):
    url = reverse("branches:term-renew", args=[branch.pk])
    data = {"term-starts_on": "2026-06-01", "term-ends_on": "2031-05-31", "term-chair": "郑文华"}
    response = logged_in.post(url, data)
    assert response.status_code == 200
    assert "overlaps Term 2 (2022-01-01 – 2026-12-31)" in response.content.decode()
    assert branch.terms.count() == 2
    data["term-starts_on"] = "2027-01-01"
    response = logged_in.post(url, data)
    assert response.status_code == 302
    assert branch.current_term.number == 3 and branch.current_term.chair == "郑文华"


def test_secretariat_writes_targets_and_records_an_assessment(logged_in, branch, secretary):
    response = logged_in.post(
        reverse("branches:targets", args=[branch.pk]), {"targets-year": "2025", "targets-targets": "召开年会"}
    )
    assert response.status_code == 302
    response = logged_in.post(
        reverse("branches:assess", args=[branch.pk]),
        {"assessment-year": "2025", "assessment-score": "58", "assessment-assessed_on": "2026-01-20"},
    )
    assert response.status_code == 302
    plan = BranchYearPlan.objects.get(branch=branch, year=2025)
    assert (plan.score, plan.grade, plan.assessed_by) == (58, "fail", secretary)
    html = logged_in.get(reverse("branches:detail", args=[branch.pk])).content.decode()
    assert "2025: 58 · Unsatisfactory (2026-01-20)" in html


def test_secretariat_registers_a_branch(logged_in, association):
    response = logged_in.post(
        reverse("branches:create"),
        {"name": "新专业委员会", "field": "新领域", "tier": "C", "status": "active", "unit": ""},
    )
    branch = Branch.objects.get(name="新专业委员会")
    assert response.status_code == 302 and response["Location"] == reverse("branches:detail", args=[branch.pk])
    assert branch.organisation == association


def test_terms_ending_page_lists_overdue_first_in_red(logged_in, association, secretary):
    _ending(association, secretary, "甲委员会", 40)
    _ending(association, secretary, "乙委员会", 75)
    overdue = _ending(association, secretary, "丙委员会", -30)
    _ending(association, secretary, "丁委员会", 200)
    response = logged_in.get(reverse("branches:terms-ending"))
    html = response.content.decode()
    assert "<h1>Terms ending</h1>" in html and 'id="terms-ending-table"' in html
    assert html.index("丙委员会") < html.index("甲委员会") < html.index("乙委员会")
    assert "丁委员会" not in html
    assert f'<tr id="terms-ending-{overdue.pk}" class="bad">' in html
    assert "Ended 30 days ago" in html
    today = timezone.localdate()
    assert f"{today + timedelta(days=40):%Y-%m-%d}" in html
    assert "丁委员会" in logged_in.get(reverse("branches:terms-ending"), {"days": 365}).content.decode()


def test_terms_ending_queries_do_not_grow_with_rows(logged_in, association, secretary):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(reverse("branches:terms-ending")).status_code == 200
        return len(queries)

    _ending(association, secretary, "甲委员会", 10)
    few = count()
    for n in range(5):
        _ending(association, secretary, f"委员会{n}", 20 + n)
    assert count() == few


def test_list_queries_do_not_grow_with_rows(logged_in, association, secretary):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(reverse("branches:list")).status_code == 200
        return len(queries)

    branch = _ending(association, secretary, "甲委员会", 10)
    services.branch_targets_set(branch=branch, year=timezone.localdate().year, targets="目标", by=secretary)
    few = count()
    for n in range(5):
        other = _ending(association, secretary, f"委员会{n}", 20 + n)
        services.branch_targets_set(branch=other, year=timezone.localdate().year, targets="目标", by=secretary)
    assert count() == few
