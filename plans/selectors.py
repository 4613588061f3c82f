"""Reads of plans: what a user may see, and each item's status from its deadline and progress.

Status is computed in SQL (an annotation), so lists filter and count by it without loading
rows: 已完成 when the lead units report 100%, 逾期 when the deadline has passed without it,
进行中 once anything is reported, 未开始 before. The traffic light adds "due soon"
(DUE_SOON_DAYS before the deadline) to that.
"""

from datetime import date, timedelta

from django.db.models import Avg, Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.access import scope_by_organisation, scope_by_unit, user_has_role
from sanitation.organisations.models import Role, Unit

from .models import Item, Plan, ProgressReport, Reminder
from .plan_text import chinese_numeral

DUE_SOON_DAYS = 14


class ItemStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"
    LABELS = {
        NOT_STARTED: _("Not started"),
        IN_PROGRESS: _("In progress"),
        DONE: _("Done"),
        OVERDUE: _("Overdue"),
    }
    CHOICES = list(LABELS.items())


class Light:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def plans_visible_to(user) -> QuerySet[Plan]:
    """A plan is published to its whole organisation: every member may read it."""
    return scope_by_organisation(Plan.objects.all(), user, via="issuer")


def with_item_counts(plans: QuerySet[Plan], today: date | None = None) -> QuerySet[Plan]:
    """Each plan's items, done and overdue, counted in the same query (the rules of
    with_status: done at 100%, else overdue past the deadline). Deleted items do not count:
    the join does not go through Item's manager, so it says so itself."""
    today = today or timezone.localdate()
    live = Q(items__deleted_at__isnull=True)
    return plans.annotate(
        item_count=Count("items", filter=live),
        done_count=Count("items", filter=live & Q(items__percent__gte=100)),
        overdue_count=Count("items", filter=live & Q(items__percent__lt=100, items__deadline__lt=today)),
    )


def may_keep_plans(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.SECRETARIAT, Role.CLERK, Role.ADMIN)


def plans_changeable_by(user) -> QuerySet[Plan]:
    """Secretariat, clerks and administrators keep the plans of their organisation."""
    if not may_keep_plans(user):
        return Plan.objects.none()
    return scope_by_unit(Plan.objects.all(), user, via="issuer", change=True)


def with_status(items: QuerySet[Item], today: date | None = None) -> QuerySet[Item]:
    today = today or timezone.localdate()
    reported = Exists(ProgressReport.objects.filter(item=OuterRef("pk")))
    status = Case(
        When(percent__gte=100, then=Value(ItemStatus.DONE)),
        When(deadline__lt=today, then=Value(ItemStatus.OVERDUE)),
        When(Q(percent__gt=0) | Q(reported=True), then=Value(ItemStatus.IN_PROGRESS)),
        default=Value(ItemStatus.NOT_STARTED),
    )
    light = Case(
        When(status=ItemStatus.DONE, then=Value(Light.GREEN)),
        When(status=ItemStatus.OVERDUE, then=Value(Light.RED)),
        When(deadline__lte=today + timedelta(days=DUE_SOON_DAYS), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
    )
    return items.annotate(reported=reported).annotate(status=status).annotate(light=light)


def items_visible_to(user, today: date | None = None) -> QuerySet[Item]:
    items = Item.objects.filter(plan__in=plans_visible_to(user))
    return with_status(items, today).select_related("plan", "chapter", "category")


def items_of_unit(unit: Unit, today: date | None = None) -> dict[str, QuerySet[Item]]:
    """The items a unit leads and those it assists."""
    items = with_status(Item.objects.select_related("plan", "chapter", "category"), today)
    return {
        "leads": items.filter(lead_units=unit).order_by("deadline", "position"),
        "assists": items.filter(assisting_units=unit).exclude(lead_units=unit).order_by("deadline", "position"),
    }


def item_filter(items: QuerySet[Item], *, plan=None, unit=None, category=None, status=None) -> QuerySet[Item]:
    if plan:
        items = items.filter(plan_id=plan)
    if unit:
        items = items.filter(Q(lead_units=unit) | Q(assisting_units=unit)).distinct()
    if category:
        items = items.filter(Q(category_id=category) | Q(category__parent_id=category))
    if status:
        items = items.filter(status=status)
    return items


def units_reporting_for(user, item: Item) -> list[Unit]:
    """The units of the user that lead or assist `item`: those the user may report for."""
    mine = scope_by_unit(Unit.objects.all(), user, via="", change=True)
    involved = Unit.objects.filter(Q(led_items=item) | Q(assisted_items=item))
    return list(mine.filter(pk__in=involved.values("pk")).order_by("path"))


def is_lead(unit: Unit, item: Item) -> bool:
    return item.lead_units.filter(pk=unit.pk).exists()


def _progress_counts() -> dict:
    return {
        "total": Count("id", distinct=True),
        "done": Count("id", filter=Q(status=ItemStatus.DONE), distinct=True),
        "overdue": Count("id", filter=Q(status=ItemStatus.OVERDUE), distinct=True),
        "in_progress": Count("id", filter=Q(status=ItemStatus.IN_PROGRESS), distinct=True),
        "average": Avg("percent"),
    }


def chapter_progress(items: QuerySet[Item]) -> list[dict]:
    """Per chapter: items, done, overdue, in progress and the average percent (one query)."""
    rows = (
        items.order_by()
        .values("chapter_id", "chapter__number", "chapter__title")
        .annotate(**_progress_counts())
        .order_by("chapter__number")
    )
    return [{**row, "label": f"{chinese_numeral(row['chapter__number'])}、"} for row in rows]


def unit_progress(items: QuerySet[Item]) -> list[dict]:
    """Per lead unit, the same figures over the items it leads (one query)."""
    rows = (
        items.order_by()
        .filter(lead_units__isnull=False)
        .values("lead_units__id", "lead_units__name", "lead_units__path")
        .annotate(**_progress_counts())
        .order_by("lead_units__path")
    )
    return list(rows)


def board_items(items: QuerySet[Item]) -> QuerySet[Item]:
    """Items as the board lists them: chapter order, units and acknowledgements prefetched."""
    return (
        items.select_related("chapter", "category")
        .prefetch_related("lead_units", "assisting_units", "acknowledgements")
        .order_by("position")
    )


def plan_units(plan: Plan) -> QuerySet[Unit]:
    """The units that lead or assist an item of the plan still in it. Each side is a subquery of its
    own: joining both link tables multiplies every unit's lead rows by its assisting rows."""
    items = plan.items.all()
    leads = Item.lead_units.through.objects.filter(item__in=items).values("unit_id")
    assists = Item.assisting_units.through.objects.filter(item__in=items).values("unit_id")
    return Unit.objects.filter(Q(pk__in=leads) | Q(pk__in=assists)).order_by("path")


def reminders_of(unit: Unit, limit: int = 20) -> QuerySet[Reminder]:
    """The unit's latest reminders about items still in a plan."""
    reminders = Reminder.objects.filter(unit=unit, item__in=Item.objects.all())
    return reminders.select_related("item__plan")[:limit]
