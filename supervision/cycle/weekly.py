"""The weekly cycle (周报告): a Monday–Sunday week's inspections, problems, rectifications, the
sites nobody visited and the street ranking, with a report page and an unnumbered PDF. See
base.py for what a cycle module offers.

Every number comes from an aggregate query (or street_scores, itself one): the count of
queries does not grow with the district's inspections, rectifications or sites.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from classification import charts
from classification.models import Site

from ..models import Assignment, Inspection, InspectionKind, Problem, Rectification, RectificationState
from ..scores import BLACK, RED, inspection_scores, period_span, street_scores
from .base import ReportDocument, in_document_language
from .daily import (
    INSPECTOR,
    LATE_STATES,
    LIST_SEPARATOR,
    NO_VALUE,
    OVERDUE,
    PROBLEM_TYPE,
    PROBLEMS,
    STREET,
    TYPE_COUNT,
    clerk_name,
    date_text,
    decimal_text,
    district_streets,
    month_day_text,
    share,
    shown,
    street_rows,
    table,
)

NOT_VISITED_DAYS = 30

TITLE = _("Household waste sorting weekly report (week %(week)d of %(year)d, %(start)s–%(end)s)")
RECIPIENTS = _("The streets and the inspection groups of the district sorting office")

DONE_HEADING = pgettext_lazy("cycle report", "Inspections done")
DONE_TEXT = _(
    "This week %(assigned)d site visits were assigned and %(done)d of them done (%(rate)s%%). "
    "%(inspections)d inspections were made of %(sites)d sites, with an average score of %(percent)s%%."
)
BY_KIND_TEXT = _("By kind: %(kinds)s.")
KIND_COUNT = pgettext_lazy("cycle report", "%(kind)s %(count)d")
NOT_VISITED_TEXT = _(
    "%(week)d sites were not inspected this week; %(month)d have not been inspected in the last %(days)d days."
)
NOT_VISITED_ATTACHMENT = _("Sites not inspected in the %(days)d days to %(date)s")
SEE_ATTACHMENT = _("The list is attachment %(number)d.")
NEVER = pgettext_lazy("cycle report", "never")

PROBLEMS_HEADING = pgettext_lazy("cycle report", "Problems found")
PROBLEMS_TEXT = _("This week %(problems)d problems were found; the most frequent: %(top)s.")
PROBLEMS_NONE = _("No problems were found this week.")
TOP_TYPES = 3

RECTIFICATIONS_HEADING = pgettext_lazy("cycle report", "Rectifications")
RECTIFICATIONS_TEXT = _(
    "Of the %(opened)d rectifications opened this week, %(closed)d are closed (%(closed_rate)s%%), "
    "%(on_time)d of them by their deadline (%(on_time_rate)s%%). Of the %(due)d due this week, "
    "%(due_on_time)d were closed by their deadline (%(due_rate)s%%)."
)
OVERDUE_TEXT = _("As of %(date)s, %(count)d rectifications were past their deadline.")
OVERDUE_ATTACHMENT = _("Rectifications past their deadline as of %(date)s")
OVERDUE_NONE = _("As of %(date)s, no rectification was past its deadline.")

RANKING_HEADING = pgettext_lazy("cycle report", "Street ranking")
RANKING_TEXT = _("The streets' scores for the week under the assessment scheme, best first:")
RANKING_NONE = _("No street has a score for the week.")
UP = pgettext_lazy("cycle report", "up %(places)d")
DOWN = pgettext_lazy("cycle report", "down %(places)d")
UNCHANGED = pgettext_lazy("cycle report", "unchanged")
LISTINGS = {RED: pgettext_lazy("cycle report", "Red list"), BLACK: pgettext_lazy("cycle report", "Black list")}

NEXT_WEEK_HEADING = pgettext_lazy("cycle report", "Next week's work")
NEXT_WEEK_TEXT = _(
    "Next week the inspection groups keep to the rotation, re-inspect first the rectifications awaiting "
    "re-inspection and those past their deadline, and visit the sites not inspected in the last 30 days. "
    "The streets put right the overdue problems without delay and report each rectification in the system."
)

ASSIGNED = pgettext_lazy("cycle report", "Assigned")
DONE = pgettext_lazy("cycle report", "Done")
COMPLETION = pgettext_lazy("cycle report", "Done (%)")
INSPECTIONS = pgettext_lazy("cycle report", "Inspections")
NOT_VISITED = pgettext_lazy("cycle report", "Sites not inspected")
SITE = pgettext_lazy("cycle report", "Site")
SHARE = pgettext_lazy("cycle report", "Share (%)")
LAST_INSPECTED = pgettext_lazy("cycle report", "Last inspected")
OPENED = pgettext_lazy("cycle report", "Opened")
CLOSED = pgettext_lazy("cycle report", "Closed")
DUE = pgettext_lazy("cycle report", "Due")
CLOSED_ON_TIME = pgettext_lazy("cycle report", "Closed by the deadline")
DEADLINE = pgettext_lazy("cycle report", "Deadline")
DAYS_LATE = pgettext_lazy("cycle report", "Days late")
RANK = pgettext_lazy("cycle report", "Rank")
SITES_INSPECTED = pgettext_lazy("cycle report", "Sites inspected")
SCORE = pgettext_lazy("cycle report", "Score")
CHANGE = pgettext_lazy("cycle report", "Change")
LISTING = pgettext_lazy("cycle report", "List")
PROBLEMS_BY_TYPE_CHART = pgettext_lazy("cycle report", "Problems by type")
STREET_SCORES_CHART = pgettext_lazy("cycle report", "Street scores")


# The week's numbers --------------------------------------------------------------------------------


def _assignments(*, district, start, end) -> tuple[dict[int, dict], list[dict]]:
    """Assigned and done per street and per clerk. Done: the site was inspected on that day,
    by whoever (the assignment's own link is set only for the assigned day's first inspection)."""
    inspected_that_day = Inspection.objects.filter(site=OuterRef("site_id"), inspected_at__date=OuterRef("day"))
    done = Q(inspection__isnull=False, inspection__deleted_at__isnull=True) | Exists(inspected_that_day)
    rows = Assignment.objects.filter(
        day__gte=start, day__lte=end, site__street__parent=district, site__deleted_at__isnull=True
    )
    by_street = {
        row["site__street_id"]: {"assigned": row["assigned"], "done": row["done"]}
        for row in rows.values("site__street_id")
        .annotate(assigned=Count("pk"), done=Count("pk", filter=done))
        .order_by()
    }
    by_clerk = [
        {"clerk": clerk_name(row), "assigned": row["assigned"], "done": row["done"]}
        for row in rows.values("clerk_id", "clerk__display_name", "clerk__username")
        .annotate(assigned=Count("pk"), done=Count("pk", filter=done))
        .order_by("clerk_id")
    ]
    for clerk in by_clerk:
        clerk["rate"] = share(clerk["done"], clerk["assigned"])
    return by_street, by_clerk


def _rectifications(*, district, start, end, since, until) -> dict[int, dict]:
    """Per street: opened in the week (closed by now, closed by the deadline) and due in the week
    (closed by the deadline); collect() adds those past the deadline as of `end` from their list.

    Two queries, not one with OR: each takes its rows from its own index (the street and the
    opening, the street and the deadline), where an OR makes PostgreSQL read every rectification
    the district ever had."""
    closed = Q(state=RectificationState.CLOSED)
    on_time = closed & Q(closed_at__date__lte=F("deadline"))
    per_street = Rectification.objects.filter(unit__parent=district).values("unit_id").order_by()
    counts = [
        per_street.filter(opened_at__gte=since, opened_at__lt=until).annotate(
            opened=Count("pk"),
            opened_closed=Count("pk", filter=closed),
            opened_closed_on_time=Count("pk", filter=on_time),
        ),
        per_street.filter(deadline__gte=start, deadline__lte=end).annotate(
            due=Count("pk"), due_closed_on_time=Count("pk", filter=on_time)
        ),
    ]
    by_street: dict[int, dict] = defaultdict(dict)
    for rows in counts:
        for row in rows:
            by_street[row.pop("unit_id")].update(row)
    return by_street


def _ranking(*, district, start, end) -> list[dict]:
    """The week's street_scores beside the previous week's: rank change is places gained."""
    week = datetime.timedelta(days=7)
    last_week, this_week = inspection_scores(district=district, periods=[(start - week, end - week), (start, end)])
    previous = {
        score.street.pk: score.rank
        for score in street_scores(district=district, start=start - week, end=end - week, by_inspection=last_week)
    }
    rows = []
    for score in street_scores(district=district, start=start, end=end, by_inspection=this_week):
        before = previous.get(score.street.pk)
        rows.append(
            {
                "rank": score.rank,
                "street": score.street.name,
                "inspections": score.inspections,
                "sites_inspected": score.sites_inspected,
                "inspection_score": decimal_text(score.inspection_score),
                "score": decimal_text(score.total),
                "listing": score.listing,
                "previous_rank": before,
                "change": before - score.rank if before is not None and score.rank is not None else None,
            }
        )
    return rows


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The numbers of the week [start, end]; rectifications as they stand now, lateness as of `end`."""
    since, until = period_span(start, end)
    streets = district_streets(district=district)
    assigned, clerks = _assignments(district=district, start=start, end=end)

    inspections = Inspection.objects.filter(street__parent=district, inspected_at__gte=since, inspected_at__lt=until)
    # Each kind counted per street in the same pass (a kind of inspection no street had is left out).
    kinds = {f"kind_{kind}": Count("pk", filter=Q(kind=kind)) for kind in InspectionKind.values}
    per_street = list(
        inspections.values("street_id")
        .annotate(inspections=Count("pk"), sites=Count("site_id", distinct=True), percent=Sum("percent"), **kinds)
        .order_by()
    )
    inspected = {
        row["street_id"]: {"inspections": row["inspections"], "sites_inspected": row["sites"]} for row in per_street
    }
    # The district's totals from the streets' (a site lies in one street): one pass, not two.
    count = sum(row["inspections"] for row in per_street)
    totals = {
        "count": count,
        "sites": sum(row["sites"] for row in per_street),
        "average": sum(row["percent"] for row in per_street) / count if count else None,
    }
    counted_kinds = {kind: sum(row[f"kind_{kind}"] for row in per_street) for kind in InspectionKind.values}
    by_kind = [{"kind": kind, "count": count} for kind, count in counted_kinds.items() if count]

    problems = Problem.objects.filter(
        inspection__street__parent=district,
        inspection__inspected_at__gte=since,
        inspection__inspected_at__lt=until,
        inspection__deleted_at__isnull=True,
    )
    # By type and by street from one pass over the week's problems (street × type).
    types, problems_by_street = {}, defaultdict(lambda: {"problems": 0})
    for row in (
        problems.values("inspection__street_id", "problem_type_id", "problem_type__name", "problem_type__order")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        kind = (row["problem_type__order"], row["problem_type_id"])
        types.setdefault(kind, {"type": row["problem_type__name"], "count": 0})["count"] += row["count"]
        problems_by_street[row["inspection__street_id"]]["problems"] += row["count"]
    problems_by_type = [types[kind] for kind in sorted(types, key=lambda kind: (-types[kind]["count"], *kind))]
    problem_total = sum(row["count"] for row in problems_by_type)
    for row in problems_by_type:
        row["share"] = share(row["count"], problem_total)

    rectifications = _rectifications(district=district, start=start, end=end, since=since, until=until)
    late_rows = list(
        Rectification.objects.filter(unit__parent=district, state__in=LATE_STATES, deadline__lt=end)
        .values("unit_id", "unit__name", "site__name", "problem__problem_type__name", "deadline")
        .order_by("unit__sort_order", "unit__path", "deadline", "site__name", "pk")
    )
    for row in late_rows:  # the list counts the streets' overdue: no second query for the number
        counts = rectifications.setdefault(row["unit_id"], {})
        counts["overdue"] = counts.get("overdue", 0) + 1
    overdue = [
        {
            "street": row["unit__name"],
            "site": row["site__name"],
            "problem_type": row["problem__problem_type__name"],
            "deadline": row["deadline"].isoformat(),
            "days_late": (end - row["deadline"]).days,
        }
        for row in late_rows
    ]

    sites = Site.objects.filter(street__parent=district, street__is_active=True)

    def inspected_since(moment):
        return Inspection.objects.filter(site=OuterRef("pk"), inspected_at__gte=moment, inspected_at__lt=until)

    visited_week = Exists(inspected_since(since))
    not_visited_week = {
        row["street_id"]: {"sites": row["sites"], "not_visited": row["not_visited"]}
        for row in sites.values("street_id")
        .annotate(sites=Count("pk"), not_visited=Count("pk", filter=~visited_week))
        .order_by()
    }
    month_since, _month_until = period_span(end - datetime.timedelta(days=NOT_VISITED_DAYS - 1), end)
    not_visited_month = [
        {
            "street": row["street__name"],
            "site": row["name"],
            "last_inspected": timezone.localdate(row["last_at"]).isoformat() if row["last_at"] else None,
        }
        for row in sites.filter(~Exists(inspected_since(month_since)))
        .annotate(
            last_at=Max(
                "inspections__inspected_at",
                filter=Q(inspections__inspected_at__lt=until, inspections__deleted_at__isnull=True),
            )
        )
        .values("street__name", "name", "last_at")
        .order_by("street__sort_order", "street__path", "name")
    ]
    not_visited_month_by_street = defaultdict(int)
    for row in not_visited_month:
        not_visited_month_by_street[row["street"]] += 1

    zero = {
        "assigned": 0,
        "done": 0,
        "inspections": 0,
        "sites_inspected": 0,
        "problems": 0,
        "sites": 0,
        "not_visited": 0,
        "opened": 0,
        "opened_closed": 0,
        "opened_closed_on_time": 0,
        "due": 0,
        "due_closed_on_time": 0,
        "overdue": 0,
    }
    merged: dict[int, dict] = defaultdict(dict)
    for source in (assigned, inspected, problems_by_street, not_visited_week, rectifications):
        for street_id, values in source.items():
            merged[street_id].update(values)
    street_list = street_rows(streets, merged, zero)
    for row in street_list:
        row["rate"] = share(row["done"], row["assigned"])
        row["not_visited_30_days"] = not_visited_month_by_street[row["street"]]

    def total(key: str) -> int:
        return sum(row[key] for row in street_list)

    year, week, _weekday = start.isocalendar()
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "year": year,
        "week": week,
        "assignments": {
            "assigned": total("assigned"),
            "done": total("done"),
            "rate": share(total("done"), total("assigned")),
        },
        "clerks": clerks,
        "inspections": {
            "count": totals["count"],
            "sites": totals["sites"],
            "average_percent": decimal_text(totals["average"]),
        },
        "inspections_by_kind": by_kind,
        "problems": {"count": problem_total},
        "problems_by_type": problems_by_type,
        "rectifications": {
            "opened": total("opened"),
            "opened_closed": total("opened_closed"),
            "opened_closed_on_time": total("opened_closed_on_time"),
            "closed_rate": share(total("opened_closed"), total("opened")),
            "on_time_rate": share(total("opened_closed_on_time"), total("opened")),
            "due": total("due"),
            "due_closed_on_time": total("due_closed_on_time"),
            "due_on_time_rate": share(total("due_closed_on_time"), total("due")),
        },
        "overdue": overdue,
        "not_visited": {"week": total("not_visited"), "days": NOT_VISITED_DAYS, "long": len(not_visited_month)},
        "not_visited_long": not_visited_month,
        "streets": street_list,
        "ranking": _ranking(district=district, start=start, end=end),
    }


# The week's document -------------------------------------------------------------------------------


def _change_text(change: int | None) -> str:
    if change is None:
        return NO_VALUE
    if change > 0:
        return str(UP) % {"places": change}
    if change < 0:
        return str(DOWN) % {"places": -change}
    return str(UNCHANGED)


def _figures(data: dict) -> dict[str, str]:
    figures = {}
    if data["problems_by_type"]:
        figures["problems-by-type"] = charts.horizontal_bar_chart(
            title=str(PROBLEMS_BY_TYPE_CHART),
            bars=[(row["type"], row["count"]) for row in data["problems_by_type"]],
            unit="",
        )
    scored = [row for row in data["ranking"] if row["score"] is not None]
    if scored:
        figures["street-scores"] = charts.bar_chart(
            title=str(STREET_SCORES_CHART), bars=[(row["street"], float(row["score"])) for row in scored]
        )
    return figures


def _done_section(data: dict, attach) -> list[str]:
    done, inspections = data["assignments"], data["inspections"]
    lines = [f"一、{DONE_HEADING}"]
    lines.append(
        str(DONE_TEXT)
        % {
            "assigned": done["assigned"],
            "done": done["done"],
            "rate": shown(done["rate"]),
            "inspections": inspections["count"],
            "sites": inspections["sites"],
            "percent": shown(inspections["average_percent"]),
        }
    )
    if data["inspections_by_kind"]:
        labels = dict(InspectionKind.choices)
        kinds = str(LIST_SEPARATOR).join(
            str(KIND_COUNT) % {"kind": labels[row["kind"]], "count": row["count"]}
            for row in data["inspections_by_kind"]
        )
        lines.append(str(BY_KIND_TEXT) % {"kinds": kinds})
    lines += table(
        [STREET, ASSIGNED, DONE, COMPLETION, INSPECTIONS, NOT_VISITED],
        [
            [r["street"], r["assigned"], r["done"], shown(r["rate"]), r["inspections"], r["not_visited"]]
            for r in data["streets"]
        ],
    )
    if data["clerks"]:
        lines += table(
            [INSPECTOR, ASSIGNED, DONE, COMPLETION],
            [[c["clerk"], c["assigned"], c["done"], shown(c["rate"])] for c in data["clerks"]],
        )
    not_visited = data["not_visited"]
    text = str(NOT_VISITED_TEXT) % {
        "week": not_visited["week"],
        "month": not_visited["long"],
        "days": not_visited["days"],
    }
    if data["not_visited_long"]:
        number = attach(
            str(NOT_VISITED_ATTACHMENT) % {"days": not_visited["days"], "date": date_text(data["end"])},
            table(
                [STREET, SITE, LAST_INSPECTED],
                [
                    [r["street"], r["site"], date_text(r["last_inspected"]) if r["last_inspected"] else str(NEVER)]
                    for r in data["not_visited_long"]
                ],
            ),
        )
        text += " " + str(SEE_ATTACHMENT) % {"number": number}
    lines.append(text)
    return lines


def _problems_section(data: dict) -> list[str]:
    lines = [f"二、{PROBLEMS_HEADING}"]
    if not data["problems_by_type"]:
        return [*lines, str(PROBLEMS_NONE)]
    top = str(LIST_SEPARATOR).join(
        str(TYPE_COUNT) % {"type": row["type"], "count": row["count"]} for row in data["problems_by_type"][:TOP_TYPES]
    )
    lines.append(str(PROBLEMS_TEXT) % {"problems": data["problems"]["count"], "top": top})
    lines.append("[[figure:problems-by-type]]")
    lines += table(
        [PROBLEM_TYPE, PROBLEMS, SHARE], [[r["type"], r["count"], shown(r["share"])] for r in data["problems_by_type"]]
    )
    lines += table([STREET, PROBLEMS], [[r["street"], r["problems"]] for r in data["streets"]])
    return lines


def _rectifications_section(data: dict, end_text: str, attach) -> list[str]:
    figures = data["rectifications"]
    lines = [f"三、{RECTIFICATIONS_HEADING}"]
    lines.append(
        str(RECTIFICATIONS_TEXT)
        % {
            "opened": figures["opened"],
            "closed": figures["opened_closed"],
            "closed_rate": shown(figures["closed_rate"]),
            "on_time": figures["opened_closed_on_time"],
            "on_time_rate": shown(figures["on_time_rate"]),
            "due": figures["due"],
            "due_on_time": figures["due_closed_on_time"],
            "due_rate": shown(figures["due_on_time_rate"]),
        }
    )
    lines += table(
        [STREET, OPENED, CLOSED, DUE, CLOSED_ON_TIME, OVERDUE],
        [
            [r["street"], r["opened"], r["opened_closed"], r["due"], r["due_closed_on_time"], r["overdue"]]
            for r in data["streets"]
        ],
    )
    if not data["overdue"]:
        return [*lines, str(OVERDUE_NONE) % {"date": end_text}]
    number = attach(
        str(OVERDUE_ATTACHMENT) % {"date": end_text},
        table(
            [STREET, SITE, PROBLEM_TYPE, DEADLINE, DAYS_LATE],
            [
                [r["street"], r["site"], r["problem_type"], date_text(r["deadline"]), r["days_late"]]
                for r in data["overdue"]
            ],
        ),
    )
    lines.append(
        str(OVERDUE_TEXT) % {"date": end_text, "count": len(data["overdue"])}
        + " "
        + str(SEE_ATTACHMENT) % {"number": number}
    )
    return lines


def _ranking_section(data: dict) -> list[str]:
    lines = [f"四、{RANKING_HEADING}"]
    ranked = [row for row in data["ranking"] if row["score"] is not None]
    if not ranked:
        return [*lines, str(RANKING_NONE)]
    lines.append(str(RANKING_TEXT))
    lines.append("[[figure:street-scores]]")
    lines += table(
        [RANK, STREET, INSPECTIONS, SITES_INSPECTED, SCORE, CHANGE, LISTING],
        [
            [
                shown(r["rank"]),
                r["street"],
                r["inspections"],
                r["sites_inspected"],
                shown(r["score"]),
                _change_text(r["change"]),
                str(LISTINGS[r["listing"]]) if r["listing"] else "",
            ]
            for r in data["ranking"]
        ],
    )
    return lines


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    """生活垃圾分类工作周报: five sections with tables and two charts, the long lists (overdue
    rectifications, sites not visited in 30 days) as attachments; not numbered."""
    attachments: list[tuple[str, list[str]]] = []

    def attach(title: str, lines: list[str]) -> int:
        attachments.append((title, lines))
        return len(attachments)

    with in_document_language():
        lines = [
            *_done_section(data, attach),
            *_problems_section(data),
            *_rectifications_section(data, date_text(end), attach),
            *_ranking_section(data),
            f"五、{NEXT_WEEK_HEADING}",
            str(NEXT_WEEK_TEXT),
        ]
        title = str(TITLE) % {
            "week": data["week"],
            "year": data["year"],
            "start": month_day_text(start),
            "end": month_day_text(end),
        }
        for attachment_title, attachment_lines in attachments:
            # "# title" opens an attachment on a new page (the documents app's body format).
            lines += [f"# {attachment_title}", *attachment_lines]
        return ReportDocument(
            title=title,
            recipients=str(RECIPIENTS),
            body="\n".join(lines),
            figures=_figures(data),
            attachments="\n".join(attachment_title for attachment_title, _lines in attachments),
        )
