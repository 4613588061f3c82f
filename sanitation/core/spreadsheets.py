"""Excel (.xlsx) in and out, for every import and export of the system.

Reading checks the upload before anything trusts it: its size, the zip signature, the
declared unpacked size (which bounds a zip bomb: Python inflates no member past it), then
a streamed count of the rows and cells of every part, so that a small file holding a
million rows or a row of a million cells is refused before openpyxl builds any of them,
then the header row and the row limit. The size the sheet declares (<dimension>) is
ignored: it is the file's word, not its content. Formulas are refused, never evaluated nor
taken for values. (A NUL cannot reach a cell: XML has no way to write one, and openpyxl
leaves Excel's _x0000_ escape as the text it is.)
Each row's Excel row number is carried in ROW_COLUMN so every message can name it.
Writing makes every text cell text, marked with Excel's quote prefix, so that a value
starting with “=”, “+”, “-” or “@” is never a formula, not even once edited in Excel.
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

from .forms import EARLIEST_DATE, LATEST_DATE

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 2000
MAX_PARTS = 1000  # an .xlsx has a few dozen parts; more is a zip built to cost time
SPARE_ROWS = 1000  # empty rows (formatted, say) read below the records before the sheet is too long
CELLS_PER_ROW = 30  # on average: the columns an import reads and a few of the clerk's own
STRINGS_PER_ROW = 4  # distinct texts (openpyxl reads them all before the first row, 30 µs each)
MAX_CELLS_PER_ROW = 1000  # openpyxl builds a whole row at once: this bounds its memory
PROBLEM_CELLS_LISTED = 5
ZIP_MAGIC = b"PK\x03\x04"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheet programs may take for a formula
_SCAN_CHUNK = 1024 * 1024
# Start tags of rows, cells, shared strings and formulas (<row, <c, <si, <f), prefixed or not. A match
# is at most 32 bytes long and holds one “<”: a chunk cut before its last “<” cuts no match.
_PART_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?(row|c|si|f)(?=[\s/>])")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_COLUMN = "__row__"  # the Excel row number, carried along so messages can name it
WRITTEN_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

NOT_XLSX = _("This is not an Excel workbook (.xlsx). In Excel choose “Save as” → “Excel Workbook (*.xlsx)”.")
TOO_LARGE = _("The file is larger than %(megabytes)d MB.")
UNPACKS_TOO_LARGE = _("The workbook unpacks to more than %(megabytes)d MB: is it really a sheet of records?")
TOO_MANY_ROWS = _("The sheet has more than %(count)d rows: split it into several files.")
NO_ROWS = _("The sheet has no rows below its headers.")
TOO_MANY_CELLS = _(
    "The workbook holds more rows or cells than a sheet of %(count)d records needs: delete the empty rows "
    "and columns around the records (or other sheets), or split the file."
)
FORMULAS = _(
    "Formulas are not imported, only values: %(cells)s. In Excel copy these cells and paste them back as "
    "values (Paste Special → Values), then upload the file again."
)
CELL_AT = _("row %(row)s, %(column)s")
MISSING_COLUMNS = _(
    "The first row of the first sheet must name the columns %(expected)s. Missing or repeated: %(missing)s."
)
ROW_ERROR = _("Row %(row)s, %(column)s: %(message)s")
ROW_PROBLEM = _("Row %(row)s: %(message)s")
REQUIRED = _("this column cannot be empty.")
TOO_LONG = _("“%(value)s” is longer than %(limit)d characters.")
BAD_DATE = _("“%(value)s” is not a date: write it as 2025-06-30.")
DATE_OUT_OF_RANGE = _("“%(value)s” is not a date from %(earliest)s to %(latest)s: check the year.")
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
    `expected` (default: the required ones) is what the message lists. The dataset has the
    sheet's columns up to the last one an import reads."""
    if len(content) > MAX_BYTES:
        raise ExcelFileError(TOO_LARGE % {"megabytes": MAX_BYTES // (1024 * 1024)})
    last_row = max_rows + SPARE_ROWS + 1  # the header, the records and some empty rows
    has_formulas = _check_archive(content, last_row=last_row, records=max_rows)
    try:
        # data_only=False: a formula cell is seen as a formula (and refused), never as a value.
        book = openpyxl.load_workbook(BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises zip, XML and key errors for a damaged file
        raise ExcelFileError(NOT_XLSX) from error
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a declared A1:XFD1048576 would pad every row to 16,384 cells
        headers = _headers(sheet, required, expected or required, wrong_headers)
        return _dataset(sheet, headers, {*required, *expected}, max_rows, last_row, has_formulas=has_formulas)
    except ExcelFileError:
        raise
    except Exception as error:  # XML that breaks off inside the sheet, a shared string that is not there
        raise ExcelFileError(NOT_XLSX) from error
    finally:
        book.close()


def _check_archive(content: bytes, *, last_row: int, records: int) -> bool:
    """Refuse a zip that is no workbook or holds more than a sheet of `records` needs; say
    whether any part has a formula (<f>)."""
    if not content.startswith(ZIP_MAGIC):
        raise ExcelFileError(NOT_XLSX)
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise ExcelFileError(NOT_XLSX)
            # Python inflates no part past its declared size, so the declared sizes bound a zip bomb.
            if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
                raise ExcelFileError(UNPACKS_TOO_LARGE % {"megabytes": MAX_UNPACKED_BYTES // (1024 * 1024)})
            formulas = False
            for part in parts:
                fits, has_formulas = _part_scan(archive, part, last_row=last_row)
                if not fits:
                    raise ExcelFileError(TOO_MANY_CELLS % {"count": records})
                formulas |= has_formulas
            return formulas
    except ExcelFileError:
        raise
    except Exception as error:  # not a zip, a part that lies about its size (bad CRC), encryption …
        raise ExcelFileError(NOT_XLSX) from error


def _part_scan(archive: zipfile.ZipFile, part: zipfile.ZipInfo, *, last_row: int) -> tuple[bool, bool]:
    """(fits, has formulas): whether the part has at most `last_row` rows, CELLS_PER_ROW cells a
    row on average, at most MAX_CELLS_PER_ROW in any row and STRINGS_PER_ROW shared strings a
    row, counted on the inflated bytes as they stream by, before any XML parser sees them."""
    most_cells, most_strings = last_row * CELLS_PER_ROW, last_row * STRINGS_PER_ROW
    rows = cells = in_row = strings = formulas = 0
    tail = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            data = tail + chunk
            cut = data.rfind(b"<", max(0, len(data) - 32)) if chunk else -1
            data, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
            for name in _PART_ELEMENT.findall(data):
                if name == b"c":
                    cells += 1
                    in_row += 1
                    if in_row > MAX_CELLS_PER_ROW:
                        return False, False
                elif name == b"row":
                    rows += 1
                    in_row = 0
                elif name == b"si":
                    strings += 1
                else:
                    formulas += 1
            if rows > last_row or cells > most_cells or strings > most_strings:
                return False, False
            if not chunk:
                return True, formulas > 0


def _headers(sheet, required, expected, wrong_headers) -> list[str]:
    headers = [header_text(value) for value in next(sheet.iter_rows(max_row=1, values_only=True), ())]
    missing = [name for name in required if headers.count(name) != 1]
    if missing:
        raise ExcelFileError(wrong_headers % {"expected": "、".join(expected), "missing": "、".join(missing)})
    return headers


def _dataset(sheet, headers, read, max_rows, last_row, *, has_formulas: bool) -> tablib.Dataset:
    width = max(index for index, header in enumerate(headers, start=1) if header in read)
    headers = headers[:width]
    read_at = [index for index, header in enumerate(headers) if header in read]
    dataset = tablib.Dataset(headers=[*headers, ROW_COLUMN])
    formulas = []
    # Cells, which tell a formula from text, only when the workbook has one: values are faster.
    rows = sheet.iter_rows(min_row=2, max_col=width, values_only=not has_formulas)
    for number, row in enumerate(rows, start=2):  # openpyxl pads each row to `width`
        if number > last_row:
            raise ExcelFileError(TOO_MANY_CELLS % {"count": max_rows})
        values = [cell.value for cell in row] if has_formulas else list(row)
        if all(cell_text(value) == "" for value in values):
            continue
        if len(dataset) == max_rows:
            raise ExcelFileError(TOO_MANY_ROWS % {"count": max_rows})
        if has_formulas:
            formulas += [{"row": number, "column": headers[i]} for i in read_at if row[i].data_type == "f"]
        dataset.append([*values, number])
    if formulas:
        raise ExcelFileError(FORMULAS % {"cells": _cells_listed(formulas)})
    if not len(dataset):
        raise ExcelFileError(NO_ROWS)
    return dataset


def _cells_listed(places: list[dict]) -> str:
    listed = "; ".join(str(CELL_AT % place) for place in places[:PROBLEM_CELLS_LISTED])
    return listed + (" …" if len(places) > PROBLEM_CELLS_LISTED else "")


def header_text(value) -> str:
    return "".join(cell_text(value).split()).replace("％", "%")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class WrittenDateWidget(widgets.Widget):
    """A date as Excel stores it, or as people type it: 2025-06-30, 2025/6/30, 2025年6月30日;
    from EARLIEST_DATE to LATEST_DATE, as in every form."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return _date_in_range(value, f"{value:%Y-%m-%d}")
        text = cell_text(value)
        if not text:
            return None
        match = WRITTEN_DATE.match(text)
        try:
            written = date(int(match[1]), int(match[2]), int(match[3]))
        except (TypeError, ValueError):  # no match, or 2月30日
            raise ValueError(BAD_DATE % {"value": text}) from None
        return _date_in_range(written, text)

    def render(self, value, obj=None, **kwargs):
        return value


def _date_in_range(value: date, text: str) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(DATE_OUT_OF_RANGE % {"value": text, "earliest": EARLIEST_DATE, "latest": LATEST_DATE})
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
                if cell.value.startswith(FORMULA_STARTS):  # and stays text once edited in Excel
                    cell.quotePrefix = True
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
