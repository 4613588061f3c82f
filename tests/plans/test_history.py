"""History and soft deletion of plans and items: the lines the services, the pages, the Excel sheet
and the admin write; the board and the item's page showing them (in Chinese, in a constant number
of queries, 404 to another organisation); a deleted item or plan counting nowhere any more (board,
plan list, unit pages, API, Excel, reminders, monthly and annual cycles) while its issued circular
still opens and names it; restoring bringing it back."""

import datetime
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from plans import excel, indicators, progress, selectors
from plans.models import Item, Plan, ProgressReport
from plans.services import item_delete, item_restore, item_update, milestone_add, plan_import, plan_preview
from sanitation.core.deletion import soft_delete
from sanitation.core.history import history_of, record
from sanitation.core.models import Change, ChangeAction
from sanitation.documents import demo as documents_demo
from sanitation.documents.models import Circular
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit, User
from supervision.cycle import annual, monthly

from ..factories import district_with_streets, member

SEEDS = Path(settings.SEEDS_DIR)


@pytest.fixture
def demo(db):
    organisations_demo.seed()
    documents_demo.seed()


@pytest.fixture
def clerk(demo):
    return member(Unit.objects.get(code="CD-FLB"), Role.CLERK, username="cd_clerk", display_name="李督查")


@pytest.fixture
def plan(clerk):
    text = (SEEDS / "district-center-2025-work-points.txt").read_text(encoding="utf-8")
    return plan_import(plan_preview(text, issuer=Unit.objects.get(code="CD-HWZX")), user=clerk)


@pytest.fixture
def outsider(demo):
    """A clerk of another district: none of 城东区's plans exist for them."""
    district_with_streets("W", streets=1, communities=1)
    return member(Unit.objects.get(code="W-FLB"), Role.CLERK, username="w_clerk")


@pytest.fixture
def client_zh(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def item_number(plan: Plan, number: int) -> Item:
    return plan.items.get(number=number)


def lines(obj) -> list[tuple]:
    return [(line.action, line.field, line.old, line.new) for line in history_of(obj)]


# Lines written by the services ----------------------------------------------------------------------


def test_import_writes_a_created_line_for_the_plan_and_each_item(plan, clerk):
    assert lines(plan) == [(ChangeAction.CREATED, "", "", plan.title)]
    assert history_of(plan).get().user == clerk
    item = item_number(plan, 10)
    assert lines(item) == [(ChangeAction.CREATED, "", "", str(item))]
    created = Change.objects.filter(content_type__model="item", action=ChangeAction.CREATED)
    assert set(created.values_list("object_id", flat=True)) == set(plan.items.values_list("pk", flat=True))


def test_edits_progress_and_milestones_are_lines_of_the_item(plan, clerk):
    item = item_number(plan, 10)
    office = Unit.objects.get(code="CD-HWZX-BGS")
    item_update(item, user=clerk, deadline=datetime.date(2025, 9, 30), lead_units=[office])
    milestone_add(item, title="完成方案", due_on=datetime.date(2025, 6, 30), user=clerk)
    section = Unit.objects.get(code="CD-HWZX-HWG")
    item.lead_units.set([section])
    march = datetime.date(2025, 3, 1)
    progress.progress_report(item, section, text="完成方案制定", percent=40, user=clerk, month=march)
    indicator = item.indicators.create(name="分出率", target_value=100, unit="%")
    indicators.indicator_enter(indicator, Decimal("35.50"), by=clerk)
    indicators.indicator_enter(indicator, Decimal("35.5"), by=clerk)  # the same value: no line
    changed = {line.field: (line.old, line.new, line.user) for line in history_of(item).filter(action="changed")}
    assert changed == {
        "deadline": ("2025-12-31", "2025-09-30", clerk),
        "lead_units": ("环境卫生股", "中心办公室", clerk),
        "milestones": ("", "完成方案（2025-06-30）", clerk),
        "percent": ("0", "40", clerk),
        "indicators": ("", "分出率: 35.5%", clerk),
    }


@pytest.mark.django_db
def test_issuing_writes_one_issued_line_with_the_circular_number(demo, client):
    secretariat = member(Unit.objects.get(code="CUEA-ZHB"), Role.SECRETARIAT, username="sec")
    text = (SEEDS / "association-2022-key-work.txt").read_text()
    plan = plan_import(plan_preview(text, issuer=Unit.objects.get(code="CUEA"), year=2026), user=secretariat)
    client.force_login(secretariat)
    client.post(f"/plans/{plan.pk}/issue/", {"recipients": "各会员单位"})
    client.post(f"/plans/{plan.pk}/issue/")  # a second click issues nothing more
    plan.refresh_from_db()
    issued = history_of(plan).filter(action=ChangeAction.ISSUED)
    assert [(line.field, line.new, line.user) for line in issued] == [("circular", plan.circular.number, secretariat)]

    # Taking an item out of the issued plan: the plan leaves nothing behind in its circular.
    item = plan.items.get(title__startswith="进一步推进政府合作伙伴计划")
    item_delete(item, by=secretariat, reason="已并入其他事项")
    soft_delete(plan, by=secretariat)
    page = client.get(reverse("documents:circular-detail", args=[plan.circular_id]))
    assert page.status_code == 200 and plan.title in page.content.decode()
    circular = Circular.objects.get(pk=plan.circular_id)
    assert "进一步推进政府合作伙伴计划" in circular.body  # the issued text is what it was
    pdf = client.get(reverse("documents:circular-pdf", args=[plan.circular_id]))
    assert pdf.status_code == 200 and hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == circular.pdf_sha256


def test_excel_rows_for_new_items_are_created_and_added_to_the_plan(plan, clerk):
    book = openpyxl.load_workbook(io.BytesIO(excel.plan_items_xlsx(plan)))
    book.active.append(["一", 99, "新增的事项", "新增的事项", "", "环境卫生股", "", "2025-12-31", "", ""])
    stream = io.BytesIO()
    book.save(stream)
    result = excel.plan_items_import(plan, stream.getvalue(), user=clerk, dry_run=False)
    assert result.ok and result.counts["new"] == 1
    added = plan.items.get(title="新增的事项")
    assert lines(added) == [(ChangeAction.CREATED, "", "", str(added))]
    assert history_of(plan).filter(field="item_added", new=str(added), user=clerk).exists()


# The pages --------------------------------------------------------------------------------------------


def test_item_page_shows_its_history_in_chinese(client_zh, plan, clerk):
    item = item_number(plan, 10)
    item_update(item, user=clerk, deadline=datetime.date(2025, 9, 30))
    milestone_add(item, title="完成方案", due_on=datetime.date(2025, 6, 30), user=clerk)
    client_zh.force_login(clerk)
    page = client_zh.get(reverse("plans:item", args=[item.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in page and "完成时限" in history and "2025-09-30" in history
    assert "节点" in history and "完成方案（2025-06-30）" in history and "李督查" in history
    edit = client_zh.get(reverse("plans:item-edit", args=[item.pk])).content.decode()
    assert "完成时限" in edit[edit.index('id="history"') :]


def test_board_shows_the_plans_history(client_zh, plan, clerk):
    item_delete(item_number(plan, 10), by=clerk, reason="合并")
    client_zh.force_login(clerk)
    page = client_zh.get(reverse("plans:board", args=[plan.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert plan.title in history and str(Item.all_objects.get(plan=plan, number=10)) in history


def test_another_organisation_sees_neither_page_nor_history(client, plan, outsider):
    client.force_login(outsider)
    item = item_number(plan, 10)
    for url in (reverse("plans:board", args=[plan.pk]), reverse("plans:item", args=[item.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("plans:item-delete", args=[item.pk]), {"reason": "x"}).status_code == 404
    assert Item.objects.filter(pk=item.pk).exists() and not history_of(item).filter(action="deleted").exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_item_page_and_board_take_the_same_queries_however_long_the_history(client, plan, clerk):
    item = item_number(plan, 10)
    client.force_login(clerk)
    item_url, board_url = reverse("plans:item", args=[item.pk]), reverse("plans:board", args=[plan.pk])
    client.get(item_url)  # content types and sessions cached
    few = (_queries(client, item_url), _queries(client, board_url))
    for n in range(25):
        record(item, by=clerk, field="title", old=str(n), new=str(n + 1))
        record(plan, by=User.objects.create(username=f"editor{n}"), field="title", old=str(n), new=str(n + 1))
    assert (_queries(client, item_url), _queries(client, board_url)) == few


# Soft deletion of an item -------------------------------------------------------------------------


def test_removing_an_item_on_its_page_needs_a_reason_and_is_soft(client, plan, clerk):
    item = item_number(plan, 10)
    client.force_login(clerk)
    url = reverse("plans:item-delete", args=[item.pk])
    assert client.post(url, {"reason": ""}).status_code == 302
    assert Item.objects.filter(pk=item.pk).exists()
    response = client.post(url, {"reason": "已并入第九项"})
    assert response.status_code == 302 and response["Location"] == reverse("plans:board", args=[plan.pk])
    stored = Item.all_objects.get(pk=item.pk)
    assert stored.deleted_by == clerk and stored.deleted_at is not None
    assert history_of(stored).filter(action=ChangeAction.DELETED, new="已并入第九项", user=clerk).exists()
    assert history_of(plan).filter(field="item_removed", old=str(stored), user=clerk).exists()
    assert client.get(reverse("plans:item", args=[item.pk])).status_code == 404


def test_unit_staff_cannot_remove_an_item(client, plan):
    staff = member(Unit.objects.get(code="CD-HWZX-HWG"), Role.UNIT_STAFF, username="hwg")
    item = item_number(plan, 10)
    client.force_login(staff)
    assert client.post(reverse("plans:item-delete", args=[item.pk]), {"reason": "x"}).status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()


def test_a_deleted_item_counts_nowhere_but_keeps_its_reports(client, plan, clerk):
    section = Unit.objects.get(code="CD-HWZX-HWG")
    item = item_number(plan, 10)
    assert item.lead_units.filter(pk=section.pk).exists()
    report = progress.progress_report(item, section, text="启动", percent=40, month=datetime.date(2025, 3, 1))
    before = selectors.with_item_counts(Plan.objects.filter(pk=plan.pk)).get()
    unit_items = selectors.items_of_unit(section)["leads"].count()
    item_delete(item, by=clerk)

    counted = selectors.with_item_counts(Plan.objects.filter(pk=plan.pk)).get()
    assert counted.item_count == before.item_count - 1
    assert selectors.items_of_unit(section)["leads"].count() == unit_items - 1
    assert item not in selectors.items_visible_to(clerk)
    board = selectors.chapter_progress(selectors.with_status(plan.items.all()))
    assert sum(row["total"] for row in board) == before.item_count - 1
    assert ProgressReport.objects.filter(pk=report.pk).exists()  # kept, as the item is

    client.force_login(clerk)
    page = client.get(reverse("plans:board", args=[plan.pk])).content.decode()
    assert f'href="/plans/items/{item.pk}/"' not in page
    unit_page = client.get(reverse("plans:unit-items", args=[section.pk])).content.decode()
    assert f'href="/plans/items/{item.pk}/"' not in unit_page
    sheet = list(openpyxl.load_workbook(io.BytesIO(excel.plan_items_xlsx(plan))).active.values)
    assert len(sheet) == before.item_count and item.title not in [row[2] for row in sheet]
    api = APIClient()
    api.force_authenticate(clerk)
    assert api.get(f"/api/v1/plan-items/{item.pk}/").status_code == 404
    listed = api.get("/api/v1/plan-items/", {"plan": plan.pk, "page_size": 200}).json()
    assert item.pk not in [row["id"] for row in listed["results"]] and listed["count"] == before.item_count - 1
    assert api.get("/api/v1/plans/").json()["results"][0]["item_count"] == before.item_count - 1
    reports = api.get("/api/v1/progress-reports/").json()
    assert report.pk not in [row["id"] for row in reports.get("results", reports)]


def test_a_deleted_item_is_not_reminded(plan, clerk):
    section = Unit.objects.get(code="CD-HWZX-HWG")
    staff = member(section, Role.UNIT_STAFF, username="hwg_staff", email="hwg@example.cn")
    assert staff.email
    for item in plan.items.exclude(number=10):
        item_delete(item, by=clerk)
    item = item_number(plan, 10)
    item_delete(item, by=clerk)
    run = progress.reminders_send(today=item.deadline)
    assert (run.due_soon, run.overdue, len(mail.outbox)) == (0, 0, 0)
    item_restore(item, by=clerk)
    assert progress.reminders_send(today=item.deadline).due_soon == item.lead_units.count() >= 1


def test_restoring_an_item_brings_it_back_in_both_histories(plan, clerk):
    item = item_number(plan, 10)
    item_delete(item, by=clerk, reason="误删")
    item_restore(Item.all_objects.get(pk=item.pk), by=clerk)
    assert Item.objects.filter(pk=item.pk).exists()
    assert [line[0] for line in lines(item)][:2] == [ChangeAction.RESTORED, ChangeAction.DELETED]
    assert [line[1] for line in lines(plan)][:2] == ["item_added", "item_removed"]


# The admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin_user(demo):
    return User.objects.create_superuser("root", password="x")


def test_admin_delete_of_an_item_is_soft_and_restorable(client, plan, admin_user):
    item = item_number(plan, 10)
    client.force_login(admin_user)
    url = reverse("admin:plans_item_delete", args=[item.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    stored = Item.all_objects.get(pk=item.pk)
    assert stored.deleted_by == admin_user and not Item.objects.filter(pk=item.pk).exists()
    assert history_of(plan).filter(field="item_removed", user=admin_user).exists()
    changelist = reverse("admin:plans_item_changelist")
    assert str(item.pk) in client.get(changelist, {"deleted": "yes"}).content.decode()
    client.post(changelist, {"action": "restore_items", "_selected_action": [item.pk]})
    assert Item.objects.filter(pk=item.pk).exists()
    assert history_of(plan).filter(field="item_added", user=admin_user).exists()


def test_admin_delete_of_a_plan_is_soft_and_hides_its_items(client, plan, admin_user, clerk):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(admin_user)
    section = Unit.objects.get(code="CD-HWZX-HWG")
    assert selectors.items_of_unit(section)["leads"].exists()
    assert client.post(reverse("admin:plans_plan_delete", args=[plan.pk]), {"post": "yes"}).status_code == 302
    assert Plan.all_objects.filter(pk=plan.pk, deleted_by=admin_user).exists()
    assert not Plan.objects.filter(pk=plan.pk).exists() and not Item.objects.filter(plan=plan).exists()
    assert Item.all_objects.filter(plan=plan).count() == 12  # nothing removed from the database
    assert not selectors.items_of_unit(section)["leads"].exists()
    assert lines(plan)[0][0] == ChangeAction.DELETED
    client.force_login(clerk)
    assert client.get(reverse("plans:board", args=[plan.pk])).status_code == 404
    assert reverse("plans:board", args=[plan.pk]) not in client.get(reverse("plans:plan-list")).content.decode()

    # The same plan may be imported again; restoring the first one then has two plans of that title.
    text = (SEEDS / "district-center-2025-work-points.txt").read_text(encoding="utf-8")
    again = plan_import(plan_preview(text, issuer=plan.issuer), title=plan.title)
    assert again.pk != plan.pk
    client.force_login(admin_user)
    changelist = reverse("admin:plans_plan_changelist")
    response = client.post(changelist, {"action": "restore_checked", "_selected_action": [plan.pk]}, follow=True)
    assert "is not restored" in response.content.decode() and not Plan.objects.filter(pk=plan.pk).exists()
    soft_delete(again)
    client.post(changelist, {"action": "restore_checked", "_selected_action": [plan.pk]})
    assert Plan.objects.filter(pk=plan.pk).exists() and Item.objects.filter(plan=plan).count() == 12
    assert lines(plan)[0][0] == ChangeAction.RESTORED


def test_admin_edit_of_a_plan_is_a_history_line(client, plan, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:plans_plan_change", args=[plan.pk])
    data = _admin_form_data(client.get(url))
    data["title"] = "区环卫事务中心2025年工作要点（修订）"
    response = client.post(url, data)
    errors = [f.errors for f in response.context["inline_admin_formsets"][0].formset] if response.context else ""
    assert response.status_code == 302, errors
    line = history_of(plan).filter(action=ChangeAction.CHANGED).get()
    assert (line.field, line.old, line.new, line.user) == ("title", plan.title, data["title"], admin_user)


def _admin_form_data(response) -> dict:
    """The change form as the admin rendered it, with its inlines, ready to post back."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


# The cycles -------------------------------------------------------------------------------------------


@pytest.fixture
def district_work(db):
    """District H in 2026: one plan of its center with three items, one of them late."""
    district = district_with_streets("H", streets=1, communities=1)
    center = Unit.objects.get(code="H-ZX")
    plan = Plan.objects.create(issuer=center, year=2026, title="H区环卫中心2026年工作要点")
    chapter = plan.chapters.create(number=1, title="重点工作")
    items = []
    for number, deadline, percent in ((1, "2026-03-31", 100), (2, "2026-05-31", 20), (3, "2026-12-31", 0)):
        item = Item.objects.create(
            plan=plan,
            chapter=chapter,
            number=number,
            position=number,
            title=f"事项{number}",
            text=f"事项{number}",
            deadline=datetime.date.fromisoformat(deadline),
            percent=percent,
            completed_on=datetime.date(2026, 3, 1) if percent == 100 else None,
        )
        item.lead_units.set([Unit.objects.get(code="H-JD1")])
        items.append(item)
    return {"district": district, "plan": plan, "items": items}


def test_monthly_dispatch_counts_no_deleted_item_nor_deleted_plan(district_work):
    district, plan, items = district_work["district"], district_work["plan"], district_work["items"]
    start, end = datetime.date(2026, 6, 1), datetime.date(2026, 6, 30)
    data = monthly.collect(district=district, start=start, end=end)
    assert (data["items"]["total"], data["items"]["late"]) == (3, 1)
    assert [row["total"] for row in data["units"]] == [3]
    assert [row["title"] for row in data["overdue_items"]] == ["事项2"]

    item_delete(items[1])
    data = monthly.collect(district=district, start=start, end=end)
    assert (data["items"]["total"], data["items"]["late"]) == (2, 0)
    assert [row["total"] for row in data["units"]] == [2] and data["overdue_items"] == []

    soft_delete(plan)
    data = monthly.collect(district=district, start=start, end=end)
    assert data["items"]["total"] == 0 and data["units"] == [] and data["plans"] == []


def test_annual_assessment_counts_no_deleted_item_nor_deleted_plan(district_work):
    district, plan, items = district_work["district"], district_work["plan"], district_work["items"]
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    street = lambda data: next(row for row in data["streets"] if row["code"] == "H-JD1")  # noqa: E731
    data = annual.collect(district=district, start=start, end=end)
    assert (street(data)["items"], street(data)["done"]) == (3, 1) and data["plans"] == [plan.title]

    item_delete(items[1])
    assert (street(annual.collect(district=district, start=start, end=end))["items"]) == 2

    soft_delete(plan)
    data = annual.collect(district=district, start=start, end=end)
    assert street(data)["items"] == 0 and data["plans"] == []
