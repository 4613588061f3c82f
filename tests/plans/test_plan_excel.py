import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans import excel
from plans.models import Item, NumberStyle
from plans.selectors import ItemStatus
from plans.services import plan_import, plan_preview
from sanitation.core import spreadsheets
from sanitation.core.history import history_of
from sanitation.core.models import Change, ChangeAction
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit

from ..factories import member

ASSOCIATION = Path(settings.SEEDS_DIR) / "association-2022-key-work.txt"


@pytest.fixture
def plan(db):
    organisations_demo.seed()
    return plan_import(plan_preview(ASSOCIATION.read_text(), issuer=Unit.objects.get(code="CUEA")))


@pytest.fixture
def secretary(plan):
    return member(Unit.objects.get(code="CUEA-ZHB"), Role.SECRETARIAT, username="secretary")


def _item_changes():
    """Lines of the items' history that change a field (their import wrote "created" lines)."""
    return Change.objects.filter(content_type__model="item", action=ChangeAction.CHANGED)


def _rows(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


def _edited(plan, edits: dict[tuple[int, str], object], extra_rows=()) -> bytes:
    """The plan's export with cells changed, (Excel row, header) → value, and rows added."""
    book = openpyxl.load_workbook(io.BytesIO(excel.plan_items_xlsx(plan)))
    sheet = book.active
    for (row, header), value in edits.items():
        sheet.cell(row, excel.HEADERS.index(header) + 1).value = value
    for values in extra_rows:
        sheet.append([values.get(header) for header in excel.HEADERS])
    return _saved(book)


def _saved(book) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _sheet_with(headers, rows=()) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    return _saved(book)


def _item(plan, excel_row: int) -> Item:
    """The item exported to that row: the export lists items in plan order from row 2."""
    return plan.items.order_by("position")[excel_row - 2]


def _row_error(row: int, column: str, message) -> str:
    return str(spreadsheets.ROW_ERROR % {"row": row, "column": column, "message": message})


def test_export_lists_every_item_with_its_columns(plan):
    office = Unit.objects.get(code="CUEA-ZHB")
    first = _item(plan, 2)
    first.lead_units.set([office, Unit.objects.get(code="CUEA-HYB")])
    rows = _rows(excel.plan_items_xlsx(plan))
    assert rows[0] == excel.HEADERS and len(rows) == 33
    items = list(plan.items.order_by("position"))
    assert [row[2] for row in rows[1:]] == [item.title for item in items]
    assert rows[1][:2] == ("一", "（一）") and rows[-1][:2] == ("十", "（二）")
    assert rows[1][3] == first.text and rows[1][4] == first.category.name == "党建"
    assert set(rows[1][5].split("、")) == {"综合部", "会员部"} and rows[1][6] is None
    assert rows[1][7] == datetime(2022, 12, 31) and rows[1][8] == 0
    assert rows[1][9] == str(ItemStatus.LABELS[ItemStatus.OVERDUE])  # 2022 is long past


def test_export_query_count_does_not_grow_with_the_items(plan):
    small = plan_import(plan_preview("2023年重点工作\n一、党建\n（一）学习。（牵头单位：综合部）", issuer=plan.issuer))
    assert small.items.count() == 1 and plan.items.count() == 32
    counts = []
    for each in (small, plan):
        with CaptureQueriesContext(connection) as queries:
            excel.plan_items_xlsx(each)
        counts.append(len(queries))
    assert counts == [3, 3]  # items with their status, lead units, assisting units


def test_unchanged_export_imports_as_unchanged(plan, secretary):
    result = excel.plan_items_import(plan, excel.plan_items_xlsx(plan), user=secretary, dry_run=False)
    assert result.ok and result.counts == {"new": 0, "update": 0, "unchanged": 32, "invalid": 0}
    assert not _item_changes().exists()


def test_edited_cells_change_the_item_and_its_history(plan, secretary):
    content = _edited(plan, {(3, excel.DEADLINE): date(2022, 6, 30), (3, excel.LEAD): "综合部、会员服务部"})
    result = excel.plan_items_import(plan, content, user=secretary, dry_run=False)
    assert result.ok and result.counts["update"] == 1 and result.counts["unchanged"] == 31
    assert result.rows[1].changed == [excel.DEADLINE, excel.LEAD]
    item = _item(plan, 3)
    assert item.deadline == date(2022, 6, 30) and item.lead_names == "综合部、会员服务部"
    assert set(item.lead_units.values_list("code", flat=True)) == {"CUEA-ZHB", "CUEA-HYB"}
    history = {change.field: change for change in history_of(item).filter(action=ChangeAction.CHANGED)}
    assert set(history) == {"deadline", "lead_units"}
    assert history["deadline"].old == "2022-12-31" and history["deadline"].new == "2022-06-30"
    assert history["lead_units"].new == "会员部、综合部" and history["lead_units"].user == secretary
    assert set(_rows(excel.plan_items_xlsx(plan))[2][5].split("、")) == {"综合部", "会员部"}


def test_a_row_with_a_new_number_adds_an_item_in_its_chapter(plan, secretary):
    new_row = {
        excel.CHAPTER: "二、完善登记管理，参与等级评估",
        excel.NUMBER: "（四）",
        excel.TITLE: "做好年度审计",
        excel.LEAD: "评价部",
        excel.DEADLINE: "2022年9月30日",
    }
    result = excel.plan_items_import(plan, _edited(plan, {}, [new_row]), user=secretary, dry_run=False)
    assert result.ok and result.counts["new"] == 1 and result.rows[-1].row == 34
    item = plan.items.get(chapter__number=2, number=4)
    assert item.number_style == NumberStyle.BRACKETED and item.label == "（四）"
    assert item.text == "做好年度审计" and item.deadline == date(2022, 9, 30) and item.percent == 0
    assert item.lead_units.get().code == "CUEA-PJB" and item.lead_names == "评价部"
    chapter_two = list(plan.items.filter(chapter__number=2).order_by("position").values_list("number", flat=True))
    assert chapter_two == [1, 2, 3, 4]
    assert list(plan.items.order_by("position").values_list("position", flat=True)) == list(range(1, 34))


def test_one_bad_row_among_good_ones_writes_nothing(plan, secretary):
    edits = {
        (3, excel.DEADLINE): date(2022, 6, 30),  # a good change, which must not be saved either
        (5, excel.LEAD): "综合部、宣传科",
        (6, excel.DEADLINE): "年底",
        (7, excel.PERCENT): 150,
        (8, excel.CATEGORY): "宣传工作",
        (9, excel.TITLE): None,
        (10, excel.CHAPTER): "十一",
    }
    result = excel.plan_items_import(plan, _edited(plan, edits), user=secretary, dry_run=False)
    assert not result.ok
    assert result.errors == [
        _row_error(5, "牵头单位", excel.UNKNOWN_UNIT % {"name": "宣传科"}),
        _row_error(6, "完成时限", spreadsheets.BAD_DATE % {"value": "年底"}),
        _row_error(7, "进度%", excel.BAD_PERCENT % {"value": "150"}),
        _row_error(8, "类别", excel.UNKNOWN_CATEGORY % {"name": "宣传工作"}),
        _row_error(9, "事项", excel.REQUIRED),
        _row_error(10, "章", excel.UNKNOWN_CHAPTER % {"value": "十一"}),
    ]
    assert "5" in result.errors[0] and "宣传科" in result.errors[0]
    assert [row.kind for row in result.rows[:5]] == ["unchanged", "update", "unchanged", "invalid", "invalid"]
    assert _item(plan, 3).deadline == date(2022, 12, 31)
    assert not _item_changes().exists() and plan.items.count() == 32


def test_the_same_item_twice_is_an_error(plan, secretary):
    duplicate = {excel.CHAPTER: "一", excel.NUMBER: "（一）", excel.TITLE: "重复"}
    result = excel.plan_items_import(plan, _edited(plan, {}, [duplicate]), user=secretary, dry_run=False)
    assert result.errors == [_row_error(34, "编号", excel.DUPLICATE_ROW % {"other": 2})]
    assert not plan.items.filter(title="重复").exists()


def test_progress_is_not_imported_and_formulas_are_refused(plan, secretary):
    content = _edited(plan, {(2, excel.PERCENT): 60})
    result = excel.plan_items_import(plan, content, user=secretary, dry_run=False)
    assert result.ok and result.rows[0].notes == [str(excel.PERCENT_KEPT % {"percent": 0})]
    assert _item(plan, 2).percent == 0
    with pytest.raises(spreadsheets.ExcelFileError, match="事项"):  # never evaluated, nor taken as text
        excel.plan_items_import(
            plan, _edited(plan, {(2, excel.TITLE): '=HYPERLINK("http://x")'}), user=secretary, dry_run=False
        )
    Item.objects.filter(pk=_item(plan, 2).pk).update(title='=HYPERLINK("http://x")')  # as typed in the form
    book = openpyxl.load_workbook(io.BytesIO(excel.plan_items_xlsx(plan)))
    assert book.active["C2"].data_type == "s" and book.active["C2"].quotePrefix  # text, and stays text in Excel


def test_dry_run_reports_changes_and_writes_nothing(plan, secretary):
    content = _edited(
        plan, {(3, excel.DEADLINE): "2022-06-30"}, [{excel.CHAPTER: "一", excel.NUMBER: 5, excel.TITLE: "新"}]
    )
    result = excel.plan_items_import(plan, content, user=secretary, dry_run=True)
    assert result.ok and result.dry_run and result.counts["update"] == 1 and result.counts["new"] == 1
    assert _item(plan, 3).deadline == date(2022, 12, 31) and plan.items.count() == 32
    assert not _item_changes().exists()


def test_unfit_files_are_refused(plan, secretary, monkeypatch):
    not_a_workbook = io.BytesIO()
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("hello.txt", "hello")
    for content in (b"just text", b"\xd0\xcf\x11\xe0 an old .xls", not_a_workbook.getvalue()):
        with pytest.raises(spreadsheets.ExcelFileError) as error:
            excel.plan_items_import(plan, content, user=secretary, dry_run=False)
        assert str(error.value) == str(spreadsheets.NOT_XLSX)
    with pytest.raises(spreadsheets.ExcelFileError) as error:
        excel.sheet_read(spreadsheets.ZIP_MAGIC + bytes(spreadsheets.MAX_BYTES))
    assert str(error.value) == spreadsheets.TOO_LARGE % {"megabytes": 5}
    too_long = _sheet_with(excel.HEADERS, [["一", i, "事项"] for i in range(spreadsheets.MAX_ROWS + 1)])
    with pytest.raises(spreadsheets.ExcelFileError) as error:
        excel.sheet_read(too_long)
    assert str(error.value) == spreadsheets.TOO_MANY_ROWS % {"count": 2000}
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 10_000)  # as a zip bomb would inflate
    with pytest.raises(spreadsheets.ExcelFileError) as error:
        excel.sheet_read(excel.plan_items_xlsx(plan))
    assert str(error.value) == spreadsheets.UNPACKS_TOO_LARGE % {"megabytes": 0}


def test_wrong_headers_name_the_expected_columns(plan, secretary):
    with pytest.raises(spreadsheets.ExcelFileError) as error:
        excel.sheet_read(_sheet_with(["章", "编号", "标题", "内容"], [["一", 1, "x", "y"]]))
    expected = excel.WRONG_HEADERS % {
        "expected": "、".join(excel.HEADERS),
        "missing": "事项、类别、牵头单位、协助单位、完成时限、进度%",
    }
    assert str(error.value) == expected and "章、编号、事项、内容" in str(error.value)


def test_preview_then_confirm_imports_and_goes_to_the_board(client, plan, secretary):
    client.force_login(secretary)
    url = f"/plans/{plan.pk}/import-excel/"
    assert client.get(url).status_code == 200
    upload = io.BytesIO(_edited(plan, {(3, excel.DEADLINE): date(2022, 6, 30)}))
    upload.name = "items.xlsx"
    response = client.post(url, {"file": upload, "preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and 'name="confirm"' in page
    assert _item(plan, 3).title in page and "完成时限" in page
    assert _item(plan, 3).deadline == date(2022, 12, 31)  # a preview writes nothing
    token = response.context["upload"]
    response = client.post(url, {"confirm": "1", "upload": token})
    assert response.status_code == 302 and response["Location"].startswith(f"/plans/{plan.pk}/")
    assert _item(plan, 3).deadline == date(2022, 6, 30) and _item_changes().get().user == secretary
    assert client.post(url, {"confirm": "1", "upload": token}).status_code == 302  # used up: back to upload
    assert _item_changes().count() == 1


def test_preview_shows_row_errors_and_offers_no_confirmation(client, plan, secretary):
    client.force_login(secretary)
    upload = io.BytesIO(_edited(plan, {(5, excel.LEAD): "宣传科"}))
    upload.name = "items.xlsx"
    page = client.post(f"/plans/{plan.pk}/import-excel/", {"file": upload, "preview": "1"}).content.decode()
    assert _row_error(5, "牵头单位", excel.UNKNOWN_UNIT % {"name": "宣传科"}) in page
    assert 'name="confirm"' not in page


def test_upload_page_refuses_other_files(client, plan, secretary):
    client.force_login(secretary)
    text = io.BytesIO(b"not a workbook")
    text.name = "items.txt"
    response = client.post(f"/plans/{plan.pk}/import-excel/", {"file": text, "preview": "1"})
    assert str(spreadsheets.NOT_XLSX) in response.content.decode()
    disguised = io.BytesIO(b"not a workbook")
    disguised.name = "items.xlsx"
    response = client.post(f"/plans/{plan.pk}/import-excel/", {"file": disguised, "preview": "1"})
    assert str(spreadsheets.NOT_XLSX) in response.content.decode() and response.context["upload"] is None


def test_export_downloads_with_the_plan_title(client, plan):
    staff = member(Unit.objects.get(code="CUEA-HYB"), Role.UNIT_STAFF, username="staff")
    client.force_login(staff)  # a plan is published to its whole organisation
    response = client.get(f"/plans/{plan.pk}/items.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(plan.title + '.xlsx')}"
    assert len(_rows(response.content)) == 33


@pytest.mark.parametrize(
    ("unit", "role", "export", "upload"),
    [
        ("CD-FLB", Role.CLERK, 404, 404),  # another organisation
        ("CD", Role.LEADER, 404, 404),
        ("CUEA", Role.LEADER, 200, 404),  # reads, does not change
        ("CUEA-HYB", Role.UNIT_STAFF, 200, 404),
        ("CUEA-ZHB", Role.SECRETARIAT, 200, 200),
    ],
)
def test_who_may_export_and_import(client, plan, unit, role, export, upload):
    client.force_login(member(Unit.objects.get(code=unit), role, username="someone"))
    assert client.get(f"/plans/{plan.pk}/items.xlsx").status_code == export
    assert client.get(f"/plans/{plan.pk}/import-excel/").status_code == upload
    content = io.BytesIO(_edited(plan, {(2, excel.TITLE): "改"}))
    content.name = "items.xlsx"
    client.post(f"/plans/{plan.pk}/import-excel/", {"file": content, "preview": "1"})
    assert not plan.items.filter(title="改").exists()


def test_anonymous_is_sent_to_log_in(client, plan):
    for url in (f"/plans/{plan.pk}/items.xlsx", f"/plans/{plan.pk}/import-excel/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_group_expressions_come_back_as_the_units_they_named(db):
    organisations_demo.seed()
    text = (Path(settings.SEEDS_DIR) / "district-center-2025-work-points.txt").read_text()
    plan = plan_import(plan_preview(text, issuer=Unit.objects.get(code="CD-HWZX")))
    content = excel.plan_items_xlsx(plan)
    first = _rows(content)[1]
    assert first[:2] == ("一", "1.") and first[5] == "中心办公室"  # written 办公室 / 各股室、各单位
    assert first[6] == "垃圾分类中心、环境卫生股、第一环卫所、第二环卫所、第三环卫所、第四环卫所"
    result = excel.plan_items_import(plan, content, user=None, dry_run=False)
    assert result.ok and result.counts["unchanged"] == 12
