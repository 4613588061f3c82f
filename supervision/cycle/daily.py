"""The daily cycle (日督查): the day's assignments, the deadlines that passed, and a one-to-two page
summary for the office's inspection groups. See base.py for what a cycle module offers.

The numbers come from aggregate queries: the count of queries does not grow with the
district's inspections or rectifications.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sanitation.organisations.models import Unit, UnitKind

from .. import rotation
from ..models import (
    OPEN_STATES,
    Assignment,
    Inspection,
    Problem,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
)
from ..rectifications import CAN_BE_OVERDUE, rectifications_mark_overdue
from ..scores import period_span
from . import delivery
from .base import NO_VALUE, ReportDocument, body_table, in_document_language

TWO_PLACES = Decimal("0.01")
# Open and past their deadline, whether or not the morning's marking has run yet: awaiting
# re-inspection is the office's turn, so it is never the unit's delay.
LATE_STATES = (*CAN_BE_OVERDUE, RectificationState.OVERDUE)

# Dates in document text: the translation gives the office's form (2026年11月16日, 11月16日).
DATE = _("%(year)d-%(month)02d-%(day)02d")
MONTH_DAY = _("%(month)02d-%(day)02d")
NONE = pgettext_lazy("cycle report", "None.")

TITLE = _("%(district)s household waste sorting daily inspection (%(date)s)")
RECIPIENTS = _("The inspection groups of the district sorting office")
YESTERDAY_HEADING = pgettext_lazy("cycle report", "Inspections of %(date)s")
YESTERDAY_TEXT = _(
    "On %(date)s the inspection groups made %(inspections)d inspections of %(sites)d sites, with an "
    "average score of %(percent)s%%, and found %(problems)d problems."
)
BY_TYPE_TEXT = _("By type: %(types)s.")
TYPE_COUNT = pgettext_lazy("cycle report", "%(type)s %(count)d")
YESTERDAY_NONE = _("No inspections were recorded on %(date)s.")
TODAY_HEADING = pgettext_lazy("cycle report", "Today's inspections")
TODAY_TEXT = _("Today %(sites)d sites are to be inspected by %(clerks)d inspectors:")
TODAY_NONE = _("No inspections are planned for today.")
BY_STREET_HEADING = pgettext_lazy("cycle report", "By street")
RECTIFICATIONS_TEXT = _(
    "As of %(date)s, %(open)d rectifications are not closed, of which %(overdue)d are past their deadline "
    "and %(awaiting)d await re-inspection."
)

PROBLEM_TYPE = pgettext_lazy("cycle report", "Problem type")
PROBLEMS = pgettext_lazy("cycle report", "Problems")
INSPECTOR = pgettext_lazy("cycle report", "Inspector")
SITES = pgettext_lazy("cycle report", "Sites")
STREETS = pgettext_lazy("cycle report", "Streets")
STREET = pgettext_lazy("cycle report", "Street")
INSPECTIONS_YESTERDAY = pgettext_lazy("cycle report", "Inspections yesterday")
PROBLEMS_YESTERDAY = pgettext_lazy("cycle report", "Problems yesterday")
OPEN = pgettext_lazy("cycle report", "Not closed")
OVERDUE = pgettext_lazy("cycle report", "Overdue")
AWAITING = pgettext_lazy("cycle report", "Awaiting re-inspection")
LIST_SEPARATOR = pgettext_lazy("list separator", ", ")


# Helpers the weekly module shares -----------------------------------------------------------


def decimal_text(value) -> str | None:
    """A Decimal for the data (JSON): two places as a string, None stays None."""
    if value is None:
        return None
    return str(Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> str | None:
    """part / whole as a percentage with two places, None when there is nothing to divide."""
    if not whole:
        return None
    return decimal_text(Decimal(part) * 100 / Decimal(whole))


def shown(value) -> str:
    return NO_VALUE if value is None else str(value)


def date_text(day: datetime.date | str) -> str:
    day = datetime.date.fromisoformat(day) if isinstance(day, str) else day
    return str(DATE) % {"year": day.year, "month": day.month, "day": day.day}


def month_day_text(day: datetime.date | str) -> str:
    day = datetime.date.fromisoformat(day) if isinstance(day, str) else day
    return str(MONTH_DAY) % {"month": day.month, "day": day.day}


def table(header: list, rows: list[list]) -> list[str]:
    """Body lines of a table with a header row, or the 'None.' paragraph when there are no rows."""
    return body_table(header, rows) if rows else [str(NONE)]


def district_streets(*, district) -> list[Unit]:
    """The district's streets in their order (the order of street_scores)."""
    return list(Unit.objects.filter(parent=district, kind=UnitKind.STREET).order_by("sort_order", "path"))


def street_rows(streets: list[Unit], values: dict[int, dict], zero: dict) -> list[dict]:
    """One row per street, zeros where it had nothing; a street no longer in use only if it had something."""
    rows = []
    for street in streets:
        found = values.get(street.pk)
        if found is None and not street.is_active:
            continue
        rows.append({"street": street.name, **zero, **(found or {})})
    return rows


def clerk_name(row: dict, prefix: str = "clerk__") -> str:
    return row[f"{prefix}display_name"] or row[f"{prefix}username"]


# The day's writes ----------------------------------------------------------------------------------


def _newly_overdue(*, district, day: datetime.date, since: datetime.datetime):
    """The district's rectifications still overdue that were marked so on `day`, or by the marking
    that just ran (its events carry the real time, not `day`, when a past day is run). Marking is
    district-blind: another district's run may have marked ours earlier in the day, and our units
    are still to be reminded. Each row says whether this call marked it (`marked_now`)."""
    day_since, day_until = period_span(day, day)
    marked = RectificationEvent.objects.filter(action=RectificationAction.OVERDUE)
    return (
        Rectification.objects.filter(
            site__street__parent=district,
            state=RectificationState.OVERDUE,
            pk__in=marked.filter(Q(at__gte=day_since, at__lt=day_until) | Q(at__gte=since)).values("rectification_id"),
        )
        .annotate(marked_now=Exists(marked.filter(rectification=OuterRef("pk"), at__gte=since)))
        .select_related("unit", "site", "problem__problem_type")
        .order_by("unit_id", "deadline", "pk")
    )


@transaction.atomic
def prepare(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The writes of the day before collecting: plan the day's assignments, mark overdue
    rectifications as of the day and remind their units' staff. Idempotent: a day's plan stands
    once made, the marking finds nothing the second time, and delivery reminds a unit once a day.
    Returns counts: assignments (of the day), assignments_created, overdue_marked (by this call, in
    the district), newly_overdue (marked on the day, by whichever run), notified (people)."""
    day = start
    planned_before = Assignment.objects.filter(
        day=day, site__street__parent=district, site__deleted_at__isnull=True
    ).count()
    marking_since = timezone.now()
    assignments = rotation.assignments_plan(district=district, day=day)
    rectifications_mark_overdue(today=day)
    newly_overdue = list(_newly_overdue(district=district, day=day, since=marking_since))
    # Delivery reminds a unit once per day named: a second run for the day reminds nobody again.
    notified = delivery.overdue_units_notify(rectifications=newly_overdue, day=day) if newly_overdue else 0
    return {
        "assignments": len(assignments),
        "assignments_created": len(assignments) - planned_before,
        "overdue_marked": sum(1 for rectification in newly_overdue if rectification.marked_now),
        "newly_overdue": len(newly_overdue),
        "notified": notified,
    }


# The day's numbers ---------------------------------------------------------------------------------


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    """Yesterday's inspections, today's assignments per clerk, and the rectifications as they
    stand (open, past their deadline as of the day, awaiting re-inspection), per street."""
    day = start
    yesterday = day - datetime.timedelta(days=1)
    since, until = period_span(yesterday, yesterday)
    streets = district_streets(district=district)

    inspections = Inspection.objects.filter(street__parent=district, inspected_at__gte=since, inspected_at__lt=until)
    totals = inspections.aggregate(count=Count("pk"), sites=Count("site_id", distinct=True), average=Avg("percent"))
    inspected = {
        row["street_id"]: {"inspections": row["inspections"], "problems": row["problems"]}
        for row in inspections.values("street_id")
        .annotate(inspections=Count("pk"), problems=Coalesce(Sum("problem_count"), 0))
        .order_by()
    }
    problems_by_type = [
        {"type": row["problem_type__name"], "count": row["count"]}
        for row in Problem.objects.filter(
            inspection__street__parent=district,
            inspection__inspected_at__gte=since,
            inspection__inspected_at__lt=until,
            inspection__deleted_at__isnull=True,
        )
        .values("problem_type_id", "problem_type__name", "problem_type__order")
        .annotate(count=Count("pk"))
        .order_by("-count", "problem_type__order", "problem_type_id")
    ]

    clerks: dict[int, dict] = {}
    for row in (
        Assignment.objects.filter(day=day, site__street__parent=district, site__deleted_at__isnull=True)
        .values(
            "clerk_id",
            "clerk__display_name",
            "clerk__username",
            "site__street_id",
            "site__street__name",
            "site__street__sort_order",
            "site__street__path",
        )
        .annotate(sites=Count("pk"))
        .order_by("clerk_id", "site__street__sort_order", "site__street__path")
    ):
        clerk = clerks.setdefault(row["clerk_id"], {"clerk": clerk_name(row), "sites": 0, "streets": []})
        clerk["sites"] += row["sites"]
        clerk["streets"].append(row["site__street__name"])

    rectifications = Rectification.objects.filter(unit__parent=district, state__in=OPEN_STATES)
    standing = {
        row["unit_id"]: {k: row[k] for k in ("open", "overdue", "awaiting_review")}
        for row in rectifications.values("unit_id")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(state__in=LATE_STATES, deadline__lt=day)),
            awaiting_review=Count("pk", filter=Q(state=RectificationState.AWAITING_REVIEW)),
        )
        .order_by()
    }
    awaiting = (
        rectifications.filter(state=RectificationState.AWAITING_REVIEW)
        .annotate(
            since=Coalesce(
                Max("events__at", filter=Q(events__to_state=RectificationState.AWAITING_REVIEW)), F("opened_at")
            )
        )
        .values("pk", "site__street__name", "site__name", "problem__problem_type__name", "since")
        .order_by("since", "pk")
    )

    zero = {"inspections": 0, "problems": 0, "open": 0, "overdue": 0, "awaiting_review": 0}
    merged = defaultdict(dict)
    for source in (inspected, standing):
        for street_id, values in source.items():
            merged[street_id].update(values)
    street_list = street_rows(streets, merged, zero)
    return {
        "day": day.isoformat(),
        "yesterday": yesterday.isoformat(),
        "inspections": {
            "count": totals["count"],
            "sites": totals["sites"],
            "average_percent": decimal_text(totals["average"]),
            "problems": sum(row["count"] for row in problems_by_type),
        },
        "problems_by_type": problems_by_type,
        "assignments": {"sites": sum(c["sites"] for c in clerks.values()), "clerks": len(clerks)},
        "clerks": list(clerks.values()),
        "rectifications": {key: sum(row[key] for row in street_list) for key in ("open", "overdue", "awaiting_review")},
        "streets": street_list,
        "awaiting_review": [
            {
                "street": row["site__street__name"],
                "site": row["site__name"],
                "problem_type": row["problem__problem_type__name"],
                "since": timezone.localdate(row["since"]).isoformat(),
            }
            for row in awaiting
        ],
    }


# The day's document --------------------------------------------------------------------------------


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    """日督查情况 in two pages at most: yesterday's inspections, today's plan, and by street yesterday's
    inspections beside the rectifications not closed, overdue and awaiting re-inspection (the list
    of those is on the report page)."""
    with in_document_language():
        yesterday = date_text(data["yesterday"])
        totals = data["inspections"]
        lines = [f"一、{YESTERDAY_HEADING % {'date': yesterday}}"]
        if totals["count"]:
            lines.append(
                str(YESTERDAY_TEXT)
                % {
                    "date": yesterday,
                    "inspections": totals["count"],
                    "sites": totals["sites"],
                    "percent": shown(totals["average_percent"]),
                    "problems": totals["problems"],
                }
            )
            if data["problems_by_type"]:
                # Inline, not a table: the summary has to stay within two pages of the official layout.
                types = str(LIST_SEPARATOR).join(
                    str(TYPE_COUNT) % {"type": row["type"], "count": row["count"]} for row in data["problems_by_type"]
                )
                lines.append(str(BY_TYPE_TEXT) % {"types": types})
        else:
            lines.append(str(YESTERDAY_NONE) % {"date": yesterday})

        lines.append(f"二、{TODAY_HEADING}")
        if data["clerks"]:
            lines.append(str(TODAY_TEXT) % {"sites": data["assignments"]["sites"], "clerks": len(data["clerks"])})
            lines += table(
                [INSPECTOR, SITES, STREETS],
                [[c["clerk"], c["sites"], str(LIST_SEPARATOR).join(c["streets"])] for c in data["clerks"]],
            )
        else:
            lines.append(str(TODAY_NONE))

        standing = data["rectifications"]
        lines.append(f"三、{BY_STREET_HEADING}")
        lines.append(
            str(RECTIFICATIONS_TEXT)
            % {
                "date": date_text(data["day"]),
                "open": standing["open"],
                "overdue": standing["overdue"],
                "awaiting": standing["awaiting_review"],
            }
        )
        lines += table(
            [STREET, INSPECTIONS_YESTERDAY, PROBLEMS_YESTERDAY, OPEN, OVERDUE, AWAITING],
            [
                [r["street"], r["inspections"], r["problems"], r["open"], r["overdue"], r["awaiting_review"]]
                for r in data["streets"]
            ],
        )

        return ReportDocument(
            title=str(TITLE) % {"district": district.name, "date": date_text(start)},
            recipients=str(RECIPIENTS),
            body="\n".join(lines),
        )
