"""Excel (.xlsx) in and out, for every import and export of the system.

Reading checks the upload before anything trusts it (size, zip signature, the unpacked
size that bounds a zip bomb, the header row, a row limit), reads formulas as their text,
and carries each row's Excel row number in ROW_COLUMN so every message can name it.
Writing makes every text cell text (a value starting with “=” never becomes a formula).
Importers use django-import-export resources on the dataset `sheet_read` returns and
`import_errors` to turn its result into one message per problem, with row and column.
"""

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

import openpyxl
import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from import_export import widgets
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 2000
ZIP_MAGIC = b"PK\x03\x04"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_COLUMN = "__row__"  # the Excel row number, carried along so messages can name it
WRITTEN_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

NOT_XLSX = _("This is not an Excel workbook (.xlsx). In Excel choose “Save as” → “Excel Workbook (*.xlsx)”.")
TOO_LARGE = _("The file is larger than %(megabytes)d MB.")
UNPACKS_TOO_LARGE = _("The workbook unpacks to more than %(megabytes)d MB: is it really a sheet of records?")
TOO_MANY_ROWS = _("The sheet has more than %(count)d rows: split it into several files.")
MISSING_COLUMNS = _(
    "The first row of the first sheet must name the columns %(expected)s. Missing or repeated: %(missing)s."
)
ROW_ERROR = _("Row %(row)s, %(column)s: %(message)s")
ROW_PROBLEM = _("Row %(row)s: %(message)s")
REQUIRED = _("this column cannot be empty.")
BAD_DATE = _("“%(value)s” is not a date: write it as 2025-06-30.")
UNEXPECTED = _("the row could not be saved (%(error)s).")
ROW_KINDS = {"new": _("New"), "update": _("Updated"), "unchanged": _("Unchanged"), "invalid": _("Error")}
# django-import-export's import types → ours
IMPORT_TYPES = {"new": "new", "update": "update", "skip": "unchanged"}


class ExcelFileError(ValueError):
    """The upload as a whole cannot be read; the message says why, for the user."""


def sheet_read(
    content: bytes,
    *,
    required: tuple[str, ...],
    expected: tuple[str, ...] = (),
    wrong_headers=MISSING_COLUMNS,
    max_rows=MAX_ROWS,
) -> tablib.Dataset:
    """The first sheet's rows as a tablib.Dataset, with the Excel row number of each in
    ROW_COLUMN; blank rows skipped. `required` are the headers that must each appear once;
    `expected` (default: the required ones) is what the message lists."""
    if len(content) > MAX_BYTES:
        raise ExcelFileError(TOO_LARGE % {"megabytes": MAX_BYTES // (1024 * 1024)})
    _check_archive(content)
    try:
        # data_only=False: a formula cell gives its formula as text, never a computed value.
        book = openpyxl.load_workbook(BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises zip, XML and key errors for a damaged file
        raise ExcelFileError(NOT_XLSX) from error
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        return _dataset(rows, required, expected or required, wrong_headers, max_rows)
    finally:
        book.close()


def _check_archive(content: bytes) -> None:
    if not content.startswith(ZIP_MAGIC):
        raise ExcelFileError(NOT_XLSX)
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ExcelFileError(NOT_XLSX) from error
    # Python reads no member past its declared size, so the declared sizes bound a zip bomb.
    if unpacked > MAX_UNPACKED_BYTES:
        raise ExcelFileError(UNPACKS_TOO_LARGE % {"megabytes": MAX_UNPACKED_BYTES // (1024 * 1024)})


def _dataset(rows, required, expected, wrong_headers, max_rows) -> tablib.Dataset:
    headers = [header_text(value) for value in next(rows, ())]
    missing = [name for name in required if headers.count(name) != 1]
    if missing:
        raise ExcelFileError(wrong_headers % {"expected": "、".join(expected), "missing": "、".join(missing)})
    dataset = tablib.Dataset(headers=[*headers, ROW_COLUMN])
    for number, values in enumerate(rows, start=2):
        values = [*values[: len(headers)], *[None] * (len(headers) - len(values))]
        if all(cell_text(value) == "" for value in values):
            continue
        if len(dataset) == max_rows:
            raise ExcelFileError(TOO_MANY_ROWS % {"count": max_rows})
        dataset.append([*values, number])
    return dataset


def header_text(value) -> str:
    return "".join(cell_text(value).split()).replace("％", "%")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class WrittenDateWidget(widgets.Widget):
    """A date as Excel stores it, or as people type it: 2025-06-30, 2025/6/30, 2025年6月30日."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        match = WRITTEN_DATE.match(text)
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except (TypeError, ValueError):  # no match, or 2月30日
            raise ValueError(BAD_DATE % {"value": text}) from None

    def render(self, value, obj=None, **kwargs):
        return value


def workbook_bytes(dataset: tablib.Dataset, *, title: str, widths: dict[str, int] | None = None) -> bytes:
    """The dataset as an .xlsx: bold frozen header, wrapped text, dates as dates."""
    widths = widths or {}
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(dataset.headers))
    for values in dataset:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value for value in values])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text such as “=…” stays text: no formula in what we hand out
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for index, header in enumerate(dataset.headers, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = widths.get(header, 12)
    sheet.freeze_panes = "A2"
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def import_errors(resource, dataset: tablib.Dataset, result) -> list[str]:
    """Every problem of an import_data result, one message each, naming the Excel row and
    column (the dataset must come from sheet_read: ROW_COLUMN last)."""
    columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    messages = [str(error.error) for error in result.base_errors]
    for invalid in result.invalid_rows:
        row = dataset[invalid.number - 1][-1]
        for name, problems in invalid.error_dict.items():
            column = columns.get(name) if name != NON_FIELD_ERRORS else None
            messages += [row_message(row, column, problem) for problem in problems]
    for failed in result.error_rows:
        row = dataset[failed.number - 1][-1]
        messages += [row_message(row, None, UNEXPECTED % {"error": error.error}) for error in failed.errors]
    return messages


def row_message(row: int, column: str | None, message) -> str:
    if column:
        return str(ROW_ERROR % {"row": row, "column": column, "message": message})
    return str(ROW_PROBLEM % {"row": row, "message": message})


@dataclass
class RowOutcome:
    """What an import did, or would do, with one row; importers add the columns they show."""

    row: int
    kind: str  # new, update, unchanged or invalid

    @property
    def kind_label(self) -> str:
        return str(ROW_KINDS[self.kind])


@dataclass
class ImportResult:
    dry_run: bool
    rows: list[RowOutcome]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ROW_KINDS}


def resource_import(resource, dataset: tablib.Dataset, *, dry_run: bool, lock):
    """Run a resource over the dataset all or nothing: in one transaction holding `lock` (a
    queryset of the one row that serialises imports of the same records), rolled back on a
    dry run or when any row fails. Returns import-export's result and the messages."""
    with transaction.atomic():
        lock.select_for_update().get()
        result = resource.import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
        errors = import_errors(resource, dataset, result)
        if errors or dry_run:
            transaction.set_rollback(True)
    return result, errors
