"""A circular's history: created, each draft field edited, issued with its number, and a correction
that names the circular it corrects (and is named by it once issued); on the circular's page, to the
users who see the circular."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanitation.core.history import history_of, record
from sanitation.core.models import Change, ChangeAction
from sanitation.documents.models import Circular, DocumentIssuer, IssuedCircularError
from sanitation.documents.services import circular_correct, circular_create, circular_issue, circular_update
from sanitation.organisations.models import Role, Unit
from tests.factories import member

BODY = "一、总体要求\n请认真贯彻执行。"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def issuer_a(district_a):
    return DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件")


def lines(circular) -> list[tuple]:
    """(action, field, old, new, user) oldest first."""
    return [(c.action, c.field, c.old, c.new, c.user) for c in reversed(history_of(circular))]


def test_writing_editing_and_issuing_a_draft_on_the_pages_leave_their_lines(client, clerk_a, issuer_a):
    client.force_login(clerk_a)
    client.post(
        "/circulars/new/",
        {"issuer": issuer_a.pk, "kind": "notice", "title": "关于督查的通知", "body": BODY, "recipients": "各街道"},
    )
    draft = Circular.objects.get(title="关于督查的通知")
    edited = {"kind": "bulletin", "title": "关于督查情况的通报", "body": BODY, "recipients": "各街道"}
    assert client.post(f"/circulars/{draft.pk}/edit/", edited).status_code == 302
    # Saved again without a change: no line.
    assert client.post(f"/circulars/{draft.pk}/edit/", edited).status_code == 302
    client.post(f"/circulars/{draft.pk}/issue/")

    assert lines(draft) == [
        (ChangeAction.CREATED, "", "", "关于督查的通知", clerk_a),
        (ChangeAction.CHANGED, "kind", "notice", "bulletin", clerk_a),
        (ChangeAction.CHANGED, "title", "关于督查的通知", "关于督查情况的通报", clerk_a),
        (ChangeAction.ISSUED, "number", "", "A分类办〔2026〕1号", clerk_a),
    ]


def test_a_correction_names_what_it_corrects_and_is_named_by_it_once_issued(issuer_a, clerk_a):
    original = circular_issue(circular_create(issuer=issuer_a, title="原通报", body=BODY).pk)
    correction = circular_correct(original, user=clerk_a)
    assert lines(correction)[-1] == (ChangeAction.CHANGED, "supersedes", "", str(original), clerk_a)
    circular_update(correction, user=clerk_a, title="原通报（更正）")
    issued = circular_issue(correction.pk, user=clerk_a)
    assert lines(original)[-1] == (ChangeAction.ISSUED, "corrected_by", "", issued.number, clerk_a)
    assert history_of(original).first().field_label == str(Circular.HISTORY_LABELS["corrected_by"])


def test_an_issued_circular_is_not_updated_and_gets_no_line(issuer_a, clerk_a):
    issued = circular_issue(circular_create(issuer=issuer_a, title="已印发", body=BODY).pk)
    before = lines(issued)
    with pytest.raises(IssuedCircularError):
        circular_update(issued, user=clerk_a, title="改标题")
    assert lines(issued) == before
    assert Circular.objects.get(pk=issued.pk).title == "已印发"


def test_figures_changes_are_not_lines_but_the_body_is(issuer_a):
    draft = circular_create(issuer=issuer_a, title="周报", body="旧正文", figures={"a": "<svg/>"})
    circular_update(draft, body="新正文", figures={"a": "<svg></svg>"})
    (line,) = history_of(draft)[:1]
    assert (line.field, line.old, line.new, line.user) == ("body", "旧正文", "新正文", None)
    assert not Change.objects.filter(field="figures").exists()


def test_the_page_shows_the_history_in_chinese_and_another_district_gets_404(client, issuer_a, clerk_a, clerk_b):
    issued = circular_issue(circular_create(issuer=issuer_a, title="关于检查的通报", body=BODY, user=clerk_a).pk)
    street_staff = member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF, username="staff_a", display_name="周干事")
    client.force_login(street_staff)
    page = client.get(f"/circulars/{issued.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in history and "已印发" in history and "A分类办〔2026〕1号" in history
    assert "关于检查的通报" in history and str(clerk_a) in history
    client.force_login(clerk_b)
    assert client.get(f"/circulars/{issued.pk}/").status_code == 404


def test_the_page_queries_do_not_grow_with_the_history(client, issuer_a, clerk_a):
    draft = circular_create(issuer=issuer_a, title="草稿", body=BODY, user=clerk_a)
    client.force_login(clerk_a)
    client.get(f"/circulars/{draft.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/circulars/{draft.pk}/")
    for n in range(20):
        record(draft, by=clerk_a, field="title", old=str(n), new=str(n + 1))
    with CaptureQueriesContext(connection) as many:
        client.get(f"/circulars/{draft.pk}/")
    assert len(many) == len(few)


def test_the_admin_records_an_issuers_edit(admin_client, admin_user, issuer_a):
    url = f"/admin/documents/documentissuer/{issuer_a.pk}/change/"
    data = {"unit": issuer_a.unit_id, "prefix": "A分类", "number_padding": 2, "mark": issuer_a.mark}
    assert admin_client.post(url, data).status_code == 302
    assert sorted((c.field, c.old, c.new, c.user) for c in history_of(issuer_a)) == [
        ("number_padding", "0", "2", admin_user),
        ("prefix", "A分类办", "A分类", admin_user),
    ]


def test_the_migration_gives_existing_circulars_their_created_and_issued_lines(issuer_a, clerk_a):
    original = circular_issue(
        circular_create(issuer=issuer_a, title="旧通报", body=BODY, user=clerk_a).pk, user=clerk_a
    )
    correction = circular_issue(circular_correct(original, user=clerk_a).pk, user=clerk_a)
    Change.objects.all().delete()  # as before the history existed
    migration = importlib.import_module("sanitation.documents.migrations.0002_circular_history")
    migration.forwards(apps, None)
    assert lines(original) == [
        (ChangeAction.CREATED, "", "", "旧通报", clerk_a),
        (ChangeAction.ISSUED, "number", "", original.number, clerk_a),
        (ChangeAction.ISSUED, "corrected_by", "", correction.number, clerk_a),
    ]
    assert [c.action for c in reversed(history_of(correction))] == [ChangeAction.CREATED, ChangeAction.ISSUED]
