"""The member registry as an Excel sheet: export it, edit it in Excel, import it back.

One row per member. Unit members are matched on their credit code, individual members on
名称 and 工作单位; matched members are updated through services.member_update and
member_status_change (so every change lands in their history), the others are created.
All or nothing: one bad row and nothing is written; every problem is listed with its Excel
row number and column. Headers and choice values are Chinese in every language: they are
what the secretariat types and reads. Dues are not in this sheet.
"""

from dataclasses import dataclass, field

import tablib

from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import ROW_COLUMN
from sanitation.core.spreadsheets import cell_text as _text
from sanitation.organisations.models import Unit

from ..models import MemberKind
from .columns import COLUMN_WIDTHS, CREDIT_CODE, EMPLOYER, HEADERS, IMPORTED, KIND, NAME, STATUS, sheet_read
from .resource import MemberResource

__all__ = ["HEADERS", "IMPORTED", "MemberImportResult", "RowOutcome", "members_import", "members_xlsx", "sheet_read"]


# Export -------------------------------------------------------------------------------------


def members_xlsx(members) -> bytes:
    """The members as an .xlsx workbook (one query whatever their number)."""
    dataset = MemberResource().export(members)
    return spreadsheets.workbook_bytes(dataset, title="会员", widths=COLUMN_WIDTHS)


# Import -------------------------------------------------------------------------------------


@dataclass
class RowOutcome(spreadsheets.RowOutcome):
    name: str
    kind_name: str
    key: str  # credit code or employer: what the row was matched on
    changed: list[str] = field(default_factory=list)  # column headers


MemberImportResult = spreadsheets.ImportResult


def members_import(organisation: Unit, file_bytes: bytes, *, user, dry_run: bool) -> MemberImportResult:
    """Update and create the organisation's members from the sheet, all or nothing. Raises
    ExcelFileError when the file itself is unfit; row problems are in the result."""
    dataset = sheet_read(file_bytes)
    resource = MemberResource(organisation, user=user)
    # one import per organisation at a time
    result, errors = spreadsheets.resource_import(
        resource, dataset, dry_run=dry_run, lock=Unit.objects.filter(pk=organisation.pk)
    )
    return MemberImportResult(dry_run=dry_run, rows=_outcomes(resource, dataset, result), errors=errors)


def _outcomes(resource: MemberResource, dataset: tablib.Dataset, result) -> list[RowOutcome]:
    kinds = spreadsheets.IMPORT_TYPES
    columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    outcomes = []
    for number, (values, row_result) in enumerate(zip(dataset.dict, result.rows, strict=True), start=1):
        draft = resource.drafts.get(number)
        changed = [columns[name] for name in draft.changes] + [STATUS] * draft.status_changed if draft else []
        is_unit = _row_kind(resource, values) == MemberKind.UNIT
        outcomes.append(
            RowOutcome(
                row=values[ROW_COLUMN],
                name=_text(values[NAME]),
                kind_name=_text(values[KIND]),
                key=_text(values[CREDIT_CODE]) if is_unit else _text(values[EMPLOYER]),
                kind=kinds.get(row_result.import_type, "invalid"),
                changed=changed,
            )
        )
    return outcomes


def _row_kind(resource: MemberResource, values: dict) -> str | None:
    try:
        return resource.fields["kind"].clean(values)
    except ValueError:
        return None
