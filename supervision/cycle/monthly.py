"""The monthly cycle (月调度): its numbers and its document. See base.py for what a cycle module offers.

The dispatch looks at the month as of its last day: the plan items of the district's plans of that
year by lead unit (done, done on time, late, in progress, not started), their indicators against
their targets, the district's coverage and kitchen-waste separation rates, the month's inspections
and street ranking, and what is past its deadline (rectifications and plan items) with the units
that answer for it. It ends in a numbered 调度通报.

Every figure is read in a constant number of queries, whatever the number of items, indicators,
inspections or rectifications: the only per-row work is an indicator provider's computation, which
is done once per (provider, plan), not per indicator.
"""

import datetime
from collections import Counter
from decimal import Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from classification import charts
from classification.campaign import campaign_of, coverage_of_district
from classification.models import CollectionRecord
from classification.rates import records_in_period, separation_rates
from plans import indicators as plan_indicators
from plans.models import Indicator, Item, Plan, ProgressReport
from plans.selectors import ItemStatus
from sanitation.organisations.models import Unit

from ..models import Inspection, Problem, Rectification, RectificationState
from ..scores import BLACK, RED, period_span, street_scores
from .base import ReportDocument, body_table

TOP_PROBLEM_TYPES = 5
# The document lists this many overdue rectifications and late items; the data keeps them all.
LISTED_IN_DOCUMENT = 30
CENT = Decimal("0.01")


# Collecting ----------------------------------------------------------------------------------------


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The month's numbers, JSON-able (decimals as strings, dates in ISO form)."""
    items = _district_items(district=district, end=end)
    inspections = _inspections(district=district, start=start, end=end)
    ranking = street_scores(district=district, start=start, end=end)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(), "year": start.year, "month": start.month},
        "district": {"id": district.pk, "name": district.name},
        "plans": _plans(items),
        "items": _item_totals(items, end=end),
        "units": _unit_progress(items, district=district, end=end),
        "indicators": _indicators(items, end=end),
        "rates": _rates(district=district, start=start, end=end),
        "inspections": _inspection_totals(inspections),
        "problems_by_type": _problems_by_type(inspections),
        "ranking": [
            {
                "street_id": score.street.pk,
                "street": score.street.name,
                "rank": score.rank,
                "total": _text(score.total),
                "inspection_score": _text(score.inspection_score),
                "inspections": score.inspections,
                "sites": score.sites_inspected,
                "listing": score.listing,
            }
            for score in ranking
        ],
        "red_list": [score.street.name for score in ranking if score.listing == RED],
        "black_list": [score.street.name for score in ranking if score.listing == BLACK],
        "overdue_rectifications": _overdue_rectifications(district=district, start=start, end=end),
        "overdue_items": _overdue_items(items, end=end),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def _district_items(*, district, end: datetime.date):
    """The items of that year's plans that concern the district: every item of a plan issued inside
    the district, and the items led by a unit of the district in any other plan (a city or
    association plan that hands the district part of its work)."""
    inside = district.path
    concerned = Item.objects.filter(
        Q(plan__issuer__path__startswith=inside) | Q(lead_units__path__startswith=inside)
    ).values("pk")
    return Item.objects.filter(plan__year=end.year, pk__in=concerned)


def _state_annotations(*, end: datetime.date, prefix: str = "") -> dict:
    """An item's state as of `end`, with the rules of plans.selectors.with_status (done at 100 %,
    else late past the deadline, in progress once reported, not started), except that an item
    completed after `end` was not done yet then, and a report counts from the month it is about.
    Annotates `reported`, `state` and `on_time`; `prefix` reaches the item from another model."""

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{key}": value for key, value in lookups.items()})

    done = q(percent__gte=100) & (q(completed_on__isnull=True) | q(completed_on__lte=end))
    # Done without a completion date (set before dates were kept): on time only when the deadline
    # had not passed by `end`, since nothing says it was done earlier.
    on_time = done & (
        q(deadline__isnull=True)
        | q(completed_on__lte=F(f"{prefix}deadline"))
        | (q(completed_on__isnull=True) & q(deadline__gte=end))
    )
    return {
        "reported": Exists(ProgressReport.objects.filter(item=OuterRef(f"{prefix}pk"), month__lte=end)),
        "state": Case(
            When(done, then=Value(ItemStatus.DONE)),
            When(q(deadline__lt=end), then=Value(ItemStatus.OVERDUE)),
            When(Q(reported=True) | q(percent__gt=0), then=Value(ItemStatus.IN_PROGRESS)),
            default=Value(ItemStatus.NOT_STARTED),
            output_field=CharField(),
        ),
        "on_time": Case(When(on_time, then=Value(True)), default=Value(False), output_field=BooleanField()),
    }


def _state_counts(key: str) -> dict:
    return {
        "total": Count(key, distinct=True),
        "done": Count(key, filter=Q(state=ItemStatus.DONE), distinct=True),
        "done_on_time": Count(key, filter=Q(state=ItemStatus.DONE, on_time=True), distinct=True),
        "late": Count(key, filter=Q(state=ItemStatus.OVERDUE), distinct=True),
        "in_progress": Count(key, filter=Q(state=ItemStatus.IN_PROGRESS), distinct=True),
        "not_started": Count(key, filter=Q(state=ItemStatus.NOT_STARTED), distinct=True),
    }


def _plans(items) -> list[dict]:
    plans = Plan.objects.filter(pk__in=items.values("plan_id")).select_related("issuer").order_by("issuer__path", "pk")
    return [{"id": plan.pk, "title": plan.title, "year": plan.year, "issuer": plan.issuer.name} for plan in plans]


def _item_totals(items, *, end: datetime.date) -> dict:
    return items.annotate(**_state_annotations(end=end)).aggregate(**_state_counts("pk"))


def _unit_progress(items, *, district, end: datetime.date) -> list[dict]:
    """Per lead unit, its items by state (one query). In another issuer's plan only the district's
    own units answer here; in the district's plans every lead unit does."""
    leads = Item.lead_units.through.objects.filter(item__in=items).filter(
        Q(unit__path__startswith=district.path) | Q(item__plan__issuer__path__startswith=district.path)
    )
    rows = (
        leads.annotate(**_state_annotations(end=end, prefix="item__"))
        .values("unit_id", "unit__name", "unit__path")
        .annotate(**_state_counts("item_id"))
        .order_by("unit__path")
    )
    return [
        {
            "unit_id": row["unit_id"],
            "unit": row["unit__name"],
            **{key: row[key] for key in ("total", "done", "done_on_time", "late", "in_progress", "not_started")},
        }
        for row in rows
    ]


def _indicators(items, *, end: datetime.date) -> list[dict]:
    """Each indicator of the items with its actual value as of `end`: a computed indicator is
    computed again for `end` without being saved (indicator_refresh would write, and a report on a
    past month must not change today's value); an entered one keeps what was typed."""
    indicators = (
        Indicator.objects.filter(item__in=items)
        .select_related("item__plan__issuer", "item__chapter")
        .order_by("item__plan_id", "item__position", "pk")
    )
    computed: dict[tuple[str, int], Decimal | None] = {}
    rows = []
    for indicator in indicators:
        provider = plan_indicators._providers.get(indicator.provider) if indicator.provider else None
        if provider is not None:
            # The providers measure the plan's district or organisation, never the single indicator,
            # so one computation per provider and plan serves all of that plan's indicators.
            key = (provider.key, indicator.item.plan_id)
            if key not in computed:
                value = provider.compute(indicator, end)
                computed[key] = None if value is None else Decimal(value).quantize(CENT)
            actual = computed[key]
        else:
            actual = indicator.actual_value
        rows.append(
            {
                "id": indicator.pk,
                "item_id": indicator.item_id,
                "item": str(indicator.item),
                "name": indicator.name,
                "target": _text(indicator.target_value),
                "actual": _text(actual),
                "unit": indicator.unit,
                "due": indicator.due_on.isoformat() if indicator.due_on else None,
                "computed": provider is not None,
                "met": None if actual is None else actual >= indicator.target_value,
            }
        )
    return rows


def _rates(*, district, start: datetime.date, end: datetime.date) -> dict:
    """Coverage on the month's last day (over the year's campaign targets, as the campaign page
    counts it) and the month's kitchen-waste separation rate (分出率) from the collection ledger."""
    coverage = coverage_of_district(district=district, on=end, campaign=campaign_of(district=district, on=end))
    records = records_in_period(
        CollectionRecord.objects.filter(street__path__startswith=district.path), start=start, end=end
    )
    rows = separation_rates(records, by="district")
    month = rows[0] if rows else None
    return {
        "coverage": _text(coverage),
        "separation": _text(month.separation_rate) if month else None,
        "kitchen_t": str(month.kitchen_t) if month else None,
        "total_t": str(month.total_t) if month else None,
    }


def _inspections(*, district, start: datetime.date, end: datetime.date):
    since, until = period_span(start, end)
    return Inspection.objects.filter(street__parent=district, inspected_at__gte=since, inspected_at__lt=until)


def _inspection_totals(inspections) -> dict:
    totals = inspections.aggregate(count=Count("pk"), sites=Count("site_id", distinct=True), average=Avg("percent"))
    return {
        "count": totals["count"],
        "sites": totals["sites"],
        "average": _text(Decimal(totals["average"])) if totals["average"] is not None else None,
        "problems": Problem.objects.filter(inspection__in=inspections).count(),
    }


def _problems_by_type(inspections) -> list[dict]:
    rows = (
        Problem.objects.filter(inspection__in=inspections)
        .order_by()
        .values("problem_type__name", "problem_type__order")
        .annotate(count=Count("pk"))
        .order_by("-count", "problem_type__order", "problem_type__name")[:TOP_PROBLEM_TYPES]
    )
    return [{"type": row["problem_type__name"], "count": row["count"]} for row in rows]


def _overdue_rectifications(*, district, start: datetime.date, end: datetime.date) -> list[dict]:
    """Rectifications open at the end of `end` whose deadline lay before `end` (the daily run's rule
    for 逾期), the oldest first. One awaiting re-inspection is the office's turn, not the unit's."""
    _since, until = period_span(start, end)
    rectifications = (
        Rectification.objects.filter(unit__parent=district, deadline__lt=end, opened_at__lt=until)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=until))
        .exclude(state=RectificationState.AWAITING_REVIEW)
        .select_related("site__street", "unit", "problem__problem_type")
        .order_by("deadline", "site__street__path", "pk")
    )
    return [
        {
            "id": rectification.pk,
            "street": rectification.site.street.name,
            "site": rectification.site.name,
            "problem": rectification.problem.problem_type.name,
            "unit": rectification.unit.name,
            "responsible_party": rectification.responsible_party,
            "deadline": rectification.deadline.isoformat(),
            "days_late": (end - rectification.deadline).days,
        }
        for rectification in rectifications
    ]


def _overdue_items(items, *, end: datetime.date) -> list[dict]:
    late = (
        items.annotate(**_state_annotations(end=end))
        .filter(state=ItemStatus.OVERDUE)
        .select_related("plan")
        .prefetch_related(Prefetch("lead_units", queryset=Unit.objects.order_by("path")))
        .order_by("deadline", "plan_id", "position")
    )
    return [
        {
            "id": item.pk,
            "plan": item.plan.title,
            "label": item.label,
            "title": item.title,
            # Names as the plan wrote them when the importer matched no unit.
            "lead_units": [unit.name for unit in item.lead_units.all()]
            or ([item.lead_names] if item.lead_names else []),
            "deadline": item.deadline.isoformat(),
            "days_late": (end - item.deadline).days,
            "percent": item.percent,
        }
        for item in late
    ]


# The document --------------------------------------------------------------------------------------


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    """The numbered 调度通报; the engine has entered the document language (base.in_document_language)."""
    year, month = start.year, start.month
    figures = _figures(data)
    body = [
        "一、" + _("Overall situation"),
        _overview(data, year=year, month=month),
        "二、" + _("Progress of key work"),
        *_progress_section(data, year=year, figures=figures),
        "三、" + _("Indicators against targets"),
        *_indicator_section(data),
        "四、" + _("Inspection and assessment"),
        *_inspection_section(data, figures=figures),
        "五、" + _("Problems"),
        *_problem_section(data),
        "六、" + _("Requirements for the next step"),
        *_requirements(),
    ]
    return ReportDocument(
        title=_("Bulletin on the dispatch of household waste sorting and key work in month %(month)s of %(year)s")
        % {"year": year, "month": month},
        recipients=_("The streets and the district's departments concerned"),
        body="\n".join(line for line in body if line),
        figures=figures,
        copy_to=_("The member units of the district's leading group for waste sorting"),
        numbered=True,
    )


def _percent(value: str | None) -> str:
    return "—" if value is None else f"{value}%"


def _rate(part: int, whole: int) -> str | None:
    return None if not whole else str((Decimal(part * 100) / whole).quantize(CENT))


def _date(value: str | None) -> str:
    if not value:
        return "—"
    day = datetime.date.fromisoformat(value)
    return pgettext("date in a document", "%(year)s-%(month)s-%(day)s") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def _names(names: list[str]) -> str:
    return pgettext("list separator", ", ").join(names)


def _overview(data: dict, *, year: int, month: int) -> str:
    items, inspections, rates = data["items"], data["inspections"], data["rates"]
    sentences = []
    if items["total"]:
        sentences.append(
            _(
                "As of the end of month %(month)s of %(year)s, the district's plans had %(total)s key work items "
                "led by %(units)s units: %(done)s done (%(on_time)s on time), %(in_progress)s in progress, "
                "%(not_started)s not started and %(late)s past their deadline."
            )
            % {
                "year": year,
                "month": month,
                "total": items["total"],
                "units": len(data["units"]),
                "done": items["done"],
                "on_time": items["done_on_time"],
                "in_progress": items["in_progress"],
                "not_started": items["not_started"],
                "late": items["late"],
            }
        )
    else:
        sentences.append(_("The district's plans of %(year)s have no key work items yet.") % {"year": year})
    indicators = data["indicators"]
    if indicators:
        sentences.append(
            _("%(met)s of the %(total)s indicators of the plans have reached their targets.")
            % {"met": sum(1 for row in indicators if row["met"]), "total": len(indicators)}
        )
    sentences.append(
        _(
            "The sorting coverage rate of the district was %(coverage)s and the kitchen-waste separation "
            "rate of the month %(separation)s."
        )
        % {"coverage": _percent(rates["coverage"]), "separation": _percent(rates["separation"])}
    )
    sentences.append(
        _(
            "The office made %(count)s inspections of %(sites)s sites with an average score of %(average)s "
            "and found %(problems)s problems; %(overdue)s rectifications were past their deadline at the "
            "end of the month."
        )
        % {
            "count": inspections["count"],
            "sites": inspections["sites"],
            "average": _percent(inspections["average"]),
            "problems": inspections["problems"],
            "overdue": len(data["overdue_rectifications"]),
        }
    )
    # Chinese sets no space between sentences; the English the tests read does.
    separator = "" if (translation.get_language() or "").startswith("zh") else " "
    return separator.join(sentences)


def _progress_section(data: dict, *, year: int, figures: dict) -> list[str]:
    units, items = data["units"], data["items"]
    if not units:
        return [_("No unit of the district leads an item of a plan of %(year)s.") % {"year": year}]
    plans = _names([f"《{plan['title']}》" for plan in data["plans"]])
    lines = [
        _(
            "Progress of the %(total)s items of %(plans)s by lead unit (an item led by several units counts "
            "for each of them):"
        )
        % {"total": items["total"], "plans": plans}
    ]
    rows = [
        [
            row["unit"],
            row["total"],
            row["done"],
            row["done_on_time"],
            row["in_progress"],
            row["not_started"],
            row["late"],
            _percent(_rate(row["done"], row["total"])),
        ]
        for row in units
    ]
    lines += body_table(
        [
            _("Unit"),
            _("Items"),
            _("Done"),
            _("On time"),
            _("In progress"),
            _("Not started"),
            _("Late"),
            _("Completion"),
        ],
        rows,
    )
    lines += [f"[[figure:{name}]]" for name in ("item_states", "unit_completion") if name in figures]
    return lines


def _indicator_section(data: dict) -> list[str]:
    rates = data["rates"]
    lines = [
        _(
            "The sorting coverage rate of the district reached %(coverage)s at the end of the month; "
            "%(kitchen)s t of kitchen waste were separated out of %(total)s t collected, a separation rate "
            "of %(separation)s."
        )
        % {
            "coverage": _percent(rates["coverage"]),
            "kitchen": rates["kitchen_t"] or "0",
            "total": rates["total_t"] or "0",
            "separation": _percent(rates["separation"]),
        }
    ]
    indicators = data["indicators"]
    if not indicators:
        lines.append(_("The plans set no indicators."))
        return lines
    missed = [row for row in indicators if row["met"] is False]
    lines.append(
        _("Of the plans' %(total)s indicators, %(met)s have reached their target, %(missed)s have not yet.")
        % {
            "total": len(indicators),
            "met": sum(1 for row in indicators if row["met"]),
            "missed": len(missed),
        }
    )
    met_labels = {True: _("Met"), False: _("Not met"), None: _("No value")}
    rows = [
        [
            row["item"],
            row["name"],
            f"{row['target']}{row['unit']}",
            f"{row['actual']}{row['unit']}" if row["actual"] is not None else None,
            _date(row["due"]),
            met_labels[row["met"]],
        ]
        for row in indicators
    ]
    lines += body_table([_("Item"), _("Indicator"), _("Target"), _("Actual"), _("Due"), _("Met")], rows)
    return lines


def _inspection_section(data: dict, *, figures: dict) -> list[str]:
    inspections = data["inspections"]
    lines = [
        _(
            "In the month the office made %(count)s inspections of %(sites)s sites, with an average score of "
            "%(average)s, and found %(problems)s problems."
        )
        % {
            "count": inspections["count"],
            "sites": inspections["sites"],
            "average": _percent(inspections["average"]),
            "problems": inspections["problems"],
        }
    ]
    if data["problems_by_type"]:
        lines.append(
            _("The most frequent problems were %(types)s.")
            % {
                "types": _names(
                    [
                        _("%(type)s (%(count)s)") % {"type": row["type"], "count": row["count"]}
                        for row in data["problems_by_type"]
                    ]
                )
            }
        )
    ranked = [row for row in data["ranking"] if row["rank"] is not None]
    if ranked:
        lines.append(_("The streets' scores of the month, best first:"))
        listing = {RED: _("Red list"), BLACK: _("Black list"), "": ""}
        lines += body_table(
            [
                _("Rank"),
                _("Street"),
                _("Inspections"),
                _("Sites inspected"),
                _("Inspection score"),
                _("Total"),
                _("List"),
            ],
            [
                [
                    row["rank"],
                    row["street"],
                    row["inspections"],
                    row["sites"],
                    row["inspection_score"],
                    row["total"],
                    listing[row["listing"]],
                ]
                for row in ranked
            ],
        )
        if "street_scores" in figures:
            lines.append("[[figure:street_scores]]")
    else:
        lines.append(_("No street has a score for the month."))
    unranked = [row["street"] for row in data["ranking"] if row["rank"] is None]
    if unranked:
        lines.append(_("Not inspected in the month: %(streets)s.") % {"streets": _names(unranked)})
    if data["red_list"]:
        lines.append(_("Red list of the month: %(streets)s.") % {"streets": _names(data["red_list"])})
    else:
        lines.append(_("No street is on the red list of the month."))
    if data["black_list"]:
        lines.append(_("Black list of the month: %(streets)s.") % {"streets": _names(data["black_list"])})
    else:
        lines.append(_("No street is on the black list of the month."))
    return lines


def _problem_section(data: dict) -> list[str]:
    lines = ["（一）" + _("Key work past its deadline")]
    late_items = data["overdue_items"]
    if late_items:
        units = Counter(unit for row in late_items for unit in row["lead_units"])
        lines.append(
            _("%(count)s plan items were past their deadline and not done at the end of the month: %(units)s.")
            % {
                "count": len(late_items),
                "units": _names([_("%(unit)s: %(count)s") % {"unit": u, "count": n} for u, n in units.most_common()]),
            }
        )
        lines += body_table(
            [_("Item"), _("Lead units"), _("Deadline"), _("Days late"), _("Progress")],
            [
                [
                    f"{row['label']}{row['title']}",
                    _names(row["lead_units"]),
                    _date(row["deadline"]),
                    row["days_late"],
                    f"{row['percent']}%",
                ]
                for row in late_items[:LISTED_IN_DOCUMENT]
            ],
        )
        lines.append(_more(len(late_items)))
    else:
        lines.append(_("No plan item was past its deadline at the end of the month."))
    lines.append("（二）" + _("Rectifications past their deadline"))
    overdue = data["overdue_rectifications"]
    if overdue:
        units = Counter(row["unit"] for row in overdue)
        lines.append(
            _("%(count)s rectifications were past their deadline at the end of the month: %(units)s.")
            % {
                "count": len(overdue),
                "units": _names([_("%(unit)s: %(count)s") % {"unit": u, "count": n} for u, n in units.most_common()]),
            }
        )
        lines += body_table(
            [_("Street"), _("Site"), _("Problem"), _("Responsible unit"), _("Deadline"), _("Days late")],
            [
                [
                    row["street"],
                    row["site"],
                    row["problem"],
                    " ".join(part for part in (row["unit"], row["responsible_party"]) if part),
                    _date(row["deadline"]),
                    row["days_late"],
                ]
                for row in overdue[:LISTED_IN_DOCUMENT]
            ],
        )
        lines.append(_more(len(overdue)))
    else:
        lines.append(_("No rectification was past its deadline at the end of the month."))
    return lines


def _more(count: int) -> str:
    if count <= LISTED_IN_DOCUMENT:
        return ""
    return _("The table lists the first %(listed)s of %(count)s; the report page has them all.") % {
        "listed": LISTED_IN_DOCUMENT,
        "count": count,
    }


def _requirements() -> list[str]:
    return [
        "（一）"
        + _(
            "Finish the work that is late. Units with plan items past their deadline finish them at once and "
            "report their progress to the district sorting office within five working days."
        ),
        "（二）"
        + _(
            "Rectify within the time limit. Streets complete the overdue rectifications without delay; the office "
            "re-inspects them one by one, and what is still not rectified is deducted in the quarterly review."
        ),
        "（三）"
        + _(
            "Keep the progress up to date. Every lead unit reports its items' progress in the system before "
            "the 25th of each month, so that the next dispatch shows the real state of the work."
        ),
    ]


def _figures(data: dict) -> dict[str, str]:
    """SVG charts for [[figure:NAME]]: items by state, completion by unit, street totals."""
    figures = {}
    items = data["items"]
    if items["total"]:
        figures["item_states"] = charts.stacked_bar_chart(
            title=_("Plan items by state"),
            parts=[
                (_("Done on time"), items["done_on_time"]),
                (_("Done late"), items["done"] - items["done_on_time"]),
                (_("In progress"), items["in_progress"]),
                (_("Not started"), items["not_started"]),
                (_("Late"), items["late"]),
            ],
            unit=_("items"),
            colours=("#2e7d32", "#b7791f", "#1f5fa8", "#5f6368", "#c0392b"),
        )
    if data["units"]:
        figures["unit_completion"] = charts.horizontal_bar_chart(
            title=_("Completion of plan items by lead unit"),
            bars=[(row["unit"], _as_number(_rate(row["done"], row["total"]))) for row in data["units"]],
            maximum=100,
        )
    ranked = [row for row in data["ranking"] if row["total"] is not None]
    if ranked:
        figures["street_scores"] = charts.bar_chart(
            title=_("Street scores of the month"), bars=[(row["street"], Decimal(row["total"])) for row in ranked]
        )
    return figures


def _as_number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
