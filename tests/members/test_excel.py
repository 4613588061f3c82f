import io
from datetime import date, datetime

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.members import excel
from plans.members.demo import credit_code
from plans.members.models import Member, MemberStatus, MemberStatusChange, OrganisationType
from sanitation.core import spreadsheets
from sanitation.core.credit_code import check_character
from sanitation.core.history import history_of
from sanitation.core.models import Change, ChangeAction

H = excel.HEADERS


def _member_changes():
    """Lines of the members' history that change a field (adding a member writes "created")."""
    return Change.objects.filter(content_type__model="member", action=ChangeAction.CHANGED)


def _saved(book) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _sheet(rows: list[dict], headers=H) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append([row.get(header) for header in headers])
    return _saved(book)


def _rows(content: bytes) -> list[dict]:
    values = list(openpyxl.load_workbook(io.BytesIO(content)).active.values)
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def _code(index: int) -> str:
    return credit_code(700 + index, OrganisationType.ENTERPRISE, "350100")


def _unit_row(index: int, **cells) -> dict:
    row = {
        "名称": f"导入会员单位{index}",
        "类型": "单位会员",
        "统一社会信用代码": _code(index),
        "单位性质": "企业",
        "地区": "福建省福州市",
        "联系人": f"联系人{index}",
        "联系电话": "0591-88886666",
        "理事会职务": "理事",
        "入会日期": "2025-03-01",
        "状态": "在册",
    }
    return row | cells


def _upload(client, content: bytes, name="会员.xlsx"):
    return client.post("/members/import/", {"file": SimpleUploadedFile(name, content), "preview": ""})


def test_export_writes_chinese_headers_and_values(demo_members):
    rows = _rows(excel.members_xlsx(Member.objects.order_by("pk")))
    assert len(rows) == 36 and tuple(rows[0]) == H
    president = rows[0]
    assert president["名称"] == "京环城市服务集团有限公司" and president["类型"] == "单位会员"
    assert (president["理事会职务"], president["单位性质"], president["状态"]) == ("会长", "企业", "在册")
    assert president["入会日期"] == datetime(2015, 1, 1)
    assert {row["状态"] for row in rows} == {"在册", "暂停", "退会"}
    expert = next(row for row in rows if row["名称"] == "刘振华")
    assert (expert["类型"], expert["会员类别"], expert["工作单位"], expert["统一社会信用代码"]) == (
        "个人会员",
        "专家",
        "清华大学环境学院",
        None,
    )


def test_export_then_import_changes_nothing(demo_members, secretary):
    content = excel.members_xlsx(Member.objects.all())
    before = list(Member.objects.order_by("pk").values())
    result = excel.members_import(demo_members, content, user=secretary, dry_run=False)
    assert result.ok and result.counts == {"new": 0, "update": 0, "unchanged": 36, "invalid": 0}
    assert list(Member.objects.order_by("pk").values()) == before
    assert not _member_changes().exists()


def test_import_updates_matched_members_and_creates_the_others(demo_members, secretary):
    president = Member.objects.get(name="京环城市服务集团有限公司")
    expert = Member.objects.get(name="刘振华")
    rows = [
        _unit_row(1),
        _unit_row(2, 类型="单位", 理事会职务="", 状态=""),  # blanks: the defaults
        _unit_row(3, 统一社会信用代码=president.credit_code.lower(), 名称=president.name, 联系人="新联系人"),
        _rows(excel.members_xlsx(Member.objects.filter(pk=expert.pk)))[0] | {"职称": "教授", "状态": "暂停"},
        {
            "名称": "新专家",
            "类型": "个人会员",
            "会员类别": "青年人才",
            "工作单位": "福州大学",
            "入会日期": "2026年5月4日",
        },
    ]
    content = _sheet(rows)
    preview = excel.members_import(demo_members, content, user=secretary, dry_run=True)
    assert preview.ok and preview.counts == {"new": 3, "update": 2, "unchanged": 0, "invalid": 0}
    assert [row.kind for row in preview.rows] == ["new", "new", "update", "update", "new"]
    assert preview.rows[2].changed == ["地区", "联系人", "联系电话", "电子邮箱", "理事会职务", "入会日期"]
    assert preview.rows[3].changed == ["职称", "状态"]
    assert Member.objects.count() == 36 and not _member_changes().exists()

    result = excel.members_import(demo_members, content, user=secretary, dry_run=False)
    assert result.ok and Member.objects.count() == 39
    second = Member.objects.get(name="导入会员单位2")
    assert (second.council_position, second.status, second.credit_code) == ("member", "active", _code(2))
    assert second.status_changes.get().user == secretary
    assert Member.objects.get(name="新专家").joined_on == date(2026, 5, 4)
    president.refresh_from_db()
    assert president.contact_person == "新联系人" and president.council_position == "director"
    assert history_of(president).get(field="contact_person").user == secretary
    expert.refresh_from_db()
    assert (expert.status, expert.title) == (MemberStatus.SUSPENDED, "教授")
    change = expert.status_changes.first()
    assert change.reason == str(excel.IMPORTED) and change.user == secretary


def test_one_bad_row_writes_nothing_and_names_row_and_column(demo_members, secretary):
    wrong = _code(2)[:-1] + ("0" if _code(2)[-1] != "0" else "1")
    rows = [_unit_row(1), _unit_row(2, 统一社会信用代码=wrong), _unit_row(3, 理事会职务="秘书长"), _unit_row(4)]
    result = excel.members_import(demo_members, _sheet(rows), user=secretary, dry_run=False)
    expected = check_character(wrong[:17])
    assert result.errors == [
        f"Row 3, 统一社会信用代码: The check character of “{wrong}” is wrong: it should end in {expected}. "
        "Check the code for a typo.",
        "Row 4, 理事会职务: “秘书长” is not one of 会长、副会长、常务理事、理事、会员.",
    ]
    assert [row.kind for row in result.rows] == ["new", "invalid", "invalid", "new"]
    assert (
        Member.objects.count() == 36 and not MemberStatusChange.objects.filter(member__name__startswith="导入").exists()
    )


def test_row_problems_each_named(demo_members, secretary):
    rows = [
        _unit_row(1, 统一社会信用代码=""),
        _unit_row(2, 入会日期="2025-02-30"),
        _unit_row(3),
        _unit_row(4, 统一社会信用代码=_code(3)),
        {"名称": "无类别", "类型": "个人会员", "入会日期": "2025-01-01"},
        _unit_row(5, 类型="团体会员"),
    ]
    errors = excel.members_import(demo_members, _sheet(rows), user=secretary, dry_run=True).errors
    assert errors == [
        "Row 2, 统一社会信用代码: A unit member needs this.",
        "Row 3, 入会日期: “2025-02-30” is not a date: write it as 2025-06-30.",
        "Row 5, 统一社会信用代码: row 4 is the same member.",
        "Row 6, 会员类别: An individual member needs this.",
        "Row 7, 类型: “团体会员” is not one of 单位会员、个人会员.",
    ]


def test_missing_columns_refuse_the_file(demo_members, secretary):
    content = _sheet([_unit_row(1)], headers=[h for h in H if h != "入会日期"])
    try:
        excel.members_import(demo_members, content, user=secretary, dry_run=True)
    except spreadsheets.ExcelFileError as error:
        assert "Missing or repeated: 入会日期" in str(error)
    else:
        raise AssertionError("the sheet without 入会日期 was read")


# The page -------------------------------------------------------------------------------------


def test_upload_preview_confirm(client, demo_members, secretary):
    client.force_login(secretary)
    existing = Member.objects.get(name="穗洁环卫服务有限公司")
    rows = [_unit_row(i) for i in range(1, 5)] + [
        _unit_row(9, 名称=existing.name, 统一社会信用代码=existing.credit_code)
    ]
    response = _upload(client, _sheet(rows))
    page = response.content.decode()
    assert response.status_code == 200 and "4 new, 1 changed, 0 unchanged, 0 with errors." in page
    assert 'id="excel-confirm"' in page and Member.objects.count() == 36
    response = client.post("/members/import/", {"upload": response.context["upload"], "confirm": ""}, follow=True)
    assert response.redirect_chain[-1][0] == "/members/list/"
    assert "Imported from Excel: 4 new members, 1 changed, 0 unchanged." in response.content.decode()
    assert Member.objects.count() == 40
    # The token is used up: confirming again imports nothing twice.
    response = client.post("/members/import/", {"upload": "whatever", "confirm": ""}, follow=True)
    assert "The preview is out of date" in response.content.decode() and Member.objects.count() == 40


def test_upload_with_errors_offers_no_confirmation(client, demo_members, secretary):
    client.force_login(secretary)
    page = _upload(client, _sheet([_unit_row(1), _unit_row(2, 统一社会信用代码="123")])).content.decode()
    assert "Row 3, 统一社会信用代码: A unified social credit code has 18 characters" in page
    assert 'id="excel-confirm"' not in page


def test_non_xlsx_upload_is_refused_with_a_message(client, association, secretary):
    client.force_login(secretary)
    for name, content in (("会员.csv", "名称,类型\n".encode()), ("会员.xlsx", b"not a workbook")):
        response = _upload(client, content, name=name)
        assert response.status_code == 200
        assert str(spreadsheets.NOT_XLSX) in response.content.decode()
    assert not Member.objects.exists()


def test_export_download_follows_the_filters_in_constant_queries(client, demo_members, secretary):
    client.force_login(secretary)

    def export(params) -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/members/export.xlsx", params)
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        return len(context.captured_queries), _rows(response.content)

    few, rows = export({"kind": "individual"})
    assert {row["名称"] for row in rows} == {"刘振华", "马丽娟", "高文斌", "林晓", "黄子涵", "罗一鸣", "谢雨桐", "唐浩"}
    many, rows = export({})
    assert many == few and len(rows) == 36
