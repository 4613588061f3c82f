"""A plan's items as an Excel sheet: export them, edit them in Excel, import them back.

One row per item, matched on import by 章 and 编号: existing items are updated through
services.item_update (so every change lands in their history), the others are created.
An import is all or nothing: one bad row and nothing is written, every row's problem is
listed with its Excel row number and column. Formulas are read as their text.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from sanitation.core import spreadsheets
from sanitation.core.forms import LONG_TEXT_LENGTH
from sanitation.core.spreadsheets import (
    REQUIRED,
    ROW_COLUMN,
)
from sanitation.core.spreadsheets import cell_text as _text
from sanitation.organisations.models import Unit
from sanitation.organisations.selectors import UnitDirectory

from . import services
from .models import Category, Chapter, Item, NumberStyle, Plan
from .plan_text import NUMERALS, chinese_number, chinese_numeral
from .selectors import ItemStatus, with_status

# Column headers: Chinese in every language, they are what clerks type and read.
CHAPTER, NUMBER, TITLE, TEXT, CATEGORY = "章", "编号", "事项", "内容", "类别"
LEAD, ASSISTING, DEADLINE, PERCENT, STATUS = "牵头单位", "协助单位", "完成时限", "进度%", "状态"
HEADERS = (CHAPTER, NUMBER, TITLE, TEXT, CATEGORY, LEAD, ASSISTING, DEADLINE, PERCENT, STATUS)
REQUIRED_HEADERS = HEADERS[:-1]  # 状态 is computed: exported, never imported
COLUMN_WIDTHS = {TITLE: 30, TEXT: 80, LEAD: 24, ASSISTING: 24, DEADLINE: 12}
NAME_SEPARATORS = re.compile(r"[、，,；;/\n]+")
_NUMERAL = f"[{NUMERALS}百零〇]+"
CHAPTER_NUMBER = re.compile(rf"^({_NUMERAL}|\d{{1,4}})\s*(?:[、.．]\s*(.*))?$")
ITEM_NUMBER = re.compile(rf"^([（(])?\s*({_NUMERAL}|\d{{1,4}})\s*([）)])?\s*([.．、])?$")
NEW_ITEM_POSITION = 1_000_000  # new rows sort after their chapter's items until renumbered
# The unit fields, with the fields keeping the names as written that the circular prints.
AS_WRITTEN = {"lead_units": "lead_names", "assisting_units": "assisting_names"}

WRONG_HEADERS = _(
    "The first row of the first sheet must name the columns %(expected)s (状态 may be left out). "
    "Missing or repeated: %(missing)s."
)
UNKNOWN_CHAPTER = _("“%(value)s” is not a chapter of this plan: write its number (一, 二 …) or its title.")
BAD_NUMBER = _("“%(value)s” is not an item number such as （一） or 1.")
UNKNOWN_CATEGORY = _("there is no category “%(name)s”.")
UNKNOWN_UNIT = _("“%(name)s” is not in the unit tree.")
AMBIGUOUS_UNIT = _("“%(name)s” may mean %(units)s: write the full name.")
BAD_PERCENT = _("“%(value)s” is not a whole number from 0 to 100.")
DUPLICATE_ROW = _("row %(other)s has the same chapter and number.")
PERCENT_KEPT = _("进度%% is not imported: it follows the lead units' progress reports (now %(percent)d).")


def sheet_read(content: bytes) -> tablib.Dataset:
    """The first sheet's rows, with the Excel row number of each in ROW_COLUMN."""
    return spreadsheets.sheet_read(content, required=REQUIRED_HEADERS, expected=HEADERS, wrong_headers=WRONG_HEADERS)


# Cells → values ---------------------------------------------------------------------------


class _Lookups:
    """What the rows are matched against, each loaded once per import."""

    def __init__(self, plan: Plan):
        self.plan = plan

    @cached_property
    def chapters(self) -> list[Chapter]:
        return list(self.plan.chapters.all())

    @cached_property
    def categories(self) -> dict[str, Category]:
        return {category.name: category for category in Category.objects.all()}

    @cached_property
    def directory(self) -> UnitDirectory:
        return UnitDirectory(self.plan.issuer)

    @cached_property
    def items(self) -> dict[tuple[int, int], Item]:
        items = self.plan.items.select_related("category").prefetch_related("lead_units", "assisting_units")
        return {(item.chapter_id, item.number): item for item in items}

    @cached_property
    def chapters_by_title(self) -> dict[str, Chapter]:
        return {_bare(chapter.title): chapter for chapter in self.chapters}

    def chapter(self, text: str) -> Chapter | None:
        if _bare(text) in self.chapters_by_title:
            return self.chapters_by_title[_bare(text)]
        match = CHAPTER_NUMBER.match(text)
        if match is None:
            return None
        number = int(match[1]) if match[1].isdigit() else chinese_number(match[1])
        return next((chapter for chapter in self.chapters if chapter.number == number), None)

    def style_in(self, chapter: Chapter) -> str:
        """The numbering of the chapter's items, or of the plan's, for a number written bare."""
        items = sorted(self.items.values(), key=lambda item: item.chapter_id != chapter.pk)
        return items[0].number_style if items else NumberStyle.ARABIC


def _bare(title: str) -> str:
    return "".join(title.replace("*", "").split())


class _PlanWidget(widgets.Widget):
    lookups: _Lookups  # given by the resource


class ChapterWidget(_PlanWidget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            raise ValueError(REQUIRED)
        chapter = self.lookups.chapter(text)
        if chapter is None:
            raise ValueError(UNKNOWN_CHAPTER % {"value": text})
        return chapter


def item_number(value) -> tuple[int, str | None]:
    """（三） → (3, bracketed), 3. → (3, arabic), 3 → (3, None): the style is the chapter's."""
    text = _text(value)
    match = ITEM_NUMBER.match(text)
    if not text or match is None or (match[1] is None) != (match[3] is None):
        raise ValueError(BAD_NUMBER % {"value": text} if text else REQUIRED)
    number = int(match[2]) if match[2].isdigit() else chinese_number(match[2])
    if match[1] or not match[2].isdigit():
        return number, NumberStyle.BRACKETED
    return number, NumberStyle.ARABIC if match[4] else None


class ItemNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return item_number(value)[0]


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = False, max_length: int | None = None):
        super().__init__()
        self.required = required
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(spreadsheets.TOO_LONG % {"value": text[:20] + "…", "limit": self.max_length})
        return text or None


class CategoryWidget(_PlanWidget):
    def clean(self, value, row=None, **kwargs):
        name = _text(value)
        if name and name not in self.lookups.categories:
            raise ValueError(UNKNOWN_CATEGORY % {"name": name})
        return self.lookups.categories.get(name)


def unit_names(value) -> list[str]:
    return [name.strip() for name in NAME_SEPARATORS.split(_text(value)) if name.strip()]


class UnitsWidget(_PlanWidget):
    """Names joined by 、, each resolved in the issuer's tree (aliases and 各股室 included)."""

    def clean(self, value, row=None, **kwargs) -> list[Unit]:
        resolution = self.lookups.directory.resolve(unit_names(value))
        problems = [UNKNOWN_UNIT % {"name": name} for name in resolution.unknown]
        problems += [
            AMBIGUOUS_UNIT % {"name": name, "units": "、".join(unit.name for unit in units)}
            for name, units in resolution.ambiguous.items()
        ]
        if problems:
            raise ValueError(" ".join(problems))
        return resolution.units


DeadlineWidget = spreadsheets.WrittenDateWidget


class PercentWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).rstrip("%％").strip()
        if not text:
            return None
        try:
            percent = Decimal(text)
        except InvalidOperation:
            raise ValueError(BAD_PERCENT % {"value": _text(value)}) from None
        if not percent.is_finite() or percent != percent.to_integral_value() or not 0 <= percent <= 100:
            raise ValueError(BAD_PERCENT % {"value": _text(value)})
        return int(percent)


# The resource -----------------------------------------------------------------------------


@dataclass
class _Draft:
    """One row on its way in: what it changes, and what it needs once the item exists."""

    row: int
    before: dict | None  # editable values of the existing item; None for a new one
    percent: int = 0  # the existing item's, which the sheet does not change
    units: dict[str, list[Unit]] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # unit names as the cell has them
    changes: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _editable(item: Item) -> dict:
    values = {name: getattr(item, name) for name in services.EDITABLE_ITEM_FIELDS}
    return values | {name: set(getattr(item, name).all()) for name in services.EDITABLE_ITEM_UNITS}


class PlanItemLoader(BaseInstanceLoader):
    """Finds the row's item among the plan's, loaded once (with their units)."""

    def get_instance(self, row):
        try:
            chapter = self.resource.fields["chapter"].clean(row)
            number = self.resource.fields["number"].clean(row)
        except ValueError:
            return None  # a new item; import_instance reports the bad cell
        return self.resource.lookups.items.get((chapter.pk, number))


class PlanItemResource(resources.ModelResource):
    """The items of one plan. Build one per export or import: it caches the plan's rows."""

    chapter = fields.Field(attribute="chapter", column_name=CHAPTER, widget=ChapterWidget())
    number = fields.Field(attribute="number", column_name=NUMBER, widget=ItemNumberWidget())
    title = fields.Field(attribute="title", column_name=TITLE, widget=TextWidget(required=True))
    text = fields.Field(
        attribute="text", column_name=TEXT, widget=TextWidget(max_length=LONG_TEXT_LENGTH), saves_null_values=False
    )
    category = fields.Field(attribute="category", column_name=CATEGORY, widget=CategoryWidget())
    lead_units = fields.Field(attribute="lead_units", column_name=LEAD, widget=UnitsWidget())
    assisting_units = fields.Field(attribute="assisting_units", column_name=ASSISTING, widget=UnitsWidget())
    deadline = fields.Field(attribute="deadline", column_name=DEADLINE, widget=DeadlineWidget())
    percent = fields.Field(attribute="percent", column_name=PERCENT, widget=PercentWidget(), saves_null_values=False)
    status = fields.Field(column_name=STATUS, readonly=True)

    class Meta:
        model = Item
        fields = (
            "chapter",
            "number",
            "title",
            "text",
            "category",
            "lead_units",
            "assisting_units",
            "deadline",
            "percent",
            "status",
        )
        import_id_fields = ("chapter", "number")
        instance_loader_class = PlanItemLoader
        skip_diff = True  # rows are compared in _complete(), without a deep copy per row
        use_transactions = True

    def __init__(self, plan: Plan, *, user=None):
        super().__init__()
        self.plan = plan
        self.user = user
        self.lookups = _Lookups(plan)
        self.drafts: dict[int, _Draft] = {}  # by dataset row number (1-based)
        self._draft: _Draft | None = None  # the row being imported
        self._rows_by_key: dict[tuple[int, int], int] = {}
        self._new: list[tuple[Item, _Draft]] = []
        for resource_field in self.fields.values():
            if isinstance(resource_field.widget, _PlanWidget):
                resource_field.widget.lookups = self.lookups

    # Export: one query for the items and one per unit list, however many rows.

    def get_queryset(self):
        items = with_status(Item.objects.filter(plan=self.plan))
        items = items.select_related("chapter", "category").prefetch_related("lead_units", "assisting_units")
        return items.order_by("chapter__number", "position")

    def iter_queryset(self, queryset):
        # The default pages through prefetching querysets: a query per page and relation.
        return iter(queryset)

    def dehydrate_chapter(self, item: Item) -> str:
        return chinese_numeral(item.chapter.number)

    def dehydrate_number(self, item: Item) -> str:
        return item.label

    def dehydrate_category(self, item: Item) -> str:
        return item.category.name if item.category else ""

    def dehydrate_lead_units(self, item: Item) -> str:
        return "、".join(unit.name for unit in item.lead_units.all())

    def dehydrate_assisting_units(self, item: Item) -> str:
        return "、".join(unit.name for unit in item.assisting_units.all())

    def dehydrate_deadline(self, item: Item) -> date | None:
        return item.deadline

    def dehydrate_percent(self, item: Item) -> int:
        return item.percent

    def dehydrate_status(self, item: Item) -> str:
        return str(ItemStatus.LABELS[item.status])

    # Import

    def init_instance(self, row=None):
        return Item(plan=self.plan)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute in services.EDITABLE_ITEM_UNITS:
            # Units are set once the item exists; until then they wait in the row's draft.
            self._draft.units[field.attribute] = field.clean(row)
            self._draft.written[field.attribute] = "、".join(unit_names(row[field.column_name]))
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        before = _editable(instance) if instance.pk else None
        draft = _Draft(row=row[ROW_COLUMN], before=before, percent=instance.percent)
        self.drafts[kwargs["row_number"]] = self._draft = draft
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors:
            errors = self._complete(instance, draft, row)
        if errors:
            raise ValidationError(errors)

    def _complete(self, instance: Item, draft: _Draft, row) -> dict:
        """Defaults, duplicates and what the row changes; errors by field."""
        key = (instance.chapter.pk, instance.number)
        if key in self._rows_by_key:
            return {"number": [DUPLICATE_ROW % {"other": self._rows_by_key[key]}]}
        self._rows_by_key[key] = draft.row
        # An annual plan's item without a date is due at the end of the year, as on import.
        instance.deadline = instance.deadline or date(self.plan.year, 12, 31)
        if draft.before is None:
            instance.text = instance.text or instance.title
            instance.number_style = item_number(row[NUMBER])[1] or self.lookups.style_in(instance.chapter)
            return {}
        if instance.percent != draft.percent:
            draft.notes.append(PERCENT_KEPT % {"percent": draft.percent})
            instance.percent = draft.percent
        after = {name: getattr(instance, name) for name in services.EDITABLE_ITEM_FIELDS}
        after |= {name: set(units) for name, units in draft.units.items()}
        draft.changes = {name: value for name, value in after.items() if value != draft.before[name]}
        return {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        draft = self._draft
        return draft.before is not None and not draft.changes and not import_validation_errors

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # Related rows come from the plan's own lookups: no query per row to check them.
            instance.clean_fields(exclude=[*errors, "plan", "chapter", "category"])
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        draft = self._draft
        # The circular prints the names as written: they follow the units the sheet sets.
        written = {name: draft.written[name][:300] for name in AS_WRITTEN}
        if not is_create:
            services.item_update(instance, user=self.user, **draft.changes)
            changed = {AS_WRITTEN[name]: text for name, text in written.items() if name in draft.changes}
            if changed:
                Item.objects.filter(pk=instance.pk).update(**changed)
            return
        instance.position = NEW_ITEM_POSITION + draft.row
        for name, text in written.items():
            setattr(instance, AS_WRITTEN[name], text)
        self._new.append((instance, draft))  # created together once every row is valid

    def after_import(self, dataset, result, **kwargs):
        # Not ModelResource's: it resets the id sequence, which only imports of ids need and
        # which could hand out an id another transaction is about to commit.
        if self._new and not (result.has_errors() or result.has_validation_errors()):
            _items_create(self._new)
            services.items_added_record(self.plan, [item for item, _draft in self._new], by=self.user)
            _renumber(self.plan)


def _items_create(new: list[tuple[Item, _Draft]]) -> None:
    Item.objects.bulk_create([item for item, _draft in new])
    for name in AS_WRITTEN:
        through = getattr(Item, name).through
        links = [through(item_id=item.pk, unit_id=unit.pk) for item, draft in new for unit in draft.units[name]]
        through.objects.bulk_create(links)


def _renumber(plan: Plan) -> None:
    """Positions 1…n in chapter order, new items after their chapter's others."""
    items = list(plan.items.order_by("chapter__number", "position", "pk").only("pk", "position"))
    for position, item in enumerate(items, start=1):
        item.position = position
    Item.objects.bulk_update(items, ["position"])


# Export -------------------------------------------------------------------------------------


def plan_items_xlsx(plan: Plan) -> bytes:
    """The plan's items as an .xlsx workbook (three queries whatever the number of items)."""
    dataset = PlanItemResource(plan).export()
    return _workbook(dataset)


def _workbook(dataset: tablib.Dataset) -> bytes:
    return spreadsheets.workbook_bytes(dataset, title="事项", widths=COLUMN_WIDTHS)


# Import -------------------------------------------------------------------------------------


@dataclass
class RowOutcome(spreadsheets.RowOutcome):
    chapter: str
    number: str
    title: str
    changed: list[str] = field(default_factory=list)  # column headers
    notes: list[str] = field(default_factory=list)


ItemImportResult = spreadsheets.ImportResult


def plan_items_import(plan: Plan, file_bytes: bytes, *, user, dry_run: bool) -> ItemImportResult:
    """Update and create the plan's items from the sheet, all or nothing. Raises
    ExcelFileError when the file itself is unfit; row problems are in the result."""
    dataset = sheet_read(file_bytes)
    resource = PlanItemResource(plan, user=user)
    # one import of a plan at a time
    result, errors = spreadsheets.resource_import(
        resource, dataset, dry_run=dry_run, lock=Plan.objects.filter(pk=plan.pk)
    )
    return ItemImportResult(dry_run=dry_run, rows=_outcomes(resource, dataset, result), errors=errors)


def _outcomes(resource: PlanItemResource, dataset: tablib.Dataset, result) -> list[RowOutcome]:
    kinds = spreadsheets.IMPORT_TYPES
    columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    outcomes = []
    for number, (values, row_result) in enumerate(zip(dataset.dict, result.rows, strict=True), start=1):
        draft = resource.drafts.get(number)
        outcomes.append(
            RowOutcome(
                row=values[ROW_COLUMN],
                chapter=_text(values[CHAPTER]),
                number=_text(values[NUMBER]),
                title=_text(values[TITLE]),
                kind=kinds.get(row_result.import_type, "invalid"),
                changed=[columns[name] for name in draft.changes] if draft else [],
                notes=draft.notes if draft else [],
            )
        )
    return outcomes
