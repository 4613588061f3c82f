"""A branch's history: registration, edits, terms, targets and assessments as lines of the shared
history, shown on the branch's page (in Chinese, constant queries, 404 to another organisation).
Branches are never deleted: the admin only reads them."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.branches import services
from plans.branches.models import Branch, BranchTier
from sanitation.core.admin_history import HistoryAdminMixin
from sanitation.core.history import history_of, record
from sanitation.core.models import ChangeAction
from sanitation.organisations.models import Role, UnitKind, User

from ..factories import UnitFactory, member


def test_every_write_is_a_line_of_the_branch(branch, secretary):
    services.branch_update(branch=branch, by=secretary, tier=BranchTier.C, tier_reason="活动偏少")
    services.branch_targets_set(branch=branch, year=2026, targets="举办培训", by=secretary)
    services.branch_assess(branch=branch, year=2026, score=82, assessed_on=date(2026, 12, 20), by=secretary)
    got = [(line.action, line.field, line.new) for line in reversed(history_of(branch))]
    assert got[0] == (ChangeAction.CREATED, "", "垃圾分类专业委员会")
    assert [field for _action, field, _new in got[1:3]] == [Branch.TERMS, Branch.TERMS]
    assert got[3:] == [
        (ChangeAction.CHANGED, "tier", "C"),
        (ChangeAction.CHANGED, "tier_reason", "活动偏少"),
        (ChangeAction.CHANGED, Branch.TARGETS, "2026: 举办培训"),
        (ChangeAction.CHANGED, Branch.ASSESSMENT, "2026: 82 · Good (2026-12-20)"),
    ]
    assert all(line.user == secretary for line in history_of(branch))


def test_page_shows_the_history_in_chinese(client, branch, secretary):
    services.branch_update(branch=branch, by=secretary, tier=BranchTier.C)
    services.branch_targets_set(branch=branch, year=2026, targets="举办培训", by=secretary)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(secretary)
    page = client.get(reverse("branches:detail", args=[branch.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in history and "分级" in history and "工作目标" in history and "届次" in history
    assert "2026: 举办培训" in history and "王秘书" in history
    assert ">C<" not in history  # the tier by its name, not its code


def test_another_organisation_gets_404(client, branch):
    other = UnitFactory(code="XB2", name="另一协会", kind=UnitKind.ASSOCIATION)
    outsider = member(UnitFactory(code="XB2-ZHB", kind=UnitKind.DEPARTMENT, parent=other), Role.SECRETARIAT)
    client.force_login(outsider)
    assert client.get(reverse("branches:detail", args=[branch.pk])).status_code == 404
    lines = history_of(branch).count()
    data = {"targets-year": 2026, "targets-targets": "越权"}
    assert client.post(reverse("branches:targets", args=[branch.pk]), data).status_code == 404
    assert history_of(branch).count() == lines


def test_page_takes_the_same_queries_however_long_the_history(logged_in, branch):
    url = reverse("branches:detail", args=[branch.pk])
    logged_in.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(20):
        record(branch, by=User.objects.create(username=f"editor{n}"), field="status", old=str(n), new=str(n + 1))
    assert queries() == few


def test_the_admin_reads_branches_and_deletes_none(rf, branch):
    branch_admin = admin.site._registry[Branch]
    assert isinstance(branch_admin, HistoryAdminMixin)
    request = rf.get("/")
    request.user = User.objects.create_superuser("root", password="x")
    assert not branch_admin.has_delete_permission(request, branch)
    assert not branch_admin.has_change_permission(request, branch)


@pytest.fixture
def logged_in(client, secretary):
    client.force_login(secretary)
    return client
