"""The bad-input catalogue (issue 9, point 5): hostile spreadsheets, plan documents, photos and
form values, each posted through the real page by the user who would post it. Every one must
be refused with a clear message (Chinese, the test client's language), write nothing (no row
anywhere, no changed row, no file in storage), and never answer 500.

The hostile files are built at test time by tests/bad_inputs.py. The demo world is built once
for the module (as tests/test_leak_matrix.py does) and each test runs in its own savepoint.
"""

import html
import io
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm, BaseFormSet
from django.template import Context
from django.test.utils import ContextList, override_settings
from django.utils import translation

from classification.excel import columns as ledger_columns
from classification.excel import importing as ledger_importing
from classification.models import Site, StreetTarget
from plans import excel as plan_excel
from plans import sources
from plans.branches.models import Branch
from plans.members.models import Member
from plans.models import Item, Plan
from plans.ratings.excel_widgets import BAD_CAPACITY
from plans.ratings.models import Enterprise, Facility, RatingApplication, RatingRound, RatingScheme
from sanitation.core import excel_uploads, spreadsheets
from sanitation.core.forms import EARLIEST_DATE, LATEST_DATE
from sanitation.documents.models import Circular, CircularStatus
from sanitation.organisations.models import Unit, User
from supervision import photos, rectifications
from supervision.models import Photo, Rectification
from tests import bad_inputs as bad
from tests.leak_objects import world_build

NUL = "正常\x00文字"
LONG = 10_000
BAD_DATES = ("0001-01-01", "9999-12-31", "1900-01-01", "2025-02-30", NUL)
BAD_NUMBERS = ("1e30", "-1e30", "9" * 30, "NaN", "1" * 5000, NUL)
# Hidden inputs are the page's own (ids, versions, a position): a tampered one is refused or
# ignored. "²" passes str.isdigit() and breaks int(); "9" * 5000 breaks int() on its length.
BAD_HIDDEN = (NUL, "²", "9" * 5000, "-1e308", "x" * LONG)


def chinese(message) -> str:
    """The message as the test client's pages show it: a lazy message or an msgid, in Chinese."""
    with translation.override("zh-hans"):
        return translation.gettext(message) if isinstance(message, str) else str(message)


# The world and what “nothing written” means ----------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world with its photos and PDFs in a media folder of its own, built once for the
    module and rolled back after it."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("bad-input-media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        world_build()
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def as_user(world, db, client):
    def login(username: str):
        client.force_login(User.objects.get(username=username))
        return client

    return login


def _tables() -> list[str]:
    return sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed})


def fingerprint() -> dict[str, int]:
    """Every table's row count, in one query."""
    quote = connection.ops.quote_name
    query = " UNION ALL ".join(f"SELECT '{table}', COUNT(*) FROM {quote(table)}" for table in _tables())
    with connection.cursor() as cursor:
        cursor.execute(query)
        return dict(cursor.fetchall())


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


class NothingWritten:
    """Row counts of every table, the given rows and the media files, compared on exit."""

    def __init__(self, *objects):
        self.objects = objects

    @staticmethod
    def _row(obj) -> dict:
        return type(obj).objects.filter(pk=obj.pk).values().get()

    def __enter__(self):
        self.counts, self.files = fingerprint(), media_files()
        self.rows = [self._row(obj) for obj in self.objects]
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False
        after = fingerprint()
        changed = {table: (self.counts[table], after[table]) for table in after if after[table] != self.counts[table]}
        assert not changed, f"rows were written: {changed}"
        assert media_files() == self.files, "files were written"
        assert [self._row(obj) for obj in self.objects] == self.rows, "a row was changed"
        return False


def _forms_in(value, depth: int = 0) -> list[BaseForm]:
    """The forms in a context value: a form, a formset, or a list or dict holding them (a page
    listing its action forms)."""
    if isinstance(value, BaseForm):
        return [value]
    if isinstance(value, BaseFormSet):
        return list(value)
    if depth < 2 and isinstance(value, list | tuple):
        return [form for item in value for form in _forms_in(item, depth + 1)]
    if depth < 2 and isinstance(value, dict):
        return [form for item in value.values() for form in _forms_in(item, depth + 1)]
    return []


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def shown(client, response) -> list[str]:
    """The error messages the user sees: a refused form's errors, or the messages of the page
    a refusal redirects to (which is then fetched, as the browser would)."""
    assert response.status_code != 500
    messages = []
    contexts = response.context if isinstance(response.context, ContextList) else [response.context or Context()]
    forms = {}
    for context in contexts:
        for value in context.flatten().values():
            for form in _forms_in(value):
                if form.is_bound:
                    forms[id(form)] = form
    for form in forms.values():
        messages += [str(error) for errors in form.errors.values() for error in errors]
    if response.status_code == 302:
        messages += [str(m) for m in get_messages(response.wsgi_request) if "error" in m.tags]
        follow = client.get(response["Location"])
        assert follow.status_code == 200
        text = page_text(follow)
    else:
        text = page_text(response)
    assert all(message in text for message in messages), f"messages not on the page: {messages}"
    return list(dict.fromkeys(messages))


# Excel imports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    name: str
    user: str
    url: str  # with {plan} where the plan's id goes
    export: str
    date_column: str | None  # a column read as a date
    text_column: str  # a column of free text

    def urls(self) -> tuple[str, str]:
        plan = Plan.objects.order_by("pk").first()
        return self.url.format(plan=plan.pk), self.export.format(plan=plan.pk)


IMPORTS = [
    Import("plan items", "secretariat", "/plans/{plan}/import-excel/", "/plans/{plan}/items.xlsx", "完成时限", "内容"),
    Import("members", "secretariat", "/members/import/", "/members/export.xlsx", "入会日期", "名称"),
    Import("branches", "secretariat", "/branches/import/", "/branches/export.xlsx", "成立日期", "业务范围"),
    Import(
        "facilities", "secretariat", "/ratings/facilities/import/", "/ratings/facilities/export.xlsx", None, "设施名称"
    ),
    Import(
        "enterprises",
        "secretariat",
        "/ratings/enterprises/import/",
        "/ratings/enterprises/export.xlsx",
        None,
        "企业名称",
    ),
    Import(
        "sorting facilities ledger",
        "clerk",
        "/sorting/ledgers/facilities/import/",
        "/sorting/ledgers/facilities/export/",
        "登记日期",
        "备注",
    ),
    Import(
        "publicity ledger",
        "clerk",
        "/sorting/ledgers/publicity/import/",
        "/sorting/ledgers/publicity/export/",
        "日期",
        "主题",
    ),
    Import(
        "people ledger",
        "clerk",
        "/sorting/ledgers/people/import/",
        "/sorting/ledgers/people/export/",
        "上岗日期",
        "姓名",
    ),
]


def _upload(content: bytes, name: str = "导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=spreadsheets.XLSX_CONTENT_TYPE)


_EXPORTS: dict[str, bytes] = {}  # the world's exports are the same in every test of the module


def _export(client, url: str, *, fresh: bool = False) -> bytes:
    if fresh or url not in _EXPORTS:
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
        _EXPORTS[url] = response.content
    return _EXPORTS[url]


def _headers(content: bytes) -> list[str]:
    return [cell.value for cell in openpyxl.load_workbook(io.BytesIO(content), read_only=True).active[1]]


def _preview(client, url: str, content: bytes, name: str = "导入.xlsx"):
    with NothingWritten():
        response = client.post(url, {"file": _upload(content, name), "preview": "1"})
    assert response.status_code in (200, 400), response.status_code
    assert response.context["upload"] is None  # no confirmation offered
    return response


def _refused_with(client, url: str, content: bytes, message: str, name: str = "导入.xlsx"):
    response = _preview(client, url, content, name)
    assert message in shown(client, response)
    return response


# (name, builder(headers) → bytes, the message) for files the importer refuses as a whole.
UNFIT_FILES = [
    ("text named .xlsx", lambda headers: bad.text_named_xlsx(), spreadsheets.NOT_XLSX),
    ("Excel 97 .xls", lambda headers: bad.old_xls(), spreadsheets.NOT_XLSX),
    ("zip that is no workbook", lambda headers: bad.zip_not_xlsx(), spreadsheets.NOT_XLSX),
    ("workbook cut in half", bad.truncated_xlsx, spreadsheets.NOT_XLSX),
    ("NUL byte in the sheet's XML", bad.raw_nul_in_xml, spreadsheets.NOT_XLSX),
    ("billion laughs", bad.entity_bomb, spreadsheets.NOT_XLSX),
    ("zip bomb of 1 GB", lambda headers: bad.zip_bomb_xlsx(), spreadsheets.UNPACKS_TOO_LARGE % {"megabytes": 100}),
    ("zip bomb lying about its size", lambda headers: bad.lying_zip_bomb_xlsx(), spreadsheets.NOT_XLSX),
    ("a row at 1,048,576", bad.far_row, spreadsheets.TOO_MANY_CELLS),
    ("a million empty rows", bad.million_empty_rows, spreadsheets.TOO_MANY_CELLS),
    ("a row of three million cells", bad.row_of_million_cells, spreadsheets.TOO_MANY_CELLS),
    ("a million shared strings", bad.million_shared_strings, spreadsheets.TOO_MANY_CELLS),
    ("wrong columns", lambda headers: bad.workbook(["姓名", "电话", "地址"], [["张三", "1", "x"]]), None),
    ("no columns at all", lambda headers: bad.workbook([]), None),
]


def _max_rows(importer: Import) -> int:
    return ledger_importing.MAX_ROWS if "ledger" in importer.name else spreadsheets.MAX_ROWS


# The whole catalogue through an importer of each kind (django-import-export resources, the
# ledgers' own importer); through every importer, the checks that show each page has them.
EVERY_UNFIT_FILE = [
    pytest.param(importer, *unfit, id=f"{unfit[0]}-{importer.name}")
    for importer in (IMPORTS[0], IMPORTS[-1])
    for unfit in UNFIT_FILES
] + [
    pytest.param(importer, *unfit, id=f"{unfit[0]}-{importer.name}")
    for importer in IMPORTS[1:-1]
    for unfit in UNFIT_FILES
    if unfit[0] in ("text named .xlsx", "zip bomb of 1 GB", "a million empty rows", "wrong columns")
]


@pytest.mark.parametrize(("importer", "case", "build", "message"), EVERY_UNFIT_FILE)
def test_unfit_workbooks_are_refused_whole(as_user, importer, case, build, message):
    client = as_user(importer.user)
    url, export = importer.urls()
    headers = _headers(_export(client, export))
    response = _preview(client, url, build(headers))
    refused = shown(client, response)
    if message is None:  # wrong columns: the importer names the columns it wants
        assert len(refused) == 1 and "、".join(h for h in headers if h)[:20] in refused[0]
    elif message == spreadsheets.TOO_MANY_CELLS:
        assert refused == [chinese(message % {"count": _max_rows(importer)})]
    else:
        assert refused == [chinese(message)]


@pytest.mark.parametrize("importer", IMPORTS, ids=[i.name for i in IMPORTS])
def test_a_file_not_named_xlsx_is_refused_before_it_is_read(as_user, importer):
    client = as_user(importer.user)
    url, export = importer.urls()
    _refused_with(client, url, _export(client, export), chinese(spreadsheets.NOT_XLSX), name="导入.csv")


@pytest.mark.parametrize("importer", IMPORTS, ids=[i.name for i in IMPORTS])
def test_a_sheet_declaring_a_million_rows_is_read_for_what_it_holds(as_user, importer):
    """<dimension ref="A1:XFD1048576"/> with no rows, and rows whose one cell is in column XFD:
    the declared size is ignored, no row is padded to 16,384 columns, and the sheet is empty."""
    client = as_user(importer.user)
    url, export = importer.urls()
    headers = _headers(_export(client, export))
    for content in (bad.million_rows_declared(headers), bad.far_columns(headers)):
        started = time.monotonic()
        _refused_with(client, url, content, chinese(spreadsheets.NO_ROWS))
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("importer", IMPORTS, ids=[i.name for i in IMPORTS])
def test_formulas_are_refused_never_evaluated(as_user, importer):
    client = as_user(importer.user)
    url, export = importer.urls()
    content = _export(client, export)
    formulas = {
        (2, importer.text_column): ("formula", "=1+1"),
        (2, _headers(content)[0]): ("formula", '=HYPERLINK("http://example.com/x","点我")'),
        (3, importer.text_column): ("formula", "=cmd|' /C calc'!A0"),
    }
    content = bad.cells_replaced(content, formulas, keep_rows=3)
    places = "; ".join(
        chinese(spreadsheets.CELL_AT % {"row": row, "column": column})
        for row, column in sorted(formulas, key=lambda place: (place[0], _headers(content).index(place[1])))
    )
    _refused_with(client, url, content, chinese(spreadsheets.FORMULAS % {"cells": places}))


DATED_IMPORTS = [i for i in IMPORTS if i.date_column]
OUT_OF_RANGE = ["0001-01-01", "9999-12-31", "1900-01-01", "1949-12-31", "2101-01-01"]
NO_DATES = ["2025-02-30", "明年三月", "2025年13月1日", "30/06/2025", "2025-6"]


@pytest.mark.parametrize("importer", DATED_IMPORTS, ids=[i.name for i in DATED_IMPORTS])
def test_dates_out_of_range_and_no_dates_are_refused(as_user, importer):
    """One bad date a row, rows 2 to 11: each row's message names its value."""
    client = as_user(importer.user)
    url, export = importer.urls()
    values = [*OUT_OF_RANGE, *NO_DATES, datetime(2150, 1, 1)]  # the last a date cell, as Excel stores one
    rows = {(row, importer.date_column): value for row, value in enumerate(values, start=2)}
    content = bad.cells_replaced(_export(client, export), rows, keep_rows=len(values) + 1)
    errors = " ".join(shown_import_errors(client, _preview(client, url, content)))
    for value in [*OUT_OF_RANGE, "2150-01-01"]:
        message = spreadsheets.DATE_OUT_OF_RANGE % {"value": value, "earliest": EARLIEST_DATE, "latest": LATEST_DATE}
        assert chinese(message) in errors
    for value in NO_DATES:
        assert chinese(spreadsheets.BAD_DATE % {"value": value}) in errors


NUMBER_CELLS = [
    (IMPORTS[0], "进度%", 1e30, plan_excel.BAD_PERCENT),
    (IMPORTS[0], "进度%", -5, plan_excel.BAD_PERCENT),
    (IMPORTS[3], "处理能力（吨/日）", 1e30, None),  # the model's own “no more than 8 digits”
    (IMPORTS[3], "处理能力（吨/日）", -1, BAD_CAPACITY),
    (IMPORTS[5], "数量", -1, ledger_columns.NEGATIVE),
    (IMPORTS[5], "数量", 0.5, ledger_columns.NOT_WHOLE),
    (IMPORTS[5], "容量", 1e30, ledger_columns.NUMBER_TOO_LARGE),
]


@pytest.mark.parametrize(
    ("importer", "column", "value", "message"),
    NUMBER_CELLS,
    ids=[f"{i.name}-{column}-{value}" for i, column, value, _m in NUMBER_CELLS],
)
def test_numbers_out_of_range_are_refused(as_user, importer, column, value, message):
    client = as_user(importer.user)
    url, export = importer.urls()
    content = bad.cells_replaced(_export(client, export), {(2, column): value}, keep_rows=2)
    errors = shown_import_errors(client, _preview(client, url, content))
    assert len(errors) == 1 and column in errors[0]
    if message is not None:
        assert chinese(message % {"value": spreadsheets.cell_text(value)}) in errors[0]


@pytest.mark.parametrize("importer", IMPORTS, ids=[i.name for i in IMPORTS])
def test_ten_thousand_characters_in_a_cell_are_refused(as_user, importer):
    client = as_user(importer.user)
    url, export = importer.urls()
    content = bad.cells_replaced(_export(client, export), {(2, importer.text_column): "长" * LONG}, keep_rows=2)
    response = _preview(client, url, content)
    errors = shown_import_errors(client, response)
    assert len(errors) == 1 and importer.text_column in errors[0]


@pytest.mark.parametrize("importer", IMPORTS, ids=[i.name for i in IMPORTS])
def test_excels_escaped_nul_is_taken_as_the_text_it_is(as_user, importer):
    """_x0000_ is how Excel writes a NUL; openpyxl leaves it as text, so no NUL reaches a row
    (a raw NUL in the XML is refused with the damaged file, above)."""
    client = as_user(importer.user)
    url, export = importer.urls()
    content = bad.escaped_control_character(_export(client, export), 2, importer.text_column)
    with NothingWritten():
        response = client.post(url, {"file": _upload(content), "preview": "1"})
    assert response.status_code == 200 and "\x00" not in response.content.decode()


def shown_import_errors(client, response) -> list[str]:
    result = response.context["result"]
    assert result is not None and not result.ok
    text = page_text(response)
    assert all(error in text for error in result.errors)
    return result.errors


def test_a_100_mb_upload_is_refused_by_its_size_without_being_read(as_user, monkeypatch):
    """Streamed to the server as a browser sends it: the form refuses it by the size the upload
    handler counted; the importer never sees the bytes."""
    client = as_user("secretariat")
    read = []
    monkeypatch.setattr(spreadsheets, "sheet_read", lambda *args, **kwargs: read.append(1))
    body = bad.StreamedMultipart(field="file", filename="大文件.xlsx", size=100 * bad.MEGABYTE, fields={"preview": "1"})
    with NothingWritten():
        response = bad.streamed_post(client, "/members/import/", body)
    print(
        response.status_code,
        response.content.decode()[:3000],
        response.context and response.context.get("form") and response.context["form"].errors,
    )
    assert response.status_code == 200 and not read and body.sent == body.length
    message = chinese(spreadsheets.TOO_LARGE % {"megabytes": spreadsheets.MAX_BYTES // bad.MEGABYTE})
    assert shown(client, response) == [message]


def test_an_upload_past_the_request_limit_is_refused_before_it_is_read(as_user):
    client = as_user("secretariat")
    size = settings.UPLOAD_MAX_REQUEST_BYTES
    body = bad.StreamedMultipart(field="file", filename="巨大.xlsx", size=size, fields={"preview": "1"})
    with NothingWritten():
        response = bad.streamed_post(client, "/members/import/", body)
    assert response.status_code == 400 and body.sent < bad.MEGABYTE
    assert chinese("Request not accepted") in page_text(response)


def test_upload_settings_keep_big_files_out_of_memory():
    # Non-file fields are held in memory, and bounded; files above 2.5 MB go to a temporary file.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000 and settings.DATA_UPLOAD_MAX_NUMBER_FILES == 100
    assert settings.FILE_UPLOAD_HANDLERS[0] == "sanitation.core.uploads.RequestSizeLimit"
    assert settings.UPLOAD_MAX_REQUEST_BYTES == 200 * bad.MEGABYTE


def test_a_confirmation_without_its_preview_imports_nothing(as_user):
    client = as_user("secretariat")
    for token in ("", "forged-token", NUL, "x" * LONG):
        with NothingWritten():
            response = client.post("/members/import/", {"confirm": "1", "upload": token})
        assert response.status_code == 302
        assert chinese(excel_uploads.OUT_OF_DATE) in page_text(client.get(response["Location"]))


# Exports: nothing a cell holds becomes a formula ------------------------------------------------


FORMULA_TEXTS = ["=1+1", "+86-10-12345678", "-2", "@SUM(A1)", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"]


def test_exported_text_that_looks_like_a_formula_stays_text(as_user):
    client = as_user("secretariat")
    item = Item.objects.order_by("pk").first()
    for text in FORMULA_TEXTS:
        Item.objects.filter(pk=item.pk).update(title=text)
        content = _export(client, f"/plans/{item.plan_id}/items.xlsx", fresh=True)
        cell = _cell_of(content, text)
        assert cell.data_type == "s" and cell.quotePrefix, text
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert not any(cell.data_type == "f" for row in book.active.iter_rows() for cell in row)


def _cell_of(content: bytes, value: str):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return next(cell for row in book.active.iter_rows() for cell in row if cell.value == value)


def test_every_export_writes_no_formula(as_user):
    client = as_user("clerk")
    exports = ["/sorting/ledgers/facilities/export/", "/sorting/ledgers/people/export/"]
    secretariat = as_user("secretariat")
    exports_secretariat = ["/members/export.xlsx", "/branches/export.xlsx", "/ratings/facilities/export.xlsx"]
    for who, urls in ((client, exports), (secretariat, exports_secretariat)):
        for url in urls:
            book = openpyxl.load_workbook(io.BytesIO(_export(who, url)))
            cells = [cell for row in book.active.iter_rows() for cell in row]
            assert not [cell.coordinate for cell in cells if cell.data_type == "f"], url


# Plan documents ---------------------------------------------------------------------------------


def _plan_import(client, data: dict):
    data = {"issuer": Unit.objects.get(code="CUEA").pk, **data}
    with NothingWritten():
        response = client.post("/plans/import/", {**data, "save": "1"})
    assert response.status_code == 200, response.status_code
    return response


NO_TEXT = "Upload the plan's document or paste its text."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", NO_TEXT),
        ("spaces.txt", " \n\t\u3000\n".encode(), NO_TEXT),
        ("program.txt", bad.binary_garbage(), "This is not a text or Word document."),
        ("nul.txt", b"\x00" * 100 + "一、章".encode(), "This is not a text or Word document."),
        ("plan.docx", bad.docx_not_a_zip(), "This Word document cannot be read (is it .docx, not .doc?)."),
        ("plan.docx", bad.zip_not_docx(), "This Word document cannot be read (is it .docx, not .doc?)."),
        ("plan.docx", bad.workbook(["a"]), "This Word document cannot be read (is it .docx, not .doc?)."),
        ("plan.docx", bad.docx_bomb(), "This Word document unpacks to more than 50 MB: is it really a plan?"),
        ("plan.pdf", b"%PDF-1.4\n", "Give a .txt, .md or .docx file."),
        ("big.txt", b"a" * (sources.MAX_DOCUMENT_BYTES + 1), "The file is larger than 10 MB."),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_plan_documents_that_are_no_plans_are_refused(as_user, name, content, message):
    client = as_user("secretariat")
    response = _plan_import(client, {"document": SimpleUploadedFile(name, content)})
    assert chinese(message) in shown(client, response)


def test_a_plan_text_too_long_is_refused(as_user):
    client = as_user("secretariat")
    text = ("一、章\n" + "（一）工作。\n" * 20_000)[: sources.MAX_DOCUMENT_CHARS + 1]
    response = _plan_import(client, {"document": SimpleUploadedFile("long.txt", text.encode())})
    with translation.override("zh-hans"):
        assert shown(client, response) == [sources.too_long_message(len(text))]
    response = _plan_import(client, {"text": text})
    assert len(shown(client, response)) == 1 and str(sources.MAX_DOCUMENT_CHARS) in shown(client, response)[0]


def test_a_pasted_text_past_the_request_limit_is_refused_with_a_page(as_user):
    client = as_user("secretariat")
    with NothingWritten():
        response = client.post("/plans/import/", {"text": "字" * (4 * bad.MEGABYTE), "save": "1"})
    assert response.status_code == 400
    assert chinese("Request not accepted") in page_text(response)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "这是一封感谢信。\n感谢各位同事一年来的辛勤工作。",
            "No chapters (一、…) were found: is this the plan's text?",
        ),
        ("2025年重点工作\n一、总体要求\n二、保障措施", "No items （一） or 1. were found under the chapters."),
        ("\x01\x02\x03 控制字符 \x1b[31m", "No chapters (一、…) were found: is this the plan's text?"),
    ],
)
def test_texts_without_a_plans_structure_save_nothing(as_user, text, problem):
    client = as_user("secretariat")
    response = _plan_import(client, {"text": text})
    assert chinese(problem) in page_text(response)


def test_a_pasted_nul_is_refused(as_user):
    client = as_user("secretariat")
    response = _plan_import(client, {"text": "2025年重点工作\n一、章\n（一）工作\x00。"})
    assert shown(client, response) == [chinese("Null characters are not allowed.")]


def test_hostile_unit_clauses_parse_in_linear_time(as_user):
    """Texts the unit-clause patterns once backtracked over for minutes (30 KB: 40 s)."""
    client = as_user("secretariat")
    for clause in ("（牵头单位：", "（牵头单位：办公室；协助单位："):
        text = "2025年重点工作\n一、章\n（一）" + clause * (90_000 // len(clause))
        started = time.monotonic()
        with NothingWritten():
            response = client.post("/plans/import/", {"issuer": Unit.objects.get(code="CUEA").pk, "text": text})
        assert response.status_code == 200 and time.monotonic() - started < 5
        assert response.context["preview"].parsed.items[0].truncated  # the clause never closes


# Photos -----------------------------------------------------------------------------------------


IMAGES = [
    ("text named .jpg", "现场.jpg", lambda: "这不是照片".encode(), photos.NOT_AN_IMAGE),
    ("PNG header then garbage", "现场.png", bad.png_header_then_garbage, photos.NOT_AN_IMAGE),
    ("PNG of 50,000 × 50,000", "现场.png", lambda: bad.png_declaring(50_000, 50_000), photos.TOO_MANY_PIXELS),
    ("PNG of 1 × 50,000,000", "现场.png", lambda: bad.png_declaring(1, 50_000_000), photos.TOO_MANY_PIXELS),
    ("GIF named .jpg", "现场.jpg", lambda: bad.image_bytes("GIF"), photos.NOT_AN_IMAGE),
    ("SVG named .jpg", "现场.jpg", bad.svg, photos.NOT_AN_IMAGE),
    ("HEIC named .jpg", "现场.jpg", bad.heic, photos.NOT_AN_IMAGE),
    ("BMP named .jpg", "现场.jpg", lambda: bad.image_bytes("BMP"), photos.NOT_AN_IMAGE),
    ("TIFF named .jpg", "现场.jpg", lambda: bad.image_bytes("TIFF"), photos.NOT_AN_IMAGE),
    ("JPEG cut in half", "现场.jpg", bad.truncated_jpeg, photos.UNREADABLE),
    ("empty file", "现场.jpg", lambda: b"", photos.EMPTY),
    ("16 MB", "现场.jpg", lambda: b"\xff\xd8" + bytes(16 * bad.MEGABYTE), photos.TOO_LARGE),
]
IMAGE_IDS = [case for case, *_ in IMAGES]


@pytest.mark.parametrize(("case", "name", "build", "message"), IMAGES, ids=IMAGE_IDS)
def test_photo_upload_refuses_what_is_not_a_photo(as_user, case, name, build, message):
    client = as_user("clerk")
    with NothingWritten():
        response = client.post("/supervision/photos/upload/", {"photo": SimpleUploadedFile(name, build())})
    assert response.status_code == 400 and response.json() == {"error": chinese(message)}


@pytest.mark.parametrize(("case", "name", "build", "message"), IMAGES[:7], ids=IMAGE_IDS[:7])
def test_inspection_form_refuses_what_is_not_a_photo(as_user, case, name, build, message):
    client = as_user("clerk")
    site = Site.objects.filter(street__code="CD-JD01").order_by("pk").first()
    data = {"kind": "daily", "p-0-problem_type": "", "p-0-photos": [SimpleUploadedFile(name, build())]}
    with NothingWritten():
        response = client.post(f"/supervision/sites/{site.pk}/inspect/", data)
    assert response.status_code == 200
    assert any(chinese(message) in error for error in shown(client, response))


@pytest.mark.parametrize(("case", "name", "build", "message"), IMAGES[:7], ids=IMAGE_IDS[:7])
def test_rectification_answer_refuses_what_is_not_a_photo(as_user, case, name, build, message):
    rectification = _open_rectification("street04")
    client = as_user("street04")
    data = {
        "answer-version": rectification.version,
        "answer-text": "已整改",
        "answer-photos": [SimpleUploadedFile(name, build())],
    }
    with NothingWritten(rectification):
        response = client.post(f"/supervision/rectifications/{rectification.pk}/answer/", data)
    assert any(chinese(message) in error for error in shown(client, response))


NOT_ITS_KIND = "The attachment is not the kind of file its name says (.%(suffix)s)."
ATTACHMENTS = [
    ("进度.pdf", b"<html><script>alert(1)</script></html>", NOT_ITS_KIND, {"suffix": "pdf"}),
    ("进度.docx", b"MZ\x90\x00" + bytes(200), NOT_ITS_KIND, {"suffix": "docx"}),
    ("照片.png", bad.svg(), NOT_ITS_KIND, {"suffix": "png"}),
    ("进度.exe", b"MZ\x90\x00" + bytes(200), "Attach a PDF, Word, Excel, JPEG or PNG file.", {}),
    ("进度.pdf", b"%PDF-1.4\n" + bytes(10 * bad.MEGABYTE), "The attachment is larger than 10 MB.", {}),
]


@pytest.mark.parametrize(
    ("name", "content", "message", "params"), ATTACHMENTS, ids=[a[0] + a[2][:12] for a in ATTACHMENTS]
)
def test_progress_attachments_that_lie_about_their_kind_are_refused(as_user, name, content, message, params):
    client = as_user("secretariat")
    item = _item_led_by_the_secretariat()
    data = {
        "unit": Unit.objects.get(code="CUEA-ZHB").pk,
        "month": "2022-06",
        "percent": "50",
        "text": "已完成",
        "attachment": SimpleUploadedFile(name, content),
    }
    with NothingWritten(item):
        response = client.post(f"/plans/items/{item.pk}/report/", data)
    assert shown(client, response) == [chinese(message) % params if params else chinese(message)]


def _open_rectification(username: str) -> Rectification:
    street = User.objects.get(username=username).memberships.get().unit
    return Rectification.objects.filter(unit=street, state__in=rectifications.ANSWERABLE).order_by("pk").first()


def test_a_photo_that_passes_is_stored_re_encoded(as_user):
    """The control: a real photo is accepted, so the refusals above are the files' doing."""
    client = as_user("clerk")
    before = Photo.objects.count()
    response = client.post(
        "/supervision/photos/upload/", {"photo": SimpleUploadedFile("现场.png", bad.image_bytes("PNG"))}
    )
    assert response.status_code == 200 and Photo.objects.count() == before + 1


# Forms: every field of the main create and edit forms -------------------------------------------


class _FormsOfPage(HTMLParser):
    """The forms of a page, each with its fields as a browser would submit them unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action", ""), "id": attrs.get("id", ""), "method": method, "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file", "reset", "image"):
                self._form["fields"].append([attrs["name"], attrs.get("value", ""), kind, attrs])
        elif tag == "textarea":
            self._textarea = [attrs["name"], "", "textarea", attrs]
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = [attrs["name"], None, "select", {**attrs, "options": []}]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[3]["options"].append(attrs.get("value", ""))
            if self._select[1] is None or "selected" in attrs:
                self._select[1] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            if self._select is not None and self._select[1] is None:
                self._select[1] = ""
            self._select = None


FIRST_CHOICE = object()  # in FormCase.values: the select's first option that is not empty


@dataclass
class FormCase:
    name: str
    user: str
    page: object  # the URL of the page with the form, or a function giving it
    form: str = ""  # the form's action (a prefix of it) or its id; "" for the page's first post form
    values: dict = field(default_factory=dict)  # what a new record needs, over the page's own values
    edits: object = None  # a function giving the record the form changes, which must stay as it was
    prepare: object = None  # a function making what the page needs (a unit to report for)
    fill_numbers: str = ""  # a value for the number fields the page leaves empty (scores)

    def url(self) -> str:
        if self.prepare:
            self.prepare()
        return self.page() if callable(self.page) else self.page


def _first(model, **filters):
    return lambda: model.objects.filter(**filters).order_by("pk").first()


def _pk_url(template: str, getter):
    return lambda: template.format(getter().pk)


_item = _first(Item)
_member = _first(Member)
_branch = _first(Branch)
_facility = _first(Facility)
_enterprise = _first(Enterprise)
_site = _first(Site, street__code="CD-JD01")
_draft = _first(Circular, status=CircularStatus.DRAFT)


FORM_CASES = [
    FormCase("circular, new", "clerk", "/circulars/new/", values={"title": "关于做好分类的通知", "body": "请落实。"}),
    FormCase("circular, edit", "clerk", _pk_url("/circulars/{}/edit/", _draft), edits=_draft),
    FormCase("item, edit", "secretariat", _pk_url("/plans/items/{}/edit/", _item), edits=_item),
    FormCase(
        "progress report",
        "secretariat",
        _pk_url("/plans/items/{}/", _item),
        form="/report/",
        values={"text": "已完成学习", "percent": "50", "month": "2022-06"},
        prepare=lambda: _item().lead_units.add(Unit.objects.get(code="CUEA-ZHB")),
    ),
    FormCase(
        "milestone",
        "secretariat",
        _pk_url("/plans/items/{}/", _item),
        form="/milestones/",
        values={"title": "初稿", "due_on": "2022-09-30"},
    ),
    FormCase(
        "member, new",
        "secretariat",
        "/members/new/",
        values={"name": "某某环卫公司", "kind": "unit", "credit_code": "91350100MA31XTXW0E", "region": "福州"},
    ),
    FormCase("member, edit", "secretariat", _pk_url("/members/{}/edit/", _member), edits=_member),
    FormCase(
        "member status",
        "secretariat",
        _pk_url("/members/{}/", _member),
        form="/status/",
        values={"status": "suspended", "reason": "欠缴会费", "changed_on": "2025-06-30"},
        edits=_member,
    ),
    FormCase(
        "dues payment",
        "secretariat",
        _pk_url("/members/{}/", _member),
        form="/dues/pay/",
        values={"year": "2025", "amount": "1000.00", "paid_on": "2025-06-30"},
    ),
    FormCase(
        "branch, new", "secretariat", "/branches/new/", values={"name": "新分会", "tier": "B", "status": "active"}
    ),
    FormCase("branch, edit", "secretariat", _pk_url("/branches/{}/", _branch), form="/edit/", edits=_branch),
    FormCase(
        "branch term",
        "secretariat",
        _pk_url("/branches/{}/", _branch),
        form="/terms/",
        values={"term-starts_on": "2028-01-01", "term-ends_on": "2032-12-31", "term-chair": "张三"},
    ),
    FormCase(
        "branch targets",
        "secretariat",
        _pk_url("/branches/{}/", _branch),
        form="/targets/",
        values={"targets-year": "2027", "targets-targets": "发展会员十家"},
    ),
    FormCase(
        "branch assessment",
        "secretariat",
        _pk_url("/branches/{}/", _branch),
        form="/assessment/",
        values={"assessment-score": "88", "assessment-assessed_on": "2026-01-15", "assessment-comments": "良好"},
    ),
    FormCase(
        "facility, new",
        "secretariat",
        "/ratings/facilities/new/",
        values={"name": "某焚烧厂", "province": "福建", "city": "福州"},
    ),
    FormCase("facility, edit", "secretariat", _pk_url("/ratings/facilities/{}/edit/", _facility), edits=_facility),
    FormCase(
        "enterprise, edit", "secretariat", _pk_url("/ratings/enterprises/{}/edit/", _enterprise), edits=_enterprise
    ),
    FormCase(
        "enterprise, new",
        "secretariat",
        "/ratings/enterprises/new/",
        values={"name": "某环卫公司", "credit_code": "91350100MA31XTXW0E", "region": "福州", "business": "collection"},
    ),
    FormCase(
        "rating round, new",
        "secretariat",
        "/ratings/",
        form="/rounds/new/",
        values={"year": "2027", "scheme": lambda: str(RatingScheme.objects.order_by("pk").first().pk)},
    ),
    FormCase(
        "application to a round",
        "secretariat",
        _pk_url("/ratings/rounds/{}/", _first(RatingRound, status="open")),
        form="/applications/",
        values={"subject": FIRST_CHOICE, "submitted_on": "2026-03-01"},
    ),
    FormCase(
        "application scores",
        "secretariat",
        _pk_url("/ratings/applications/{}/", _first(RatingApplication, status="submitted")),
        form="/scores/",
        values={"expert": "王专家"},
        fill_numbers="1",
    ),
    FormCase(
        "application revoke",
        "secretariat",
        _pk_url("/ratings/applications/{}/", _first(RatingApplication, status="rated")),
        form="/revoke/",
        values={"reason": "发现弄虚作假"},
        edits=_first(RatingApplication, status="rated"),
    ),
    FormCase("site, new", "clerk", "/sorting/sites/new/", values={"name": "新建小区", "kind": "managed_estate"}),
    FormCase("site, edit", "clerk", _pk_url("/sorting/sites/{}/edit/", _site), edits=_site),
    FormCase("campaign, new", "clerk", "/sorting/campaigns/new/", values={"title": "2027年全覆盖", "year": "2027"}),
    FormCase(
        "street target",
        "clerk",
        lambda: "/sorting/campaigns/{}/streets/{}/".format(*_target_ids()),
        values={"note": "年底前完成"},
    ),
    FormCase("inspection", "clerk", _pk_url("/supervision/sites/{}/inspect/", _site), values={"note": "检查"}),
    FormCase(
        "rectification answer",
        "street04",
        _pk_url("/supervision/rectifications/{}/", lambda: _open_rectification("street04")),
        form="/answer/",
        values={"answer-text": "已整改到位"},
        edits=lambda: _open_rectification("street04"),
    ),
    FormCase(
        "rectification sent back",
        "clerk",
        _pk_url("/supervision/rectifications/{}/", _first(Rectification, state="awaiting_review")),
        form="/send_back/",
        values={"send_back-text": "照片不清楚，请重新整改", "send_back-deadline": "2026-12-31"},
        edits=_first(Rectification, state="awaiting_review"),
    ),
]
FORM_IDS = [case.name for case in FORM_CASES]
TEXT_KINDS = ("text", "textarea", "email", "tel", "url", "search")


def _form_of(client, case: FormCase) -> tuple[str, list]:
    response = client.get(case.url())
    assert response.status_code == 200, f"{case.name}: GET {case.url()} answered {response.status_code}"
    parser = _FormsOfPage()
    parser.feed(response.content.decode())
    posting = [form for form in parser.forms if form["fields"] and form["method"] == "post"]
    chosen = next(form for form in posting if not case.form or case.form in form["action"] or form["id"] == case.form)
    action = chosen["action"] or case.url()
    return action, chosen["fields"]


def _target_ids() -> tuple[int, int]:
    target = StreetTarget.objects.order_by("pk").first()
    return target.campaign_id, target.street_id


def _values(fields: list, case: FormCase) -> dict:
    data: dict[str, list[str]] = {}
    options = {}
    for name, value, kind, attrs in fields:
        data.setdefault(name, []).append(value or (case.fill_numbers if kind == "number" else value))
        options[name] = [option for option in attrs.get("options", []) if option]
    for name, value in case.values.items():
        data[name] = [options[name][0] if value is FIRST_CHOICE else value() if callable(value) else value]
    return data


def _post(client, action: str, data: dict):
    return client.post(action, data)


@pytest.mark.parametrize("case", FORM_CASES, ids=FORM_IDS)
def test_the_forms_own_values_are_accepted(as_user, case):
    """The control of the attacks below: the page's form as the browser sends it, with the values
    a new record needs, is accepted; so a refusal below is the attacking value's doing."""
    client = as_user(case.user)
    action, fields = _form_of(client, case)
    before = fingerprint()
    edited = case.edits() if case.edits else None
    row = NothingWritten._row(edited) if edited else None
    response = _post(client, action, _values(fields, case))
    assert response.status_code == 302 and not shown(client, response), (case.name, shown(client, response))
    changed = fingerprint() != before or (edited and NothingWritten._row(edited) != row)
    assert changed or case.edits, f"{case.name}: accepted but wrote nothing"


def _attacks(kind: str, attrs: dict) -> tuple:
    if kind in ("date", "month"):
        return BAD_DATES
    if kind == "number":
        return BAD_NUMBERS
    if kind == "hidden":
        return BAD_HIDDEN
    limit = int(attrs.get("maxlength") or 0)
    return (NUL, "长" * max(LONG, limit + 1))


def _attack(client, action: str, data: dict, *, hidden: bool, edited: list) -> str:
    """What is wrong with the page's answer to the post, or ""."""
    if hidden:
        return "500" if _post(client, action, data).status_code == 500 else ""
    try:
        with NothingWritten(*edited):
            response = _post(client, action, data)
        refused = shown(client, response)
    except AssertionError as error:
        return str(error)[:200]
    return "" if refused else "refused without a message"


@pytest.mark.parametrize("case", FORM_CASES, ids=FORM_IDS)
def test_hostile_values_in_every_field_are_refused(as_user, case):
    """Every field the page shows, one at a time: a NUL, 10,000 characters (or one more than the
    field's own length, where that is longer), dates out of range, numbers out of range. Each is
    refused with a message on the page and nothing is written. Hidden fields carry the page's
    own values (ids, versions): a tampered one may be refused or ignored, never a 500."""
    client = as_user(case.user)
    action, fields = _form_of(client, case)
    baseline = _values(fields, case)
    edited = [case.edits()] if case.edits else []
    failures = []
    for name, _value, kind, attrs in fields:
        if name == "csrfmiddlewaretoken" or kind in ("checkbox", "radio"):
            continue
        for attack in _attacks(kind, attrs):
            data = {**baseline, name: [attack]}
            with transaction.atomic():  # an attack that is let through must not change the next one's page
                failure = _attack(client, action, data, hidden=kind == "hidden", edited=edited)
                transaction.set_rollback(True)
            if failure:
                failures.append(f"{name}={attack[:12]!r}: {failure}")
    assert not failures, f"{case.name}: {failures}"


def _item_led_by_the_secretariat() -> Item:
    item = _item()
    item.lead_units.add(Unit.objects.get(code="CUEA-ZHB"))
    return item


def _item_with_a_milestone() -> Item:
    item = _item()
    item.milestones.create(title="初稿", due_on=date(2022, 9, 30))
    return item


# Posts a page makes with a button's value rather than a form field: (user, item → URL, field).
RAW_POSTS = [
    ("secretariat", lambda: f"/plans/items/{_item_led_by_the_secretariat().pk}/acknowledge/", "unit"),
    ("secretariat", lambda: f"/plans/items/{_item_with_a_milestone().pk}/milestones/", "done"),
    ("secretariat", lambda: f"/plans/items/{_item().pk}/indicators/", "indicator"),
]


@pytest.mark.parametrize(("user", "url", "name"), RAW_POSTS, ids=[name for *_x, name in RAW_POSTS])
def test_hostile_button_values_are_refused(as_user, user, url, name):
    client = as_user(user)
    url = url()
    failures = []
    for attack in BAD_HIDDEN:
        try:
            with NothingWritten():
                response = client.post(url, {name: attack, "value": "1"})
        except AssertionError as error:
            failures.append(f"{attack[:12]!r}: {error}")
            continue
        if response.status_code not in (302, 404):
            failures.append(f"{attack[:12]!r}: {response.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("recipients", [NUL, "各" * 501])
def test_issuing_a_plan_refuses_hostile_recipients(as_user, recipients):
    client = as_user("secretariat")
    plan = Plan.objects.order_by("pk").first()
    Plan.objects.filter(pk=plan.pk).update(circular=None)  # not yet issued
    with NothingWritten(plan):
        response = client.post(f"/plans/{plan.pk}/issue/", {"recipients": recipients})
    assert response.status_code == 302 and shown(client, response)


# Filters and parameters of the list pages: never a 500 ------------------------------------------

GET_PAGES = [
    ("clerk", "/supervision/"),
    ("clerk", "/supervision/inspections/"),
    ("clerk", "/supervision/rectifications/"),
    ("clerk", "/supervision/scores/"),
    ("clerk", "/supervision/subsidies/"),
    ("clerk", "/supervision/cycle/"),
    ("clerk", "/sorting/"),
    ("clerk", "/sorting/sites/"),
    ("clerk", "/sorting/ledgers/collection/"),
    ("clerk", "/sorting/ledgers/people/export/"),
    ("clerk", "/circulars/"),
    ("secretariat", "/members/list/"),
    ("secretariat", "/members/statistics/"),
    ("secretariat", "/members/renewals/"),
    ("secretariat", "/members/export.xlsx"),
    ("secretariat", "/branches/"),
    ("secretariat", "/ratings/"),
    ("secretariat", "/ratings/expiring/"),
    ("secretariat", "/ratings/facilities/"),
    ("secretariat", "/ratings/facilities/export.xlsx"),
    ("secretariat", "/ratings/facilities/import/"),
    ("secretariat", "/plans/"),
]
# Parameters views read besides their filter forms.
EXTRA_PARAMETERS = ("page", "organisation", "round", "year", "on", "day", "kind", "district", "street")


def _get_fields(client, url: str) -> list[tuple[str, str, dict]]:
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    if not response["Content-Type"].startswith("text/html"):
        return [(name, "text", {}) for name in EXTRA_PARAMETERS]
    parser = _FormsOfPage()
    parser.feed(response.content.decode())
    fields = [(n, k, a) for form in parser.forms if form["method"] == "get" for n, _v, k, a in form["fields"]]
    return fields + [(name, "text", {}) for name in EXTRA_PARAMETERS]


GET_ATTACKS = (NUL, "长" * LONG, "²", "9" * 5000, "0001-01-01", "9999-12-31")


@pytest.mark.parametrize(("user", "url"), GET_PAGES, ids=[url for _user, url in GET_PAGES])
def test_hostile_filters_never_break_a_page(as_user, user, url):
    """Each attack in every filter field and parameter at once: the page answers, ignoring or
    refusing what it cannot use, and writes nothing."""
    client = as_user(user)
    names = list(dict.fromkeys(name for name, _kind, _attrs in _get_fields(client, url)))
    failures = []
    for attack in GET_ATTACKS:
        with NothingWritten():
            response = client.get(url, dict.fromkeys(names, attack))
        if response.status_code != 200:
            failures.append(f"{attack[:12]!r}: {response.status_code}")
    assert not failures, f"{url} {names}: {failures}"
