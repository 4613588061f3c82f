"""Writing plans: importing one from its document, issuing it as a circular, changing and deleting
its items. Every write records who did what in the history of the plan or item (core.Change)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sanitation.core.deletion import restore, soft_delete
from sanitation.core.history import record, record_changes
from sanitation.core.models import Change, ChangeAction
from sanitation.documents.models import Circular, CircularKind, DocumentIssuer, IssuedCircularError
from sanitation.documents.services import circular_create, circular_issue
from sanitation.organisations.models import Unit
from sanitation.organisations.selectors import UnitDirectory

from .history import created_record, lines_record
from .models import Category, Chapter, Indicator, Item, Milestone, NumberStyle, Plan, SubPoint
from .plan_text import ParsedItem, ParsedPlan, chinese_numeral, parse_plan

# The one sentence of a 印发 notice; the plan follows as its attachment.
ISSUING_SENTENCE = "现将《{title}》印发给你们，请结合实际，认真抓好落实。"


class PlanImportError(Exception):
    """The plan cannot be saved as it is; `problems` says why, in the user's language."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportPreview:
    """A parsed plan with its unit names resolved: what saving it would write."""

    parsed: ParsedPlan
    issuer: Unit
    year: int | None
    # name as written → units it resolves to (empty: unknown; several: ambiguous)
    names: dict[str, list[Unit]] = field(default_factory=dict)
    categories: dict[int, Category | None] = field(default_factory=dict)  # chapter number → category

    @property
    def unknown_names(self) -> list[str]:
        return [name for name, units in self.names.items() if not units]

    def problems(self) -> list[str]:
        problems = []
        if not self.parsed.chapters:
            problems.append(_("No chapters (一、…) were found: is this the plan's text?"))
        elif not self.parsed.items:
            problems.append(_("No items （一） or 1. were found under the chapters."))
        if not self.year:
            problems.append(_("The plan's year is not in its title; give it."))
        for name in self.unknown_names:
            problems.append(_("No unit is called “%(name)s”: map it to a unit or create the unit.") % {"name": name})
        return problems

    def as_dict(self) -> dict:
        data = self.parsed.as_dict()
        data["year"] = self.year
        data["issuer"] = self.issuer.code
        resolved = {name: [unit.name for unit in units] for name, units in self.names.items()}
        for chapter in data["chapters"]:
            category = self.categories.get(chapter["number"])
            chapter["category"] = category.name if category else None
            for item in chapter["items"]:
                item["lead_units"] = [u for name in item["lead_names"] for u in resolved.get(name, [])]
                item["assisting_units"] = [u for name in item["assisting_names"] for u in resolved.get(name, [])]
        data["unresolved"] = self.unknown_names
        data["problems"] = self.problems()
        return data


def plan_preview(text: str, *, issuer: Unit, year: int | None = None, mapping: dict[str, Unit] | None = None):
    """Parse and resolve without writing anything. `mapping` maps names as written to units
    the user chose for names the unit tree does not know."""
    parsed = parse_plan(text, year=year)
    preview = ImportPreview(parsed=parsed, issuer=issuer, year=year or parsed.year)
    directory = UnitDirectory(issuer)
    mapping = mapping or {}
    for item in parsed.items:
        for name in [*item.lead_names, *item.assisting_names]:
            if name in preview.names:
                continue
            if name in mapping:
                preview.names[name] = [mapping[name]]
                continue
            resolution = directory.resolve([name])
            preview.names[name] = resolution.units if resolution.ok else []
    categories = list(Category.objects.all())
    for chapter in parsed.chapters:
        preview.categories[chapter.number] = category_for(chapter.title, categories)
    return preview


def category_for(title: str, categories: list[Category]) -> Category | None:
    """The category whose keyword comes first in the title."""
    best = None
    for category in categories:
        if category.parent_id:
            continue
        for keyword in category.keywords:
            at = title.find(keyword)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, category.sort_order, category)
    return best[2] if best else None


def _sub_category(text: str, chapter_category: Category | None, categories: list[Category]) -> Category | None:
    for category in categories:
        is_child = chapter_category is not None and category.parent_id == chapter_category.pk
        if is_child and any(keyword in text for keyword in category.keywords):
            return category
    return chapter_category


@transaction.atomic
def plan_import(preview: ImportPreview, *, title: str = "", user=None) -> Plan:
    """Save the previewed plan, all or nothing. Raises PlanImportError when a name is
    unresolved or the text has no structure: nothing is written then."""
    problems = preview.problems()
    if problems:
        raise PlanImportError(problems)
    parsed = preview.parsed
    plan_title = title or parsed.title or _("%(year)s plan") % {"year": preview.year}
    if Plan.objects.filter(issuer=preview.issuer, year=preview.year, title=plan_title).exists():
        raise PlanImportError([_("This unit already has a plan called “%(title)s”.") % {"title": plan_title}])
    plan = Plan.objects.create(
        issuer=preview.issuer, year=preview.year, title=plan_title, source_text=_source(parsed), created_by=user
    )
    record(plan, by=user, action=ChangeAction.CREATED, new=plan.title)
    categories = list(Category.objects.all())
    position = 0
    items = []
    for parsed_chapter in parsed.chapters:
        category = preview.categories.get(parsed_chapter.number)
        chapter = Chapter.objects.create(
            plan=plan, number=parsed_chapter.number, title=parsed_chapter.title, category=category
        )
        for parsed_item in parsed_chapter.items:
            position += 1
            items.append(
                _save_item(
                    plan, chapter, parsed_item, position, preview, _sub_category(parsed_item.text, category, categories)
                )
            )
    created_record(items, by=user)
    return plan


def _save_item(plan, chapter, parsed: ParsedItem, position, preview: ImportPreview, category) -> Item:
    item = Item.objects.create(
        plan=plan,
        chapter=chapter,
        number=parsed.number,
        number_style=NumberStyle.BRACKETED if parsed.style == "bracketed" else NumberStyle.ARABIC,
        position=position,
        title=parsed.title[:200],
        text=parsed.text,
        category=category,
        lead_names="、".join(parsed.lead_names),
        assisting_names="、".join(parsed.assisting_names),
        # An annual plan's item without a date of its own is due at the end of the year.
        deadline=parsed.deadline or date(preview.year, 12, 31),
    )
    item.lead_units.set([unit for name in parsed.lead_names for unit in preview.names[name]])
    leads = {unit.pk for unit in item.lead_units.all()}
    assisting = [unit for name in parsed.assisting_names for unit in preview.names[name] if unit.pk not in leads]
    item.assisting_units.set(assisting)
    SubPoint.objects.bulk_create(
        SubPoint(item=item, number=number, text=text) for number, text in enumerate(parsed.sub_points, start=1)
    )
    Indicator.objects.bulk_create(
        Indicator(
            item=item, name=ind["name"], target_value=Decimal(ind["target"]), unit=ind["unit"], due_on=item.deadline
        )
        for ind in parsed.indicators
    )
    return item


def _source(parsed: ParsedPlan) -> str:
    return plan_body(parsed_chapters=parsed.chapters)


def plan_body(*, parsed_chapters=None, plan: Plan | None = None) -> str:
    """The plan as the body of a circular: headings 一、 and items in their own numbering."""
    lines = []
    if plan is not None:
        chapters = plan.chapters.prefetch_related("items")
        for chapter in chapters:
            lines.append(f"{chinese_numeral(chapter.number)}、{chapter.title}")
            lines.extend(f"{item.label}{_with_units(item)}" for item in chapter.items.all())
        return "\n".join(lines)
    for chapter in parsed_chapters:
        lines.append(f"{chinese_numeral(chapter.number)}、{chapter.title}")
        lines.extend(f"{item.label}{item.text}" for item in chapter.items)
    return "\n".join(lines)


def _with_units(item: Item) -> str:
    if not item.lead_names:
        return item.text
    clause = f"牵头单位：{item.lead_names}"
    if item.assisting_names:
        clause += f"；协助单位：{item.assisting_names}"
    return f"{item.text}（{clause}）"


def issuer_for(plan: Plan) -> DocumentIssuer | None:
    """The plan's own unit's letterhead, or the nearest one above it."""
    ancestors = [prefix + "/" for prefix in _path_prefixes(plan.issuer.path)]
    return DocumentIssuer.objects.filter(unit__path__in=ancestors).order_by("-unit__depth").first()


def _path_prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[: end + 1]) for end in range(len(parts))]


def plan_issue(plan: Plan, *, user=None, recipients: str = "", written_on: date | None = None):
    """Issue the plan as its 关于印发《…》的通知: a numbered circular whose attachment is the
    plan. Issuing again (a double click, a retry) gives the circular already issued, and writes
    no second "issued" line in the plan's history."""
    issuer = issuer_for(plan)
    if issuer is None:
        raise PlanImportError([_("The unit issuing this plan has no document number prefix yet (公文 → issuers).")])
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.circular_id is None:
            plan.circular = circular_create(
                issuer=issuer,
                user=user,
                kind=CircularKind.NOTICE,
                title=f"关于印发《{plan.title}》的通知",
                recipients=recipients,
                body=f"{ISSUING_SENTENCE.format(title=plan.title)}\n# {plan.title}\n{plan_body(plan=plan)}",
                written_on=written_on or timezone.localdate(),
            )
            plan.save(update_fields=["circular"])
    with transaction.atomic():
        try:
            circular = circular_issue(plan.circular_id, user=user)
        except IssuedCircularError:
            return Circular.objects.get(pk=plan.circular_id)
        record(plan, by=user, action=ChangeAction.ISSUED, field="circular", new=circular.number)
    return circular


def plan_circular_link(plan: Plan, circular: Circular, *, user=None) -> Plan:
    """Link a plan to the circular that issued it outside the system (an older plan brought in
    with its number): the plan's history says it was issued with that number."""
    plan.circular = circular
    plan.save(update_fields=["circular"])
    record(plan, by=user, action=ChangeAction.ISSUED, field="circular", new=circular.number)
    return plan


EDITABLE_ITEM_FIELDS = ("title", "text", "category", "deadline")
EDITABLE_ITEM_UNITS = ("lead_units", "assisting_units")


def _unit_names(units) -> list[str]:
    return sorted(str(unit) for unit in units)


@transaction.atomic
def item_update(item: Item, *, user=None, **changes) -> list[Change]:
    """Change an item's fields and units, and write down who changed what."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    diffs = {}
    for name, value in changes.items():
        if name in EDITABLE_ITEM_FIELDS:
            old = getattr(item, name)
            if old != value:
                setattr(item, name, value)
                diffs[name] = (old, value)
        elif name in EDITABLE_ITEM_UNITS:
            manager = getattr(item, name)
            old = set(manager.all())
            if old != set(value):
                manager.set(value)
                diffs[name] = (_unit_names(old), _unit_names(value))
        else:
            raise ValueError(f"{name} is not an editable item field")
    item.full_clean()
    item.save()
    return record_changes(item, diffs, by=user)


def items_added_record(plan: Plan, items: list[Item], *, by=None) -> None:
    """Items added to a plan after its import: created in their own history, added in the plan's."""
    created_record(items, by=by)
    lines_record(plan, field="item_added", values=items, by=by)


@transaction.atomic
def item_delete(item: Item, *, by=None, reason: str = "") -> None:
    """Take an item out of its plan. Soft: an issued plan's circular still names it, its reports
    stay, and restoring it (item_restore) brings it back where it was."""
    item = Item.all_objects.select_for_update().get(pk=item.pk)
    if item.deleted_at is not None:
        return
    soft_delete(item, by=by, reason=reason)
    record(item.plan, by=by, field="item_removed", old=str(item))


@transaction.atomic
def item_restore(item: Item, *, by=None) -> None:
    item = Item.all_objects.select_for_update().get(pk=item.pk)
    if item.deleted_at is None:
        return
    restore(item, by=by)
    record(item.plan, by=by, field="item_added", new=str(item))


def milestone_add(item: Item, *, title: str, due_on: date, user=None) -> Milestone:
    with transaction.atomic():
        milestone = Milestone.objects.create(item=item, title=title, due_on=due_on)
        record(item, by=user, field="milestones", new=f"{title}（{due_on:%Y-%m-%d}）")
    return milestone


def milestone_done(milestone: Milestone, *, done_on: date, user=None) -> Milestone:
    with transaction.atomic():
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        record(
            milestone.item,
            by=user,
            field="milestones",
            old=milestone.title,
            new=f"{milestone.title} ✓ {done_on:%Y-%m-%d}",
        )
    return milestone
