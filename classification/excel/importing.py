"""Import of a ledger sheet, fast enough for a year of a district's daily collection records.

Streets, communities and sites are loaded once into dicts and every row is checked in
Python; only when no row has a problem is anything written, with bulk_create in one
transaction. All or nothing. A row whose natural key (LedgerSheet.key: for collection the
date and the place) is already in the ledger replaces that row: the existing rows with the
file's keys are deleted and the file's rows inserted, so importing a file twice changes
nothing. The models have no unique constraint on these keys, hence delete-then-insert with
the file's streets locked, rather than INSERT … ON CONFLICT.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import cell_text, row_message
from sanitation.organisations.access import scope_by_unit
from sanitation.organisations.models import Unit

from ..ledgers import ledger_communities, ledger_streets
from ..models import Site
from .columns import COMMUNITY, SITE, STREET, LedgerSheet

MAX_ROWS = 50_000
BATCH = 2_000
DELETE_BATCH = 10_000
PREVIEW_ROWS = 50

UNKNOWN_STREET = _("there is no street “%(name)s” in your district.")
AMBIGUOUS_STREET = _("“%(name)s” names several streets: write the street's full name.")
UNKNOWN_COMMUNITY = _("there is no community “%(name)s” in %(street)s.")
COMMUNITY_ELSEWHERE = _("“%(name)s” is a community of %(other)s, not of %(street)s.")
UNKNOWN_SITE = _("there is no site “%(name)s” in %(street)s.")
SITE_ELSEWHERE = _("the site “%(name)s” belongs to %(other)s, not to %(community)s.")
DUPLICATE_KEY = _("row %(other)s has the same %(columns)s.")


class PlaceDirectory:
    """The streets, communities and sites a user keeps, by name: three queries per import."""

    def __init__(self, user):
        self.streets: dict[str, list[Unit]] = {}
        for street in ledger_streets(user, change=True).only("pk", "name", "short_name"):
            for name in {street.name, street.short_name} - {""}:
                self.streets.setdefault(name, []).append(street)
        communities = list(ledger_communities(user, change=True).only("pk", "name", "parent_id"))
        self.communities = {(unit.parent_id, unit.name): unit for unit in communities}
        self.community_streets: dict[str, list[int]] = {}
        for unit in communities:
            self.community_streets.setdefault(unit.name, []).append(unit.parent_id)
        self.street_names = {units[0].pk: units[0].name for units in self.streets.values()}
        self.community_names = {unit.pk: unit.name for unit in communities}
        sites = scope_by_unit(
            Site.objects.only("pk", "name", "street_id", "community_id"), user, via="street", change=True
        )
        self.sites = {(site.street_id, site.name): site for site in sites}

    def resolve(self, street_text: str, community_text: str, site_text: str):
        """(street, community, site, problems) where problems are (header, message) pairs."""
        streets = self.streets.get(street_text, [])
        if not street_text:
            return None, None, None, [(STREET, spreadsheets.REQUIRED)]
        if len(streets) != 1:
            problem = AMBIGUOUS_STREET if streets else UNKNOWN_STREET
            return None, None, None, [(STREET, problem % {"name": street_text})]
        street = streets[0]
        community = site = None
        problems = []
        if community_text:
            community = self.communities.get((street.pk, community_text))
            if community is None:
                problems.append((COMMUNITY, self._community_problem(community_text, street)))
        if site_text:
            site = self.sites.get((street.pk, site_text))
            if site is None:
                problems.append((SITE, UNKNOWN_SITE % {"name": site_text, "street": street.name}))
            elif community and site.community_id and site.community_id != community.pk:
                other = self.community_names.get(site.community_id, "")
                problems.append((SITE, SITE_ELSEWHERE % {"name": site_text, "other": other, "community": community}))
        return street, community, site, problems

    def _community_problem(self, name: str, street: Unit) -> str:
        others = [self.street_names.get(pk, "") for pk in self.community_streets.get(name, [])]
        if others:
            return COMMUNITY_ELSEWHERE % {"name": name, "other": "、".join(others), "street": street.name}
        return UNKNOWN_COMMUNITY % {"name": name, "street": street.name}


@dataclass
class LedgerImportResult:
    sheet: LedgerSheet
    dry_run: bool
    rows: int = 0
    replaced: int = 0  # rows already in the ledger with one of the file's keys
    errors: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)  # the first rows, as text

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new(self) -> int:
        return self.rows - self.replaced

    @property
    def more(self) -> int:
        return max(0, self.rows - len(self.preview))


def ledger_import(sheet: LedgerSheet, content: bytes, *, user, dry_run: bool) -> LedgerImportResult:
    """Check every row of the sheet and, unless dry_run or any row has a problem, write them
    all. Raises ExcelFileError when the file itself is unfit; row problems are in the result."""
    dataset = spreadsheets.sheet_read(content, required=sheet.headers, max_rows=MAX_ROWS)
    result = LedgerImportResult(sheet=sheet, dry_run=dry_run, rows=len(dataset))
    instances, result.errors = _instances(sheet, dataset, PlaceDirectory(user))
    at = [dataset.headers.index(header) for header in sheet.headers]
    result.preview = [[_shown(values[index]) for index in at] for values in dataset[:PREVIEW_ROWS]]
    if result.errors:
        return result
    with transaction.atomic():
        street_ids = sorted({instance.street_id for instance in instances})
        if not dry_run:  # one import at a time per street, so two cannot both insert a key
            list(Unit.objects.select_for_update().filter(pk__in=street_ids).order_by("pk").values_list("pk"))
        replaced = _existing(sheet, instances, street_ids)
        result.replaced = len(replaced)
        if not dry_run:
            for start in range(0, len(replaced), DELETE_BATCH):
                sheet.model.objects.filter(pk__in=replaced[start : start + DELETE_BATCH]).delete()
            sheet.model.objects.bulk_create(instances, batch_size=BATCH)
    return result


def _instances(sheet: LedgerSheet, dataset, directory: PlaceDirectory) -> tuple[list, list[str]]:
    index = {header: dataset.headers.index(header) for header in sheet.headers}
    parsed = [(column.header, column.attribute, column.parse, index[column.header]) for column in sheet.columns]
    street_at, community_at, site_at = index[STREET], index[COMMUNITY], index[SITE]
    instances, errors, seen = [], [], {}
    for values in dataset:
        row = values[-1]
        street, community, site, problems = directory.resolve(
            cell_text(values[street_at]), cell_text(values[community_at]), cell_text(values[site_at])
        )
        fields = {"street": street, "community": community, "site": site}
        for header, attribute, parse, at in parsed:
            if parse is None:
                continue
            try:
                fields[attribute] = parse(values[at])
            except ValueError as error:
                problems.append((header, error.args[0]))
        if problems:
            errors += [row_message(row, header, message) for header, message in problems]
            continue
        instance = sheet.model(**fields)
        key = tuple(getattr(instance, name) for name in sheet.key)
        if key in seen:
            errors.append(row_message(row, None, DUPLICATE_KEY % {"other": seen[key], "columns": sheet.key_headers}))
            continue
        seen[key] = row
        instances.append(instance)
    return instances, errors


def _existing(sheet: LedgerSheet, instances: list, street_ids: list[int]) -> list[int]:
    """The ids of the ledger's rows that have one of the instances' keys."""
    keys = {tuple(getattr(instance, name) for name in sheet.key) for instance in instances}
    rows = sheet.model.objects.filter(street_id__in=street_ids).order_by()
    if sheet.date:
        dates = [getattr(instance, sheet.date) for instance in instances]
        rows = rows.filter(**{f"{sheet.date}__range": (min(dates), max(dates))})
    found = rows.values_list("pk", *sheet.key).iterator(chunk_size=10_000)
    return [pk for pk, *key in found if tuple(key) in keys]


def _shown(value) -> str:
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d}"
    return cell_text(value)
