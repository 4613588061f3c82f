"""The quarterly review (季讲评): street scores under the scheme, ranking, 红黑榜, the subsidy
allocation with its working, the quarter's main problems and rectifications; a numbered 讲评通报.

The numbers are stored as JSON (decimals as strings such as "92.50", so the page and the PDF
print exactly what was computed). The subsidy working is written in the document's language
when collected, because it goes into the circular's attachment as it is.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, prefetch_related_objects
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from classification.charts import horizontal_bar_chart
from sanitation.organisations.models import Unit

from ..models import Problem, Rectification, RectificationState, SubsidyRule
from ..schemes import scheme_in_force
from ..scores import period_span, red_black_lists, rounded, street_scores
from ..subsidies import money, subsidy_allocate
from .base import NO_VALUE, ReportDocument, in_document_language
from .base import body_table as table

TOP_PROBLEM_TYPES = 5
TOP_PROBLEM_STREETS = 3
BLACK_LIST_DAYS = 15  # working days a black-listed street has to hand in its rectification plan

QUARTERS = {
    1: pgettext_lazy("quarter", "first"),  # 一
    2: pgettext_lazy("quarter", "second"),  # 二
    3: pgettext_lazy("quarter", "third"),  # 三
    4: pgettext_lazy("quarter", "fourth"),  # 四
}
# Translators: joins names in a sentence of an official document: 、
LIST_SEPARATOR = pgettext_lazy("list of names", ", ")

# Translators: 各街道、区直有关部门
RECIPIENTS = _("The streets and the relevant district departments")
# Translators: 区分类工作领导小组各成员单位
COPY_TO = _("The member units of the district's waste sorting leading group")
# Translators: 关于%(year)s年第%(quarter)s季度生活垃圾分类工作考核讲评情况的通报
TITLE = _("Circular on the assessment and review of household waste sorting in the %(quarter)s quarter of %(year)s")
# Translators: 根据《%(scheme)s》和日督查、周报告、月调度、季讲评工作机制，%(office)s对各街道%(year)s年第%(quarter)s季
#   度生活垃圾分类工作进行了考核，考核采取%(sources)s相结合的方式。
BASIS = _(
    "In accordance with “%(scheme)s” and the working mechanism of daily inspection, weekly report, monthly "
    "dispatch and quarterly review, %(office)s assessed the household waste sorting work of the streets in the "
    "%(quarter)s quarter of %(year)s, combining %(sources)s."
)
# Translators: 根据日督查、周报告、月调度、季讲评工作机制，%(office)s对各街道%(year)s年第%(quarter)s季度生活垃圾分类工
#   作进行了考核。
BASIS_NO_SCHEME = _(
    "In accordance with the working mechanism of daily inspection, weekly report, monthly dispatch and quarterly "
    "review, %(office)s assessed the household waste sorting work of the streets in the %(quarter)s quarter of "
    "%(year)s."
)
# Translators: 本季度共督查点位%(sites)s个、%(inspections)s次，发现问题%(problems)s个。现将考核结果通报如下：
BASIS_FIGURES = _(
    "In the quarter %(inspections)s inspections were made at %(sites)s sites and %(problems)s problems were found. "
    "The results are announced as follows:"
)
# Translators: %(name)s（%(weight)s%%）
SOURCE_SHARE = _("%(name)s (%(weight)s%%)")

# Translators: 考核结果
RESULTS = _("Assessment results")
# Translators: 本季度参加考核的街道%(count)s个，平均综合得分%(average)s分；最高为%(best)s（%(best_total)s分），
#   最低为%(worst)s（%(worst_total)s分）。
RESULTS_SUMMARY = _(
    "%(count)s streets were assessed, with an average total of %(average)s; the highest was %(best)s "
    "(%(best_total)s) and the lowest %(worst)s (%(worst_total)s)."
)
# Translators: 本季度各街道均无考核得分。
NO_RESULTS = _("No street has a score for the quarter.")
# Translators: %(streets)s本季度无考核得分，不参加排名。
UNRANKED = _("%(streets)s had no score for the quarter and are not ranked.")
RANK = _("Rank")
STREET = _("Street")
# Translators: 综合得分
TOTAL = _("Total score")
# Translators: 各街道考核综合得分
TOTALS_CHART = _("Total scores of the streets")

# Translators: 红黑榜
LISTS = _("Red and black lists")
# Translators: 按照考核办法，综合得分排名前%(red_top)s名且不低于%(red_min)s分的街道列入红榜，排名后%(black_bottom)s名
#   或低于%(black_max)s分的街道列入黑榜。
LIST_RULE = _(
    "Under the scheme, the streets ranked in the top %(red_top)s with at least %(red_min)s points are put on the "
    "red list, and the streets ranked in the bottom %(black_bottom)s or below %(black_max)s points on the black list."
)
# Translators: 红榜
RED_HEADING = _("Red list")
# Translators: %(streets)s本季度综合得分位居前列，列入红榜，予以通报表扬。
RED_TEXT = _("%(streets)s ranked at the top this quarter and are put on the red list; they are hereby commended.")
# Translators: 本季度无街道列入红榜。
RED_NONE = _("No street is on the red list this quarter.")
# Translators: 黑榜
BLACK_HEADING = _("Black list")
# Translators: %(streets)s本季度综合得分排名靠后，列入黑榜，予以通报批评。请上述街道认真分析原因，于%(days)s个工作日内
#   制定整改方案报%(office)s。
BLACK_TEXT = _(
    "%(streets)s ranked at the bottom this quarter and are put on the black list; they are hereby criticised. "
    "They must analyse the causes and hand in a rectification plan to %(office)s within %(days)s working days."
)
# Translators: 本季度无街道列入黑榜。
BLACK_NONE = _("No street is on the black list this quarter.")
# Translators: 考核办法未生效，本季度不评定红黑榜。
NO_LISTS = _("No assessment scheme was in force, so no red or black list is drawn up this quarter.")

# Translators: 奖补资金分配
SUBSIDY = _("Allocation of subsidy funds")
# Translators: 按照《%(rule)s》，本季度奖补资金%(pool)s元，在综合得分%(minimum)s分及以上的街道之间按得分比例分配，
#   并按排名予以奖励或扣减。
SUBSIDY_BASIS = _(
    "Under “%(rule)s”, the quarter's pool of %(pool)s yuan is shared among the streets scoring at least "
    "%(minimum)s points in proportion to their totals, with awards and deductions by rank."
)
# Translators: 列入黑榜的街道扣减%(amount)s元。
SUBSIDY_BLACK = _("A street on the black list has %(amount)s yuan deducted.")
# Translators: 各街道分配情况如下：
SUBSIDY_TABLE_INTRO = _("The allocation to each street is as follows:")
# Translators: 本季度共分配奖补资金%(total)s元，各街道测算明细见附件。
SUBSIDY_TOTAL = _("In all %(total)s yuan is allocated for the quarter; the calculation for each street is attached.")
# Translators: %(year)s年度未制定奖补资金分配办法，本季度不分配奖补资金。
NO_SUBSIDY = _("There is no subsidy allocation rule for %(year)s, so no subsidy is allocated for the quarter.")
# Translators: 资金池分配（元）
POOL_SHARE = _("Pool share (yuan)")
# Translators: 排名奖励（元）
AWARD = _("Award (yuan)")
# Translators: 扣减（元）
DEDUCTION = _("Deduction (yuan)")
# Translators: 合计（元）
AMOUNT = _("Total (yuan)")
# Translators: 奖补资金测算明细
SUBSIDY_ATTACHMENT = _("Subsidy calculation details")
# Translators: 依据《%(rule)s》和本季度考核综合得分测算。
SUBSIDY_ATTACHMENT_BASIS = _("Calculated under “%(rule)s” from the quarter's total scores.")
# Translators: joins the steps of a street's calculation in a table cell: ；
WORKING_SEPARATOR = pgettext_lazy("calculation steps", "; ")
# Translators: 序号
NUMBER = _("No.")
# Translators: 测算过程
WORKING = _("Calculation")

# Translators: 存在的主要问题
PROBLEMS = _("Main problems")
# Translators: 本季度督查共发现问题%(count)s个，主要有：%(types)s。
PROBLEMS_FOUND = _("The inspections of the quarter found %(count)s problems, mainly %(types)s.")
# Translators: %(name)s（%(count)s个）
PROBLEM_COUNT = _("%(name)s (%(count)s)")
# Translators: 问题较多的街道是%(streets)s。
PROBLEM_STREETS = _("The streets with the most problems were %(streets)s.")
# Translators: 本季度督查未发现问题。
NO_PROBLEMS = _("The inspections of the quarter found no problems.")
# Translators: 本季度交办整改问题%(opened)s个，整改销号%(closed)s个，其中按期销号%(on_time)s个（按期销号率%(rate)s）；
#   截至季末仍有%(overdue)s个问题逾期未整改。
RECTIFICATIONS = _(
    "In the quarter %(opened)s problems were handed over for rectification and %(closed)s were closed, "
    "%(on_time)s of them by their deadline (%(rate)s); at the quarter's end %(overdue)s were open past their "
    "deadline."
)

# Translators: 下步工作要求
REQUIREMENTS = _("Requirements for the next stage")
REQUIREMENT_PARAGRAPHS = [
    # Translators: 压实属地责任。各街道要对照考核结果，认真查找差距和不足，主要负责同志要亲自研究部署，
    #   分管负责同志要具体抓落实，把生活垃圾分类工作摆上重要议事日程。
    _(
        "Take up the territorial responsibility. Each street must hold its results against the scheme and find "
        "where it falls short; its principal leader must plan the work in person and the leader in charge see it "
        "done, keeping waste sorting high on the agenda."
    ),
    # Translators: 抓好问题整改。各街道要对督查发现的问题建立台账，逐一明确责任人和整改时限，按期整改销号，
    #   对逾期未整改的问题要说明原因、限期办结。
    _(
        "Rectify the problems found. Each street must keep a ledger of the problems the inspections found, name "
        "the person responsible and the deadline for each, and close them on time; an overdue one must be "
        "explained and finished within a set time."
    ),
    # Translators: 补齐设施短板。要按照分类投放、分类收集、分类运输、分类处置的要求，补齐分类容器、
    #   投放点标识等设施短板，坚决杜绝混投混装混运。
    _(
        "Make good the facilities. Following sorted disposal, collection, transport and treatment, the streets "
        "must complete the sorting bins and the signs at the disposal points and put an end to mixed disposal, "
        "loading and transport."
    ),
    # Translators: 强化常态督查。区分类办将继续坚持日督查、周报告、月调度、季讲评工作机制，加大暗访和复查力度，
    #   考核结果与奖补资金挂钩，并纳入年终综合评定。
    _(
        "Keep up the inspections. The sorting office keeps to daily inspection, weekly report, monthly dispatch "
        "and quarterly review, with more unannounced visits and re-inspections; the results decide the subsidies "
        "and count in the year-end comprehensive assessment."
    ),
]

CHINESE_ORDINALS = "一二三四五六七八九十"


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(rounded(value))


def weight_text(weight) -> str:
    """60.00 → "60", 12.50 → "12.5": how a weight is written in a sentence or a column head."""
    return format(Decimal(weight).normalize(), "f")


def _scheme_data(scheme) -> dict | None:
    if scheme is None:
        return None
    return {
        "title": scheme.title,
        "version": scheme.version,
        "sources": [
            {"name": source.name, "kind": source.kind, "weight": str(source.weight)} for source in scheme.sources.all()
        ],
        "red_top": scheme.red_top,
        "red_min_score": str(scheme.red_min_score),
        "black_bottom": scheme.black_bottom,
        "black_max_score": str(scheme.black_max_score),
    }


def _street_rows(scores) -> list[dict]:
    return [
        {
            "code": score.street.code,
            "name": score.street.name,
            "rank": score.rank,
            "inspections": score.inspections,
            "sites_inspected": score.sites_inspected,
            "inspection_score": _text(score.inspection_score),
            "sources": [_text(value) for value in score.source_scores.values()],
            "total": _text(score.total),
            "listing": score.listing,
        }
        for score in scores
    ]


def _subsidy_data(*, district, start, end, scores) -> dict | None:
    rule = SubsidyRule.objects.filter(district=district, year=end.year).prefetch_related("awards").first()
    if rule is None:
        return None
    with in_document_language():  # the working goes into the circular as it is written here
        allocation = subsidy_allocate(rule=rule, start=start, end=end, scores=scores)
    return {
        "rule": rule.title,
        "pool": str(rule.pool),
        "pool_min_score": str(rule.pool_min_score),
        "black_list_deduction": str(rule.black_list_deduction),
        "lines": [
            {
                "code": line.street.code,
                "name": line.street.name,
                "score": _text(line.score),
                "rank": line.rank,
                "listing": line.listing,
                "pool_share": str(line.pool_share),
                "award": str(line.award),
                "deduction": str(line.deduction),
                "total": str(line.total),
                "working": [str(text) for text in line.working],
            }
            for line in allocation.lines
        ],
        "total": str(allocation.total),
    }


def _problems_data(*, district, start, end) -> dict:
    """The quarter's problems by type and by street, from one pass over them (street × type)."""
    since, until = period_span(start, end)
    rows = (
        Problem.objects.filter(
            inspection__street__parent=district,
            inspection__inspected_at__gte=since,
            inspection__inspected_at__lt=until,
            inspection__deleted_at__isnull=True,
        )
        .values(
            "problem_type_id",
            "problem_type__name",
            "problem_type__order",
            "inspection__street_id",
            "inspection__street__code",
            "inspection__street__name",
            "inspection__street__path",
        )
        .annotate(count=Count("id"))
        .order_by()
    )
    types, streets = {}, {}
    for row in rows:
        kind = types.setdefault(
            row["problem_type_id"], {"name": row["problem_type__name"], "order": row["problem_type__order"], "count": 0}
        )
        kind["count"] += row["count"]
        street = streets.setdefault(
            row["inspection__street_id"],
            {
                "code": row["inspection__street__code"],
                "name": row["inspection__street__name"],
                "path": row["inspection__street__path"],
                "count": 0,
            },
        )
        street["count"] += row["count"]
    by_type = sorted(types.items(), key=lambda pair: (-pair[1]["count"], pair[1]["order"], pair[0]))
    by_street = sorted(streets.values(), key=lambda street: (-street["count"], street["path"]))
    return {
        "total": sum(kind["count"] for kind in types.values()),
        "types": [{"name": kind["name"], "count": kind["count"]} for _pk, kind in by_type],
        "streets": [{"code": street["code"], "name": street["name"], "count": street["count"]} for street in by_street],
    }


def _rectifications_data(*, district, start, end) -> dict:
    """Opened, closed and closed by the deadline in the quarter; still open past the deadline at
    the quarter's end (as far as today's deadlines tell); and overdue now.

    One query per figure, each answered from its own index on the street (the unit) and a date;
    an OR of them makes PostgreSQL read every rectification the district ever had."""
    since, until = period_span(start, end)
    # The streets' ids as a list, not a join: each count below is then one index range per street.
    rectifications = Rectification.objects.filter(
        unit__in=list(Unit.objects.filter(parent=district).values_list("pk", flat=True))
    )
    closed = rectifications.filter(state=RectificationState.CLOSED, closed_at__gte=since, closed_at__lt=until)
    closed = closed.annotate(closed_on=TruncDate("closed_at")).aggregate(
        closed=Count("id"), closed_on_time=Count("id", filter=Q(closed_on__lte=F("deadline")))
    )
    late = rectifications.filter(opened_at__lt=until, deadline__lte=end)
    return {
        "opened": rectifications.filter(opened_at__gte=since, opened_at__lt=until).count(),
        **closed,
        "overdue_at_end": late.filter(closed_at__isnull=True).count() + late.filter(closed_at__gte=until).count(),
        "overdue_now": rectifications.filter(state=RectificationState.OVERDUE).count(),
    }


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The quarter's numbers in a constant number of queries, however many streets and inspections."""
    scheme = scheme_in_force(district=district, on=end)
    if scheme is not None:
        prefetch_related_objects([scheme], "sources")  # street_scores and the data read them once
    scores = street_scores(district=district, start=start, end=end, scheme=scheme)
    red, black = red_black_lists(scores)
    problems = _problems_data(district=district, start=start, end=end)
    return {
        "year": end.year,
        "quarter": quarter_of(end),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scheme": _scheme_data(scheme),
        "streets": _street_rows(scores),
        "inspections": sum(score.inspections for score in scores),
        "sites_inspected": sum(score.sites_inspected for score in scores),
        "red": [score.street.name for score in red],
        "black": [score.street.name for score in black],
        "subsidy": _subsidy_data(district=district, start=start, end=end, scores=scores),
        "problems": problems,
        "rectifications": _rectifications_data(district=district, start=start, end=end),
    }


# The document ---------------------------------------------------------------------------------


def names_joined(names) -> str:
    return str(LIST_SEPARATOR).join(names)


def heading(level: int, number: int, text) -> str:
    """一、 (level 1) or （一） (level 2): the body format's numbering, the words translated."""
    numeral = CHINESE_ORDINALS[number - 1]
    return f"{numeral}、{text}" if level == 1 else f"（{numeral}）{text}"


def office_of(issuer) -> str:
    return issuer.unit.display_name


def _basis(*, data: dict, office: str) -> list[str]:
    scheme = data["scheme"]
    period = {"office": office, "year": data["year"], "quarter": QUARTERS[data["quarter"]]}
    if scheme is None:
        opening = BASIS_NO_SCHEME % period
    else:
        sources = names_joined(
            str(SOURCE_SHARE % {"name": source["name"], "weight": weight_text(source["weight"])})
            for source in scheme["sources"]
        )
        opening = BASIS % {**period, "scheme": scheme["title"], "sources": sources}
    figures = BASIS_FIGURES % {
        "inspections": data["inspections"],
        "sites": data["sites_inspected"],
        "problems": data["problems"]["total"],
    }
    return [f"{opening} {figures}"]


def _results(data: dict) -> tuple[list[str], dict[str, str]]:
    lines = [heading(1, 1, RESULTS)]
    ranked = [row for row in data["streets"] if row["rank"] is not None]
    unranked = [row["name"] for row in data["streets"] if row["rank"] is None]
    if not ranked:
        return [*lines, str(NO_RESULTS)], {}
    totals = [Decimal(row["total"]) for row in ranked]
    lines.append(
        str(
            RESULTS_SUMMARY
            % {
                "count": len(ranked),
                "average": _text(sum(totals) / len(totals)),
                "best": ranked[0]["name"],
                "best_total": ranked[0]["total"],
                "worst": ranked[-1]["name"],
                "worst_total": ranked[-1]["total"],
            }
        )
    )
    if unranked:
        lines.append(str(UNRANKED % {"streets": names_joined(unranked)}))
    sources = data["scheme"]["sources"] if data["scheme"] else []
    header = [
        RANK,
        STREET,
        *(SOURCE_SHARE % {"name": s["name"], "weight": weight_text(s["weight"])} for s in sources),
        TOTAL,
    ]
    rows = [[row["rank"], row["name"], *row["sources"], row["total"]] for row in data["streets"]]
    lines += table(header, rows)
    lines.append("[[figure:totals]]")
    chart = horizontal_bar_chart(
        title=str(TOTALS_CHART),
        bars=[(row["name"], Decimal(row["total"]) if row["total"] is not None else None) for row in data["streets"]],
        maximum=100,
        unit="",
    )
    return lines, {"totals": chart}


def _lists(*, data: dict, office: str) -> list[str]:
    lines = [heading(1, 2, LISTS)]
    scheme = data["scheme"]
    if scheme is None:
        return [*lines, str(NO_LISTS)]
    lines.append(
        str(
            LIST_RULE
            % {
                "red_top": scheme["red_top"],
                "red_min": weight_text(scheme["red_min_score"]),
                "black_bottom": scheme["black_bottom"],
                "black_max": weight_text(scheme["black_max_score"]),
            }
        )
    )
    lines.append(heading(2, 1, RED_HEADING))
    lines.append(str(RED_TEXT % {"streets": names_joined(data["red"])}) if data["red"] else str(RED_NONE))
    lines.append(heading(2, 2, BLACK_HEADING))
    lines.append(
        str(BLACK_TEXT % {"streets": names_joined(data["black"]), "office": office, "days": BLACK_LIST_DAYS})
        if data["black"]
        else str(BLACK_NONE)
    )
    return lines


def _subsidy(data: dict) -> tuple[list[str], list[str]]:
    """The section's lines and the attachment's lines (none without a rule)."""
    lines = [heading(1, 3, SUBSIDY)]
    subsidy = data["subsidy"]
    if subsidy is None:
        return [*lines, str(NO_SUBSIDY % {"year": data["year"]})], []
    basis = str(
        SUBSIDY_BASIS
        % {
            "rule": subsidy["rule"],
            "pool": money(Decimal(subsidy["pool"])),
            "minimum": weight_text(subsidy["pool_min_score"]),
        }
    )
    if Decimal(subsidy["black_list_deduction"]):
        basis += " " + str(SUBSIDY_BLACK % {"amount": money(Decimal(subsidy["black_list_deduction"]))})
    lines.append(f"{basis} {SUBSIDY_TABLE_INTRO}")
    header = [RANK, STREET, TOTAL, POOL_SHARE, AWARD, DEDUCTION, AMOUNT]
    rows = [
        [
            line["rank"],
            line["name"],
            line["score"],
            money(Decimal(line["pool_share"])),
            money(Decimal(line["award"])),
            money(Decimal(line["deduction"])),
            money(Decimal(line["total"])),
        ]
        for line in subsidy["lines"]
    ]
    lines += table(header, rows)
    lines.append(str(SUBSIDY_TOTAL % {"total": money(Decimal(subsidy["total"]))}))

    attachment = [f"# {SUBSIDY_ATTACHMENT}", str(SUBSIDY_ATTACHMENT_BASIS % {"rule": subsidy["rule"]})]
    attachment += table(
        [NUMBER, STREET, WORKING, AMOUNT],
        [
            [number, line["name"], str(WORKING_SEPARATOR).join(line["working"]), money(Decimal(line["total"]))]
            for number, line in enumerate(subsidy["lines"], start=1)
        ],
    )
    return lines, attachment


def _problems(data: dict) -> list[str]:
    lines = [heading(1, 4, PROBLEMS)]
    problems = data["problems"]
    if problems["total"]:
        types = names_joined(
            str(PROBLEM_COUNT % {"name": row["name"], "count": row["count"]})
            for row in problems["types"][:TOP_PROBLEM_TYPES]
        )
        streets = names_joined(
            str(PROBLEM_COUNT % {"name": row["name"], "count": row["count"]})
            for row in problems["streets"][:TOP_PROBLEM_STREETS]
        )
        lines.append(
            f"{PROBLEMS_FOUND % {'count': problems['total'], 'types': types}} {PROBLEM_STREETS % {'streets': streets}}"
        )
    else:
        lines.append(str(NO_PROBLEMS))
    figures = data["rectifications"]
    closed, on_time = figures["closed"], figures["closed_on_time"]
    rate = f"{rounded(Decimal(on_time) * 100 / closed)}%" if closed else NO_VALUE
    lines.append(
        str(
            RECTIFICATIONS
            % {
                "opened": figures["opened"],
                "closed": closed,
                "on_time": on_time,
                "rate": rate,
                "overdue": figures["overdue_at_end"],
            }
        )
    )
    return lines


def _requirements() -> list[str]:
    return [heading(1, 5, REQUIREMENTS)] + [
        heading(2, number, paragraph) for number, paragraph in enumerate(REQUIREMENT_PARAGRAPHS, start=1)
    ]


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    """The numbered 讲评通报: basis, results, 红黑榜, subsidies, problems, requirements; the
    subsidy working as its attachment."""
    with in_document_language():
        office = office_of(issuer)
        results, figures = _results(data)
        subsidy, attachment = _subsidy(data)
        body = [
            *_basis(data=data, office=office),
            *results,
            *_lists(data=data, office=office),
            *subsidy,
            *_problems(data),
            *_requirements(),
            *attachment,
        ]
        return ReportDocument(
            title=str(TITLE % {"year": data["year"], "quarter": QUARTERS[data["quarter"]]}),
            recipients=str(RECIPIENTS),
            body="\n".join(body),
            figures=figures,
            attachments=str(SUBSIDY_ATTACHMENT) if attachment else "",
            copy_to=str(COPY_TO),
            numbered=True,
        )
