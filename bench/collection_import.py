"""Excel import of a year of a district's daily collection records: the ledger's importer
against django-import-export's default row-by-row import of the same file.

    python -m bench.collection_import [--streets N] [--days N] [--json]

The file (one row per street and day, with its community and site; deterministic) is made
once. Each import runs in a transaction of its own that is rolled back, on a bench district
made inside it, so each starts from the same state and the database is left as it was. The
default side reads the file with tablib and imports it with the ledger's own resource
(CollectionRecordResource: names resolved by ForeignKeyWidget, rows matched on the date
and the place), as the admin's import would; the fast side also imports the file a second
time (every row replacing its own), which is what a corrected re-upload costs.
"""

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "ZZBENCH"  # the bench district's unit code; its rows exist only inside rolled-back transactions
TARGETS = {"rows_per_s": 2000, "ratio": 0.2}


class _Rollback(Exception):
    pass


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanitation.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _names(streets: int) -> list[tuple[str, str, str]]:
    return [(f"基准第{n}街道", f"基准第{n}街道一社区", f"基准第{n}街道花园") for n in range(1, streets + 1)]


def sheet(streets: int = 30, days: int = 365) -> bytes:
    """A year of daily records of every street, the same bytes every time."""
    import openpyxl

    from classification.excel import SHEETS

    chance = random.Random(2026)
    book = openpyxl.Workbook(write_only=True)
    rows = book.create_sheet("收运台账")
    rows.append(list(SHEETS["collection"].headers))
    for day in range(days):
        on = date(2025, 1, 1) + timedelta(days=day)
        for n, (street, community, site) in enumerate(_names(streets), start=1):
            tonnes = [round(chance.uniform(low, high), 3) for low, high in ((0.5, 2), (0, 0.05), (1, 4), (3, 8))]
            rows.append([on, street, community, site, *tonnes, f"浙A{n:05d}", "城东转运站"])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _district(streets: int):
    """The bench district with its streets, communities, sites and a clerk; returns the clerk."""
    from classification.models import Site, SiteKind
    from sanitation.organisations.models import Membership, Role, Unit, UnitKind, User

    district = Unit.objects.create(code=CODE, name="基准区", kind=UnitKind.DISTRICT)
    office = Unit.objects.create(code=f"{CODE}-FLB", name="基准区分类办", kind=UnitKind.OFFICE, parent=district)
    for n, (street_name, community_name, site_name) in enumerate(_names(streets), start=1):
        street = Unit.objects.create(code=f"{CODE}-JD{n}", name=street_name, kind=UnitKind.STREET, parent=district)
        community = Unit.objects.create(
            code=f"{CODE}-JD{n}-SQ1", name=community_name, kind=UnitKind.COMMUNITY, parent=street
        )
        Site.objects.create(street=street, community=community, name=site_name, kind=SiteKind.MANAGED_ESTATE)
    clerk = User.objects.create(username=f"{CODE.lower()}-clerk")
    Membership.objects.create(user=clerk, unit=office, role=Role.CLERK)
    return clerk


def _rolled_back(streets: int, work) -> dict:
    from django.db import transaction

    timings = {}
    try:
        with transaction.atomic():
            clerk = _district(streets)
            timings = work(clerk)
            raise _Rollback
    except _Rollback:
        pass
    return timings


def _fast(content: bytes, rows: int, streets: int) -> dict:
    from classification.excel import SHEETS, ledger_import
    from classification.models import CollectionRecord

    def work(clerk) -> dict:
        started = time.perf_counter()
        result = ledger_import(SHEETS["collection"], content, user=clerk, dry_run=False)
        first = time.perf_counter() - started
        assert result.ok and result.new == rows, result.errors[:5]
        started = time.perf_counter()
        again = ledger_import(SHEETS["collection"], content, user=clerk, dry_run=False)
        second = time.perf_counter() - started
        assert again.replaced == rows and CollectionRecord.objects.filter(street__code__startswith=CODE).count() == rows
        return {"fast_s": first, "reimport_s": second}

    return _rolled_back(streets, work)


def _default(content: bytes, rows: int, streets: int) -> dict:
    import tablib

    from classification.excel.resources import CollectionRecordResource
    from classification.models import CollectionRecord

    def work(clerk) -> dict:
        started = time.perf_counter()
        dataset = tablib.Dataset().load(content, format="xlsx")
        result = CollectionRecordResource().import_data(dataset, dry_run=False)
        elapsed = time.perf_counter() - started
        assert not result.has_errors() and not result.has_validation_errors()
        assert CollectionRecord.objects.filter(street__code__startswith=CODE).count() == rows
        return {"default_s": elapsed}

    return _rolled_back(streets, work)


def run(streets: int = 30, days: int = 365) -> dict:
    _setup()
    content = sheet(streets, days)
    rows = streets * days
    fast = _fast(content, rows, streets)
    default = _default(content, rows, streets)
    return {
        "rows": rows,
        "file_kb": round(len(content) / 1024, 1),
        "fast_s": round(fast["fast_s"], 3),
        "rows_per_s": round(rows / fast["fast_s"]),
        "reimport_s": round(fast["reimport_s"], 3),
        "default_s": round(default["default_s"], 3),
        "default_rows_per_s": round(rows / default["default_s"]),
        "ratio": round(fast["fast_s"] / default["default_s"], 3),
    }


def table(results: dict) -> str:
    if not results:
        return ""
    lines = [f"{'collection import (' + str(results['rows']) + ' rows)':<46}{'fast':>10}{'default':>10}{'target':>10}"]
    lines.append(f"{'seconds':<46}{results['fast_s']:>10}{results['default_s']:>10}{'':>10}")
    per_second = f"≥ {TARGETS['rows_per_s']}"
    lines.append(f"{'rows_per_s':<46}{results['rows_per_s']:>10}{results['default_rows_per_s']:>10}{per_second:>10}")
    lines.append(f"{'reimport_s (every row replaced)':<46}{results['reimport_s']:>10}{'':>10}{'':>10}")
    lines.append(f"{'ratio (fast / default)':<46}{results['ratio']:>10}{'':>10}{'≤ ' + str(TARGETS['ratio']):>10}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streets", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.streets, args.days)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
