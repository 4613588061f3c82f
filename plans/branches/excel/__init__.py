"""The branch registry as an Excel sheet: export it, edit it in Excel, import it back.

One row per branch, with its current term (本届), matched on import by 名称 within the
organisation: a known branch is updated through services.branch_update (so every change
lands in its history), an unknown one registered. The term columns give the current term:
the same 届次 corrects it, a higher one records a new term (换届). An import is all or
nothing: one bad row and nothing is written, every problem is listed with its Excel row
number and column.
"""

from dataclasses import dataclass, field

from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import ROW_COLUMN, cell_text
from sanitation.organisations.models import Unit

from .cells import COLUMN_WIDTHS, HEADERS, NAME, sheet_read
from .resource import BranchResource

__all__ = ["HEADERS", "BranchImportResult", "RowOutcome", "branches_import", "branches_xlsx"]

# Export -------------------------------------------------------------------------------------


def branches_xlsx(branches) -> bytes:
    """The branches (a queryset with_terms) as an .xlsx workbook: two queries in all."""
    dataset = BranchResource().export(queryset=branches)
    return spreadsheets.workbook_bytes(dataset, title="分支机构", widths=COLUMN_WIDTHS)


# Import -------------------------------------------------------------------------------------


@dataclass
class RowOutcome(spreadsheets.RowOutcome):
    name: str
    changed: list[str] = field(default_factory=list)  # column headers


BranchImportResult = spreadsheets.ImportResult


def branches_import(organisation: Unit, content: bytes, *, user, dry_run: bool) -> BranchImportResult:
    """Register and update the organisation's branches from the sheet, all or nothing.
    Raises ExcelFileError when the file itself is unfit; row problems are in the result."""
    dataset = sheet_read(content)
    resource = BranchResource(organisation, user=user)
    # one import of a registry at a time
    result, errors = spreadsheets.resource_import(
        resource, dataset, dry_run=dry_run, lock=Unit.objects.filter(pk=organisation.pk)
    )
    kinds = spreadsheets.IMPORT_TYPES
    rows = []
    for number, (values, row_result) in enumerate(zip(dataset.dict, result.rows, strict=True), start=1):
        draft = resource.drafts.get(number)
        kind = kinds.get(row_result.import_type, "invalid")
        changed = draft.changed_columns if draft and kind != "invalid" else []
        rows.append(RowOutcome(row=values[ROW_COLUMN], name=cell_text(values[NAME]), kind=kind, changed=changed))
    return BranchImportResult(dry_run=dry_run, rows=rows, errors=errors)
