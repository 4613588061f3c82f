from datetime import date
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.branches import excel, services
from plans.branches.models import Branch, BranchTerm
from sanitation.core import spreadsheets
from sanitation.core.history import history_of
from sanitation.core.models import Change

from .conftest import add_term, make_branch


def _xlsx(rows, headers=excel.HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def _rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _snapshot():
    branches = list(Branch.objects.order_by("pk").values())
    terms = list(BranchTerm.objects.order_by("pk").values())
    return branches, terms, Change.objects.count()


@pytest.fixture
def logged_in(client, secretary):
    client.force_login(secretary)
    return client


def test_export_writes_the_branches_with_their_current_term(logged_in, branch):
    response = logged_in.get(reverse("branches:export"))
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    rows = _rows(response.content)
    assert rows[0] == list(excel.HEADERS)
    name, field, scope, founded, tier, number, starts, ends, chair, secretary = rows[1]
    assert (name, field, scope, founded, tier, number) == ("垃圾分类专业委员会", "测试领域", "分类交流", None, "A", 2)
    assert (starts.date(), ends.date(), chair, secretary) == (date(2022, 1, 1), date(2026, 12, 31), "吴志明", "孙丽")


def test_export_then_import_changes_nothing(logged_in, association, secretary, branch):
    other = make_branch(association, secretary, name="环卫装备专业委员会", founded_on=date(2015, 3, 1))
    add_term(other, secretary, date(2020, 3, 1), date(2025, 2, 28))
    make_branch(association, secretary, name="无届次委员会")
    content = logged_in.get(reverse("branches:export")).content
    before = _snapshot()
    result = excel.branches_import(association, content, user=secretary, dry_run=False)
    assert result.ok, result.errors
    assert result.counts == {"new": 0, "update": 0, "unchanged": 3, "invalid": 0}
    assert _snapshot() == before


def test_import_updates_registers_and_renews_with_history(association, secretary, branch):
    content = _xlsx(
        [
            (
                "垃圾分类专业委员会",
                "生活垃圾分类",
                "分类交流",
                "2017-01-01",
                "B类",
                "第三届",
                "2027-01-01",
                "2031/12/31",
                "郑文华",
                "马晓东",
            ),
            (
                "城乡环卫一体化专业委员会",
                "城乡一体化",
                "",
                "2025年9月1日",
                "三类",
                1,
                date(2025, 9, 1),
                date(2030, 8, 31),
                "唐爱民",
                "",
            ),
        ]
    )
    preview = excel.branches_import(association, content, user=secretary, dry_run=True)
    assert preview.ok, preview.errors
    assert [(row.row, row.kind) for row in preview.rows] == [(2, "update"), (3, "new")]
    assert preview.rows[0].changed == ["专业领域", "成立日期", "分级", "new term"]
    assert not Branch.objects.filter(name="城乡环卫一体化专业委员会").exists()

    result = excel.branches_import(association, content, user=secretary, dry_run=False)
    assert result.ok
    branch.refresh_from_db()
    assert (branch.tier, branch.field, branch.founded_on) == ("B", "生活垃圾分类", date(2017, 1, 1))
    assert branch.current_term.number == 3 and branch.current_term.chair == "郑文华"
    assert history_of(branch).filter(field="tier", old="A", new="B", user=secretary).exists()
    new = Branch.objects.get(name="城乡环卫一体化专业委员会")
    assert (new.tier, new.founded_on, new.current_term.number) == ("C", date(2025, 9, 1), 1)


def test_the_same_term_number_corrects_the_current_term(association, secretary, branch):
    row = ("垃圾分类专业委员会", "测试领域", "分类交流", "", "A", "2", "2022-01-01", "2026-12-31", "王立", "孙丽")
    result = excel.branches_import(association, _xlsx([row]), user=secretary, dry_run=False)
    assert result.ok and result.rows[0].changed == ["主任委员"]
    assert branch.terms.count() == 2 and branch.current_term.chair == "王立"


def test_one_bad_row_among_good_ones_writes_nothing(association, secretary, branch):
    content = _xlsx(
        [
            ("新甲委员会", "甲", "", "2020-01-01", "A", 1, "2020-01-01", "2024-12-31", "", ""),
            ("新乙委员会", "乙", "", "2020-02-30", "B", "", "", "", "", ""),
            ("新丙委员会", "丙", "", "", "D", "", "", "", "", ""),
            ("新丁委员会", "丁", "", "", "C", 1, "2024-01-01", "2023-12-31", "", ""),
            ("垃圾分类专业委员会", "测试领域", "分类交流", "", "A", 1, "2017-01-01", "2021-12-31", "", ""),
            ("新戊委员会", "戊", "", "", "C", "", "", "", "", ""),
        ]
    )
    before = _snapshot()
    result = excel.branches_import(association, content, user=secretary, dry_run=False)
    assert not result.ok
    assert result.errors == [
        "Row 3, 成立日期: “2020-02-30” is not a date: write it as 2025-06-30.",
        "Row 4, 分级: “D” is not a tier: write A, B or C.",
        "Row 5, 本届结束: The term must end after it starts.",
        "Row 6, 本届届次: the current term is Term 2: a row gives the current term or a later one.",
    ]
    assert [row.kind for row in result.rows] == ["new", "invalid", "invalid", "invalid", "invalid", "new"]
    assert _snapshot() == before
    assert not Branch.objects.filter(name__startswith="新").exists()


def test_overlapping_term_and_duplicate_name_are_row_errors(association, secretary, branch):
    content = _xlsx(
        [
            ("垃圾分类专业委员会", "测试领域", "分类交流", "", "A", 3, "2026-06-01", "2031-05-31", "", ""),
            ("垃圾分类专业委员会", "测试领域", "分类交流", "", "A", "", "", "", "", ""),
        ]
    )
    result = excel.branches_import(association, content, user=secretary, dry_run=True)
    assert result.errors == [
        "Row 2, 本届开始: The term overlaps Term 2 (2022-01-01 – 2026-12-31): "
        "a new term starts after the last one ends.",
        "Row 3, 名称: row 2 has the same name.",
    ]


def test_import_page_previews_then_confirms(logged_in, association, branch):
    row = ("新委员会", "新领域", "", "", "B", "", "", "", "", "")
    upload = SimpleUploadedFile("branches.xlsx", _xlsx([row]))
    response = logged_in.post(reverse("branches:import"), {"file": upload, "preview": ""})
    html = response.content.decode()
    assert "1 new, 0 changed, 0 unchanged, 0 with errors." in html
    assert not Branch.objects.filter(name="新委员会").exists()
    token = response.context["upload"]
    response = logged_in.post(reverse("branches:import"), {"upload": token, "confirm": ""})
    assert response.status_code == 302 and response["Location"] == reverse("branches:list")
    assert Branch.objects.get(name="新委员会").organisation == association


def test_import_page_shows_row_errors_and_offers_no_confirmation(logged_in, branch):
    upload = SimpleUploadedFile("branches.xlsx", _xlsx([("新委员会", "", "", "", "X", "", "", "", "", "")]))
    html = logged_in.post(reverse("branches:import"), {"file": upload}).content.decode()
    assert "Row 2, 分级: “X” is not a tier: write A, B or C." in html
    assert 'id="excel-confirm"' not in html


def test_a_file_that_is_not_xlsx_is_refused(logged_in, branch):
    upload = SimpleUploadedFile("branches.xlsx", "名称,分级\n甲,A\n".encode())
    html = logged_in.post(reverse("branches:import"), {"file": upload}).content.decode()
    assert "This is not an Excel workbook (.xlsx)." in html
    upload = SimpleUploadedFile("branches.csv", b"a,b")
    html = logged_in.post(reverse("branches:import"), {"file": upload}).content.decode()
    assert "This is not an Excel workbook (.xlsx)." in html
    assert Branch.objects.count() == 1


def test_missing_columns_are_named(association, secretary):
    with pytest.raises(spreadsheets.ExcelFileError) as error:
        excel.branches_import(association, _xlsx([], headers=excel.HEADERS[:5]), user=secretary, dry_run=True)
    assert "本届届次、本届开始、本届结束、主任委员、秘书长" in str(error.value)


def test_export_queries_do_not_grow_with_rows(logged_in, association, secretary):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(reverse("branches:export")).status_code == 200
        return len(queries)

    branch = make_branch(association, secretary, name="甲")
    add_term(branch, secretary, date(2020, 1, 1), date(2024, 12, 31))
    few = count()
    for n in range(5):
        other = make_branch(association, secretary, name=f"乙{n}")
        add_term(other, secretary, date(2020, 1, 1), date(2024, 12, 31))
        services.branch_targets_set(branch=other, year=2025, targets="…", by=secretary)
    assert count() == few
