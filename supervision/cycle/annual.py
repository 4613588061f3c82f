"""The year-end comprehensive assessment (年终综合评定): the four quarters' totals and the plan
completion of each street combined into its annual score, and the plan completion of the other
units that lead plan items; a numbered circular.

The weighting, written into the circular: annual score = 80 % × the mean of the quarters' totals
+ 20 % × plan completion × 100. A street without one of the parts (no quarter scored, or no plan
item to lead) is scored on the other part alone, so that missing data neither zeroes a street nor
lifts it. Plan completion is the share of the year's plan items led by the unit, or by a unit in
its subtree (a street's communities), that were done by their deadline as of the year's end.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from classification.charts import horizontal_bar_chart
from plans.models import Item, Plan
from sanitation.organisations.models import Unit, UnitKind

from ..schemes import scheme_in_force
from ..scores import period_bounds, rounded, street_scores
from .base import ReportDocument, in_document_language
from .quarterly import COPY_TO, NO_VALUE, QUARTERS, RECIPIENTS, heading, names_joined, office_of, table, weight_text

QUARTER_WEIGHT = Decimal(80)
PLAN_WEIGHT = Decimal(20)
HUNDRED = Decimal(100)

# Translators: 关于%(year)s年度生活垃圾分类工作年终综合评定结果的通报
TITLE = _("Circular on the results of the year-end comprehensive assessment of household waste sorting in %(year)s")
# Translators: 根据《%(scheme)s》和日督查、周报告、月调度、季讲评、年终综合评定工作机制，%(office)s结合四个季度考核结
#   果和%(plans)s重点工作完成情况，对各街道和有关单位%(year)s年度生活垃圾分类工作进行了年终综合评定。
#   现将评定结果通报如下：
BASIS = _(
    "In accordance with “%(scheme)s” and the working mechanism of daily inspection, weekly report, monthly "
    "dispatch, quarterly review and year-end comprehensive assessment, %(office)s assessed the household waste "
    "sorting work of the streets and the relevant units in %(year)s, combining the four quarterly assessments "
    "with the completion of the key work of %(plans)s. The results are announced as follows:"
)
# Translators: 根据日督查、周报告、月调度、季讲评、年终综合评定工作机制，%(office)s结合四个季度考核结果和%(plans)s重点
#   工作完成情况，对各街道和有关单位%(year)s年度生活垃圾分类工作进行了年终综合评定。现将评定结果通报如下：
BASIS_NO_SCHEME = _(
    "In accordance with the working mechanism of daily inspection, weekly report, monthly dispatch, quarterly "
    "review and year-end comprehensive assessment, %(office)s assessed the household waste sorting work of the "
    "streets and the relevant units in %(year)s, combining the four quarterly assessments with the completion of "
    "the key work of %(plans)s. The results are announced as follows:"
)
# Translators: 《%(title)s》
PLAN_TITLE = _("“%(title)s”")
# Translators: 年度工作计划
NO_PLANS = _("the year's plans")

# Translators: 评定办法
METHOD = _("How the assessment is made")
# Translators: 街道年度综合得分由两部分组成：四个季度考核综合得分的平均分占%(quarters)s%%，年度工作计划中由街道（含所
#   属社区）牵头事项的按期完成率（折算为百分制）占%(plans)s%%；缺少其中一部分的，按另一部分计算。按期完成以截至年底、
#   在完成时限内完成为准。有关单位按其牵头事项的按期完成率评定。
WEIGHTING = _(
    "A street's annual score is made of two parts: the mean of its quarterly total scores counts for %(quarters)s%%, "
    "and the share of the plan items it leads (itself or through its communities) that were done by their deadline, "
    "on a scale of 100, counts for %(plans)s%%. A street missing one part is scored on the other alone. An item "
    "counts as done by its deadline when it was completed within its deadline and by the year's end. The relevant "
    "units are assessed by the share of the plan items they lead that were done by their deadline."
)

# Translators: 街道综合评定结果
STREET_RESULTS = _("Results of the streets")
# Translators: 参加评定的街道%(count)s个，年度综合得分最高为%(best)s（%(best_score)s分），最低为%(worst)s（%(worst_sco
#   re)s分）。
STREET_SUMMARY = _(
    "%(count)s streets were assessed; the highest annual score was %(best)s (%(best_score)s) and the lowest "
    "%(worst)s (%(worst_score)s)."
)
# Translators: 本年度各街道均无考核得分和牵头事项，不作评定。
NO_STREET_RESULTS = _("No street had a quarterly score or a plan item to lead this year.")
RANK = _("Rank")
STREET = _("Street")
# Translators: %(quarter)s季度 (一季度)
QUARTER_COLUMN = _("%(quarter)s quarter")
# Translators: 季度平均
QUARTER_MEAN = _("Quarterly mean")
# Translators: 按期完成率
COMPLETION = _("Done by the deadline")
# Translators: 年度综合得分
ANNUAL_SCORE = _("Annual score")
# Translators: 各街道年度综合得分
SCORES_CHART = _("Annual scores of the streets")

# Translators: 有关单位重点工作完成情况
UNIT_RESULTS = _("Key work of the relevant units")
# Translators: 有关单位共牵头年度工作计划事项%(items)s项，按期完成%(done)s项，按期完成率%(rate)s。
UNIT_SUMMARY = _(
    "The relevant units led %(items)s plan items in all, of which %(done)s were done by their deadline (%(rate)s)."
)
# Translators: 本年度无其他单位牵头的工作计划事项。
NO_UNITS = _("No other unit led a plan item this year.")
UNIT = _("Unit")
# Translators: 牵头事项
ITEMS = _("Items led")
# Translators: 按期完成
DONE = _("Done by the deadline (items)")
# Translators: 有关单位重点工作按期完成率
UNITS_CHART = _("Plan items done by the deadline, by unit")

# Translators: 工作要求
REQUIREMENTS = _("Requirements")
REQUIREMENT_PARAGRAPHS = [
    # Translators: 总结经验，查找不足。各街道和有关单位要对照评定结果，认真总结全年生活垃圾分类工作，查找差距和不足，
    #   研究制定下一年度工作措施，于1月底前报区分类办。
    _(
        "Sum up the year. The streets and the relevant units must hold their results against the assessment, sum "
        "up the year's waste sorting work, find where they fell short and set out next year's measures, and send "
        "them to the sorting office by the end of January."
    ),
    # Translators: 巩固成果，常态长效。要坚持日督查、周报告、月调度、季讲评工作机制，巩固生活垃圾分类全覆盖成果，
    #   推动分类投放、分类收集、分类运输、分类处置体系常态长效运行。
    _(
        "Keep what has been achieved. Keep to daily inspection, weekly report, monthly dispatch and quarterly review, "
        "hold on to full coverage and keep sorted disposal, collection, transport and treatment running for good."
    ),
    # Translators: 严格奖惩，压实责任。评定结果将作为年度目标考核、评先评优和奖补资金安排的重要依据，
    #   对排名靠后的街道和单位将进行约谈。
    _(
        "Reward and hold to account. The results weigh in the annual target assessment, in awards and in the "
        "subsidies; the streets and units at the bottom will be called in for a talk."
    ),
]


@dataclass
class _Lead:
    """Plan items led by a unit or its subtree: how many, how many done by their deadline."""

    items: int = 0
    done: int = 0

    @property
    def completion(self) -> Decimal | None:
        return rounded(Decimal(self.done) * HUNDRED / self.items) if self.items else None


def quarters_of(year: int) -> list[tuple[datetime.date, datetime.date]]:
    return [period_bounds("quarter", datetime.date(year, month, 1)) for month in (1, 4, 7, 10)]


def annual_score(*, mean: Decimal | None, completion: Decimal | None) -> Decimal | None:
    """80 % of the quarterly mean and 20 % of the completion (on 100), over the parts that exist."""
    parts = [(QUARTER_WEIGHT, mean), (PLAN_WEIGHT, completion)]
    parts = [(weight, value) for weight, value in parts if value is not None]
    if not parts:
        return None
    return rounded(sum(weight * value for weight, value in parts) / sum(weight for weight, _value in parts))


def _done_by_deadline(row: dict, *, year_end: datetime.date) -> bool:
    # An item done by hand without a completion date counts as done when its percent says so.
    if row["percent"] < 100:
        return False
    due = min(row["deadline"] or year_end, year_end)
    return row["completed_on"] is None or row["completed_on"] <= due


def _plan_items(*, district, start, end) -> tuple[list[str], dict[int, dict]]:
    """The titles of the year's plans of the district's units, and their items due in the year (one
    lead unit per row) as item id → {done, lead paths}. Items due after the year are not due yet."""
    plans = Plan.objects.filter(year=start.year, issuer__path__startswith=district.path)
    titles = list(plans.order_by("issuer__path", "title").values_list("title", flat=True))
    rows = (
        Item.objects.filter(plan__in=plans, lead_units__isnull=False)
        .filter(Q(deadline__isnull=True) | Q(deadline__lte=end))
        .values("pk", "percent", "deadline", "completed_on", "lead_units__path")
        .order_by()
    )
    items: dict[int, dict] = {}
    for row in rows:
        item = items.setdefault(row["pk"], {"done": _done_by_deadline(row, year_end=end), "leads": set()})
        item["leads"].add(row["lead_units__path"])
    return titles, items


def _lead(items: dict[int, dict], path: str) -> _Lead:
    """Items led by the unit at `path` or a unit under it, each item once."""
    lead = _Lead()
    for item in items.values():
        if any(lead_path.startswith(path) for lead_path in item["leads"]):
            lead.items += 1
            lead.done += item["done"]
    return lead


def _ranked(rows: list[dict], key: str) -> list[dict]:
    """Best first by `key`; ties share a rank (1, 2, 2, 4); rows without a value unranked, last."""
    scored = sorted((row for row in rows if row[key] is not None), key=lambda row: -Decimal(row[key]))
    for position, row in enumerate(scored, start=1):
        before = scored[position - 2] if position > 1 else None
        row["rank"] = before["rank"] if before is not None and before[key] == row[key] else position
    unscored = [row for row in rows if row[key] is None]
    for row in unscored:
        row["rank"] = None
    return scored + unscored


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(rounded(value))


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The year's numbers in a constant number of queries, however many streets and items."""
    quarters = quarters_of(start.year)
    totals: dict[int, list[Decimal | None]] = {}
    for index, (quarter_start, quarter_end) in enumerate(quarters):
        for score in street_scores(district=district, start=quarter_start, end=quarter_end):
            totals.setdefault(score.street.pk, [None] * 4)[index] = score.total
    all_streets = list(Unit.objects.filter(parent=district, kind=UnitKind.STREET).order_by("sort_order", "path"))
    streets = [street for street in all_streets if street.is_active or street.pk in totals]
    titles, items = _plan_items(district=district, start=start, end=end)

    street_rows = []
    for street in streets:
        quarter_totals = totals.get(street.pk, [None] * 4)
        present = [total for total in quarter_totals if total is not None]
        mean = rounded(sum(present) / len(present)) if present else None
        lead = _lead(items, street.path)
        street_rows.append(
            {
                "code": street.code,
                "name": street.name,
                "quarters": [_text(total) for total in quarter_totals],
                "mean": _text(mean),
                "items": lead.items,
                "done": lead.done,
                "completion": _text(lead.completion),
                "score": _text(annual_score(mean=mean, completion=lead.completion)),
            }
        )

    # The other lead units: those in the district's tree that are neither a street nor under one.
    street_paths = tuple(street.path for street in all_streets)
    lead_paths = {path for item in items.values() for path in item["leads"]}
    other_paths = [path for path in lead_paths if path.startswith(district.path) and not path.startswith(street_paths)]
    # Items shared by several of these units, or led by a unit and its section, count once in the totals.
    other_items = [item for item in items.values() if any(path in other_paths for path in item["leads"])]
    units = Unit.objects.filter(path__in=other_paths).order_by("path")
    unit_rows = []
    for unit in units:
        lead = _lead(items, unit.path)
        unit_rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "items": lead.items,
                "done": lead.done,
                "completion": _text(lead.completion),
            }
        )

    scheme = scheme_in_force(district=district, on=end)
    return {
        "year": start.year,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scheme": None if scheme is None else {"title": scheme.title, "version": scheme.version},
        "quarters": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in quarters],
        "weights": {"quarters": str(QUARTER_WEIGHT), "plans": str(PLAN_WEIGHT)},
        "plans": titles,
        "streets": _ranked(street_rows, "score"),
        "units": _ranked(unit_rows, "completion"),
        "units_total": {"items": len(other_items), "done": sum(item["done"] for item in other_items)},
    }


# The document ---------------------------------------------------------------------------------


def _percent(value: str | None) -> str:
    return NO_VALUE if value is None else f"{value}%"


def _basis(*, data: dict, office: str) -> str:
    plans = (
        names_joined(str(PLAN_TITLE % {"title": title}) for title in data["plans"]) if data["plans"] else str(NO_PLANS)
    )
    values = {"office": office, "year": data["year"], "plans": plans}
    if data["scheme"] is None:
        return str(BASIS_NO_SCHEME % values)
    return str(BASIS % {**values, "scheme": data["scheme"]["title"]})


def _streets(data: dict) -> tuple[list[str], dict[str, str]]:
    lines = [heading(1, 2, STREET_RESULTS)]
    ranked = [row for row in data["streets"] if row["rank"] is not None]
    if not ranked:
        return [*lines, str(NO_STREET_RESULTS)], {}
    lines.append(
        str(
            STREET_SUMMARY
            % {
                "count": len(ranked),
                "best": ranked[0]["name"],
                "best_score": ranked[0]["score"],
                "worst": ranked[-1]["name"],
                "worst_score": ranked[-1]["score"],
            }
        )
    )
    header = [
        RANK,
        STREET,
        *(QUARTER_COLUMN % {"quarter": QUARTERS[number]} for number in range(1, 5)),
        QUARTER_MEAN,
        COMPLETION,
        ANNUAL_SCORE,
    ]
    rows = [
        [row["rank"], row["name"], *row["quarters"], row["mean"], _percent(row["completion"]), row["score"]]
        for row in data["streets"]
    ]
    lines += [*table(header, rows), "[[figure:scores]]"]
    chart = horizontal_bar_chart(
        title=str(SCORES_CHART),
        bars=[(row["name"], Decimal(row["score"]) if row["score"] is not None else None) for row in data["streets"]],
        maximum=100,
        unit="",
    )
    return lines, {"scores": chart}


def _units(data: dict) -> tuple[list[str], dict[str, str]]:
    lines = [heading(1, 3, UNIT_RESULTS)]
    units = data["units"]
    if not units:
        return [*lines, str(NO_UNITS)], {}
    items, done = data["units_total"]["items"], data["units_total"]["done"]
    rate = _percent(_text(Decimal(done) * HUNDRED / items)) if items else NO_VALUE
    lines.append(str(UNIT_SUMMARY % {"items": items, "done": done, "rate": rate}))
    rows = [[row["rank"], row["name"], row["items"], row["done"], _percent(row["completion"])] for row in units]
    lines += [*table([RANK, UNIT, ITEMS, DONE, COMPLETION], rows), "[[figure:units]]"]
    chart = horizontal_bar_chart(
        title=str(UNITS_CHART),
        bars=[(row["name"], Decimal(row["completion"])) for row in units],
        maximum=100,
    )
    return lines, {"units": chart}


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    """The numbered circular of the year-end assessment: basis, weighting, results, requirements."""
    with in_document_language():
        office = office_of(issuer)
        streets, street_figures = _streets(data)
        units, unit_figures = _units(data)
        weighting = WEIGHTING % {
            "quarters": weight_text(data["weights"]["quarters"]),
            "plans": weight_text(data["weights"]["plans"]),
        }
        body = [
            _basis(data=data, office=office),
            heading(1, 1, METHOD),
            str(weighting),
            *streets,
            *units,
            heading(1, 4, REQUIREMENTS),
            *(heading(2, number, paragraph) for number, paragraph in enumerate(REQUIREMENT_PARAGRAPHS, start=1)),
        ]
        return ReportDocument(
            title=str(TITLE % {"year": data["year"]}),
            recipients=str(RECIPIENTS),
            body="\n".join(body),
            figures={**street_figures, **unit_figures},
            copy_to=str(COPY_TO),
            numbered=True,
        )
