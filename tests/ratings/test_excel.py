import io
from datetime import datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.ratings import excel, excel_widgets
from plans.ratings.excel import EnterpriseResource, FacilityResource
from plans.ratings.models import Enterprise, Facility
from sanitation.core import spreadsheets
from sanitation.core.credit_code import credit_code_validate
from sanitation.organisations.models import Unit, User

from .conftest import credit_code, make_enterprise, make_facility

FACILITY_HEADERS = (
    *("设施名称", "类型", "省份", "城市", "地址"),
    *("处理能力（吨/日）", "运营单位", "运营单位统一社会信用代码"),
)
ENTERPRISE_HEADERS = ("企业名称", "统一社会信用代码", "所在地区", "业务类型", "联系人", "联系电话")


@pytest.fixture
def cuea(demo):
    return Unit.objects.get(code="CUEA")


def _rows(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


def _book(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _export(resource, organisation) -> bytes:
    return excel.registry_xlsx(resource, organisation=organisation, title="登记")


def _message(code: str) -> str:
    with pytest.raises(ValidationError) as wrong:
        credit_code_validate(code)
    return wrong.value.messages[0]


def test_facility_export_has_the_registry_with_current_grades(cuea, on_demo_day):
    rows = _rows(_export(FacilityResource, cuea))
    assert rows[0] == (*FACILITY_HEADERS, "当前等级", "有效期至")
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 6
    jiangbei = by_name["江北市生活垃圾焚烧发电厂"]
    assert jiangbei[1:4] == ("焚烧厂", "江苏省", "江北市") and jiangbei[5] == 2250
    assert jiangbei[6] == "江北绿能环保发电有限公司" and jiangbei[8:] == ("AA", datetime(2027, 1, 19))
    assert by_name["北岭市生活垃圾焚烧发电厂"][8:] == (None, None)


def test_export_then_import_changes_nothing(cuea):
    for resource in (FacilityResource, EnterpriseResource):
        result = excel.registry_import(resource, _export(resource, cuea), organisation=cuea, dry_run=False)
        assert result.ok and result.counts == {"new": 0, "update": 0, "unchanged": len(result.rows), "invalid": 0}
    assert Facility.objects.count() == 6 and Enterprise.objects.count() == 8


def test_edited_and_new_rows_are_imported(cuea):
    book = openpyxl.load_workbook(io.BytesIO(_export(EnterpriseResource, cuea)))
    sheet = book.active
    sheet.cell(2, 5).value = "新联系人"
    sheet.append(["某市环卫服务有限公司", credit_code(77).lower(), "湖南省长沙市", "垃圾收运", "", "0731-1234567"])
    stream = io.BytesIO()
    book.save(stream)
    preview = excel.registry_import(EnterpriseResource, stream.getvalue(), organisation=cuea, dry_run=True)
    assert preview.ok and preview.counts == {"new": 1, "update": 1, "unchanged": 7, "invalid": 0}
    assert not Enterprise.objects.filter(name="某市环卫服务有限公司").exists()
    result = excel.registry_import(EnterpriseResource, stream.getvalue(), organisation=cuea, dry_run=False)
    assert result.ok and result.rows[-1].name == "某市环卫服务有限公司" and result.rows[-1].kind == "new"
    added = Enterprise.objects.get(name="某市环卫服务有限公司")
    assert added.credit_code == credit_code(77) and added.business == "collection" and added.organisation == cuea
    assert Enterprise.objects.filter(contact_person="新联系人").count() == 1


def test_a_bad_credit_code_among_good_rows_writes_nothing_and_names_row_and_column(cuea):
    wrong = "91350100M000100Y44"
    rows = [
        FACILITY_HEADERS,
        ("甲市焚烧厂", "焚烧厂", "湖南省", "甲市", "", 900, "甲市能源有限公司", credit_code(1)),
        ("乙市焚烧厂", "焚烧厂", "湖南省", "乙市", "", 700, "乙市能源有限公司", wrong),
        ("丙市填埋场", "填埋场", "湖南省", "丙市", "", "很多", "丙市能源有限公司", ""),
        ("丁市转运站", "仓库", "湖南省", "丁市", "", 300, "", ""),
    ]
    result = excel.registry_import(FacilityResource, _book(rows), organisation=cuea, dry_run=False)
    assert not result.ok
    assert result.errors == [
        spreadsheets.row_message(3, "运营单位统一社会信用代码", _message(wrong)),
        spreadsheets.row_message(4, "处理能力（吨/日）", excel_widgets.BAD_CAPACITY % {"value": "很多"}),
        spreadsheets.row_message(
            5, "类型", excel_widgets.BAD_CHOICE % {"value": "仓库", "choices": "、".join(excel.FACILITY_KINDS)}
        ),
    ]
    assert [row.kind for row in result.rows] == ["new", "invalid", "invalid", "invalid"]
    assert Facility.objects.count() == 6


def test_a_duplicate_credit_code_in_the_sheet_is_a_row_error(cuea):
    rows = [
        ENTERPRISE_HEADERS,
        ("甲公司", credit_code(90), "北京市", "垃圾处理", "", ""),
        ("乙公司", credit_code(90), "北京市", "垃圾处理", "", ""),
    ]
    result = excel.registry_import(EnterpriseResource, _book(rows), organisation=cuea, dry_run=False)
    duplicate = excel.DUPLICATE_ROW % {"other": 2, "column": "统一社会信用代码"}
    assert result.errors == [spreadsheets.row_message(3, "统一社会信用代码", duplicate)]
    assert not Enterprise.objects.filter(name__in=["甲公司", "乙公司"]).exists()


def test_missing_columns_and_other_files_are_refused(cuea):
    with pytest.raises(spreadsheets.ExcelFileError, match="设施名称"):
        excel.registry_import(FacilityResource, _book([("名称",)]), organisation=cuea, dry_run=True)
    with pytest.raises(spreadsheets.ExcelFileError):
        excel.registry_import(FacilityResource, b"name,kind\n", organisation=cuea, dry_run=True)


def test_export_queries_do_not_grow_with_the_registry(cuea):
    counts = []
    for extra in (0, 10):
        for number in range(extra):
            make_facility(cuea, f"新增焚烧厂{number}")
            make_enterprise(cuea, f"新增企业{number}", 300 + number)
        with CaptureQueriesContext(connection) as queries:
            _export(FacilityResource, cuea)
            _export(EnterpriseResource, cuea)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2


# Pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def secretariat(demo, client):
    client.force_login(User.objects.get(username="secretariat"))
    return client


def _upload(content: bytes, name="登记.xlsx"):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_download_preview_and_confirm(secretariat):
    url = reverse("ratings:facility-import")
    exported = secretariat.get(reverse("ratings:facility-export"))
    assert exported["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    book.active.append(["戊市焚烧厂", "焚烧厂", "湖南省", "戊市", "", 900, "戊市能源有限公司", "91350100M000100Y43"])
    stream = io.BytesIO()
    book.save(stream)
    response = secretariat.post(url, {"file": _upload(stream.getvalue()), "preview": ""})
    page = response.content.decode()
    assert 'id="excel-confirm"' in page and "戊市焚烧厂" in page
    assert not Facility.objects.filter(name="戊市焚烧厂").exists()
    token = page.split('name="upload" value="')[1].split('"')[0]
    response = secretariat.post(url, {"upload": token, "confirm": ""})
    assert response["Location"] == reverse("ratings:facility-list")
    assert Facility.objects.get(name="戊市焚烧厂").operator_credit_code == "91350100M000100Y43"
    response = secretariat.post(url, {"upload": token, "confirm": ""})  # used once
    assert response["Location"] == url


def test_a_file_with_a_row_error_offers_no_confirmation(secretariat):
    rows = [ENTERPRISE_HEADERS, ("甲公司", "91350100M000100Y44", "北京市", "垃圾处理", "", "")]
    response = secretariat.post(reverse("ratings:enterprise-import"), {"file": _upload(_book(rows))})
    page = response.content.decode()
    assert 'id="excel-errors"' in page and 'id="excel-confirm"' not in page
    assert spreadsheets.row_message(2, "统一社会信用代码", _message("91350100M000100Y44")) in page


def test_a_file_that_is_not_xlsx_is_refused(secretariat):
    response = secretariat.post(reverse("ratings:facility-import"), {"file": _upload(b"a,b\n", name="登记.csv")})
    assert response.status_code == 400 and str(spreadsheets.NOT_XLSX) in response.content.decode()
    response = secretariat.post(reverse("ratings:facility-import"), {"file": _upload(b"a,b\n")})
    assert response.status_code == 400 and str(spreadsheets.NOT_XLSX) in response.content.decode()
