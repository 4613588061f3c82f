"""The ledgers as Excel sheets: export each, and import it back (dry run first), all or nothing.

Headers and choice names are Chinese in every language (columns.py); each ledger has a
django-import-export resource (resources.py) for its export, and imports go through the
fast importer (importing.py), which a year of daily collection records does not slow.
"""

from django.db.models import QuerySet

from sanitation.core import spreadsheets

from .columns import SHEETS, LedgerSheet
from .importing import LedgerImportResult, ledger_import
from .resources import RESOURCES

__all__ = ["SHEETS", "LedgerImportResult", "LedgerSheet", "ledger_import", "ledger_xlsx"]

WIDTHS = {"街道": 16, "社区": 18, "点位": 22, "主题": 30, "备注": 24, "去向": 18, "岗位": 16}


def ledger_xlsx(slug: str, rows: QuerySet) -> bytes:
    """The rows of a ledger as an .xlsx workbook (one query whatever their number)."""
    dataset = RESOURCES[slug]().export(rows, force_native_type=True)
    return spreadsheets.workbook_bytes(dataset, title=SHEETS[slug].title, widths=WIDTHS)
