"""Demo supervision of 城东区: the 2026 assessment scheme, six weeks of the clerk's inspections and
the rectifications they opened, third-party and public-opinion scores, and the subsidy rule.

The story: the clerk sees every site at the district's interval (problem sites twice as often) on
working days up to yesterday. 解放街道 (three sites still without sorting bins) and 北苑街道 are
found wanting at most visits, so they rank last week after week; the other streets slip now and
then. Streets answer most rectifications and the office closes them, sends a few back, and some
are left to go overdue. Inspections go through `inspection_record` and rectifications through
their services, so every score and state is the real one.

Each visit's findings are drawn from a generator seeded by the site and the day, so a day's
inspections are the same whichever day the seed runs; a second run on the same day creates nothing.
"""

import datetime
import random
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from classification.models import Site, SiteKind
from sanitation.organisations.demo import DEMO_PASSWORD
from sanitation.organisations.models import Role, Unit, UnitKind, User
from sanitation.organisations.services import user_ensure

from . import inspections, rectifications
from .models import (
    AssessmentScheme,
    Assignment,
    Criterion,
    DeductionRule,
    Inspection,
    InspectionInterval,
    InspectionKind,
    ProblemType,
    RankAward,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
    SchemeStatus,
    ScoreSource,
    SourceKind,
    StreetSourceScore,
    SubsidyRule,
)
from .problem_types import standard_problem_types_ensure
from .rotation import REASON_DUE

DISTRICT_CODE = "CD"
CLERK, SECOND_CLERK = "clerk", "clerk2"
EAST_LAKE, EAST_LAKE_USER = "CD-JD01", "street"  # 东湖街道 and its 周干事 (sanitation/organisations/demo.py)
FIRST_YEAR = 2026  # the first year with a scheme; later years get the same one, so the demo keeps working
WEEKS = 6
ANCHOR = datetime.date(2026, 1, 5)  # a Monday: visits fall on working days counted from it

SOURCES = [
    (SourceKind.INSPECTION, "日常督查", 60),
    (SourceKind.THIRD_PARTY, "第三方测评", 30),
    (SourceKind.PUBLIC_OPINION, "群众评议", 10),
]
DEMONSTRATION_KINDS = [SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING]
CRITERIA = [
    # name, points, site kinds ([] for all), what is checked
    ("宣传动员", 15, [], "宣传栏、入户宣传、督导员在岗引导"),
    ("设施投放", 20, [], "分类容器配置齐全、完好、整洁，无满溢"),
    ("标识指引", 15, [], "投放点标识规范统一、清晰完整"),
    ("台账建立", 15, [], "收运、督导、宣传台账齐全，记录及时"),
    ("示范创建", 10, DEMONSTRATION_KINDS, "示范小区、示范楼宇创建工作"),
    ("分类效果", 25, [], "居民分类投放准确率，无混投混装混运"),
]
RULES = {
    # problem type code: (criterion, points per occurrence)
    "mixed-disposal": ("分类效果", 5),
    "mixed-loading": ("分类效果", 10),
    "mixed-transport": ("分类效果", 10),
    "unlicensed-collection": ("分类效果", 8),
    "damaged-bins": ("设施投放", 5),
    "missing-signs": ("标识指引", 5),
    "incomplete-ledger": ("台账建立", 5),
    "supervisor-absent": ("宣传动员", 5),
    "overflowing": ("设施投放", 3),
    "odour": ("设施投放", 2),
    "no-publicity": ("宣传动员", 5),
    "bins-missing": ("设施投放", 10),
}
INTERVALS = {
    SiteKind.MANAGED_ESTATE: 7,
    SiteKind.OPEN_ESTATE: 7,
    SiteKind.OFFICE_BUILDING: 14,
    SiteKind.PUBLIC_INSTITUTION: 14,
    SiteKind.SCHOOL: 14,
    SiteKind.SUPERMARKET: 10,
    SiteKind.RESTAURANT: 10,
    SiteKind.FARMERS_MARKET: 10,
}
SUBSIDY_POOL = Decimal(400_000)  # per quarter
SUBSIDY_MIN_SCORE = Decimal(60)
BLACK_LIST_DEDUCTION = Decimal(5_000)
AWARDS = [(1, False, 30_000), (2, False, 20_000), (3, False, 10_000), (1, True, -10_000)]


class StreetProfile(NamedTuple):
    findings: float  # chance that a visit finds something
    problem_sites: float  # share of the street's sites visited twice as often
    third_party: str  # last quarter's scores
    public_opinion: str


STREETS = {
    "东湖街道": StreetProfile(0.12, 0.05, "93.50", "91.00"),
    "南门街道": StreetProfile(0.20, 0.10, "88.00", "86.50"),
    "西关街道": StreetProfile(0.16, 0.10, "90.50", "88.00"),
    "北苑街道": StreetProfile(0.80, 0.35, "72.50", "75.00"),
    "新华街道": StreetProfile(0.10, 0.05, "95.00", "92.50"),
    "解放街道": StreetProfile(0.80, 0.40, "68.00", "70.50"),
    "建设街道": StreetProfile(0.18, 0.10, "87.00", "89.00"),
    "文化街道": StreetProfile(0.14, 0.05, "91.50", "90.00"),
}
LAGGING = ("北苑街道", "解放街道")
ORDINARY = StreetProfile(0.15, 0.10, "85.00", "85.00")

# Problem types by how often they are found, with what the clerk writes.
FINDINGS = {
    "mixed-disposal": (30, ["厨余垃圾桶内混有塑料袋、餐盒", "其他垃圾桶内混入大量厨余垃圾", "可回收物桶内混投"]),
    "overflowing": (16, ["晚间投放高峰后垃圾桶满溢未及时清运", "厨余垃圾桶满溢，周边地面有散落"]),
    "supervisor-absent": (14, ["投放时段督导员不在岗", "督导员未按排班到岗"]),
    "missing-signs": (12, ["投放点分类标识脱落", "新增桶位未张贴分类标识"]),
    "damaged-bins": (10, ["厨余垃圾桶桶盖破损", "桶点地面破损积水"]),
    "incomplete-ledger": (10, ["督导台账缺近一周记录", "收运台账未填写去向"]),
    "no-publicity": (8, ["宣传栏内容未更新", "未开展入户宣传"]),
    "odour": (6, ["桶点异味明显，未按时清洗"]),
    "mixed-loading": (4, ["收运时两类垃圾混装同一车厢"]),
    "bins-missing": (3, ["投放点缺少厨余垃圾桶", "仅设置其他垃圾桶，未分类设置容器"]),
    "mixed-transport": (2, ["分类收集后混合运输"]),
    "unlicensed-collection": (1, ["发现无资质单位收运餐厨垃圾"]),
}
# At a site still without sorting the clerk finds the same thing every time.
UNSORTED = ["bins-missing", "mixed-disposal"]

# What a street answers, by problem type.
ANSWERS = {
    "mixed-disposal": "已组织物业二次分拣，投放高峰增派督导员引导",
    "overflowing": "已联系收运单位增加清运频次，满溢垃圾已清理",
    "supervisor-absent": "已调整督导员排班，落实定时定点在岗",
    "missing-signs": "已重新张贴分类标识",
    "damaged-bins": "已更换破损容器，桶点清洗消毒完毕",
    "incomplete-ledger": "已补齐台账记录，明确专人每日填写",
    "no-publicity": "已更新宣传栏内容，开展入户宣传",
    "odour": "已清洗桶点并喷洒除臭剂",
    "mixed-loading": "已约谈收运单位，落实分车收运",
    "bins-missing": "已补设厨余垃圾等分类收集容器",
    "mixed-transport": "已约谈收运单位，落实分类运输",
    "unlicensed-collection": "已终止无资质单位收运，改由有资质单位收运",
}
CLOSINGS = ["复查合格，予以销号", "现场复查已整改到位"]
SEND_BACKS = ["复查时问题仍然存在，请继续整改", "整改照片与现场不符，请重新整改"]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def schemes_seed(district: Unit, today: datetime.date) -> tuple[dict[int, AssessmentScheme], int]:
    """The scheme of every year from 2026 to this one (version 1, in force from 1 January)."""
    types = standard_problem_types_ensure()
    by_year, created = {}, 0
    for year in range(FIRST_YEAR, max(today.year, FIRST_YEAR) + 1):
        scheme, was_created = AssessmentScheme.objects.get_or_create(
            district=district,
            year=year,
            version=1,
            defaults={
                "title": f"{district.name}{year}年生活垃圾分类工作考核办法",
                "status": SchemeStatus.IN_FORCE,
                "in_force_from": datetime.date(year, 1, 1),
                "note": "日常督查占60%、第三方测评占30%、群众评议占10%；季度讲评，年终综合评定。",
            },
        )
        by_year[year] = scheme
        if not was_created:
            continue
        created += 1
        ScoreSource.objects.bulk_create(
            ScoreSource(scheme=scheme, kind=kind, name=name, weight=weight, order=order)
            for order, (kind, name, weight) in enumerate(SOURCES)
        )
        criteria = Criterion.objects.bulk_create(
            Criterion(
                scheme=scheme,
                name=name,
                points=Decimal(points),
                site_kinds=[str(kind) for kind in kinds],
                description=description,
                order=order,
            )
            for order, (name, points, kinds, description) in enumerate(CRITERIA)
        )
        by_name = {criterion.name: criterion for criterion in criteria}
        DeductionRule.objects.bulk_create(
            DeductionRule(scheme=scheme, problem_type=types[code], criterion=by_name[name], points=Decimal(points))
            for code, (name, points) in RULES.items()
            if code in types
        )
    return by_year, created


def rules_seed(district: Unit, years) -> dict:
    created = {"intervals": 0, "subsidy rules": 0}
    existing = set(InspectionInterval.objects.filter(district=district).values_list("site_kind", flat=True))
    intervals = [
        InspectionInterval(district=district, site_kind=kind, days=days)
        for kind, days in INTERVALS.items()
        if kind not in existing
    ]
    InspectionInterval.objects.bulk_create(intervals)
    created["intervals"] = len(intervals)
    for year in years:
        rule, was_created = SubsidyRule.objects.get_or_create(
            district=district,
            year=year,
            defaults={
                "title": f"{district.name}{year}年生活垃圾分类以奖代补资金分配办法",
                "pool": SUBSIDY_POOL,
                "pool_min_score": SUBSIDY_MIN_SCORE,
                "black_list_deduction": BLACK_LIST_DEDUCTION,
            },
        )
        if was_created:
            created["subsidy rules"] += 1
            RankAward.objects.bulk_create(
                RankAward(rule=rule, rank=rank, from_bottom=from_bottom, amount=Decimal(amount))
                for rank, from_bottom, amount in AWARDS
            )
    return created


def street_staff_seed(streets: list[Unit]) -> dict[int, User]:
    """Who answers for each street: the demo's 周干事 for 东湖街道, a sorting officer elsewhere."""
    staff = {}
    for street in streets:
        username = EAST_LAKE_USER if street.code == EAST_LAKE else f"street{street.code.removeprefix('CD-JD')}"
        user = _user(username)
        if user is None:
            user, _ = user_ensure(
                username=username,
                password=DEMO_PASSWORD,
                display_name=f"{street.display_name}分类专干",
                unit=street,
                role=Role.UNIT_STAFF,
            )
        staff[street.pk] = user
    return staff


def _working_day(day: datetime.date) -> int:
    return (day - ANCHOR).days // 7 * 5 + day.weekday()


def _profile(street: Unit) -> StreetProfile:
    return STREETS.get(street.name, ORDINARY)


def visits(sites: list[Site], start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, Site]]:
    """(day, site) of every visit in [start, end]: working days, each site at its kind's interval in
    working days, problem sites at half of it, at a phase fixed by the site."""
    planned = []
    for site in sites:
        rng = random.Random(f"supervision/site/{site.street.code}/{site.name}")
        every = max(1, round(INTERVALS.get(site.kind, 14) * 5 / 7))
        if rng.random() < _profile(site.street).problem_sites or site.covered_since is None:
            every = max(1, every // 2)
        phase = rng.randrange(every)
        day = start
        while day <= end:
            if day.weekday() < 5 and (_working_day(day) + phase) % every == 0:
                planned.append((day, site))
            day += datetime.timedelta(days=1)
    planned.sort(key=lambda visit: (visit[0], visit[1].street.path, visit[1].name))
    return planned


def findings(site: Site, day: datetime.date, types: dict[str, ProblemType]) -> list[inspections.ProblemInput]:
    rng = random.Random(f"supervision/visit/{site.street.code}/{site.name}/{day.isoformat()}")
    if site.covered_since is None:
        codes = UNSORTED[: 1 + (rng.random() < 0.5)]
    else:
        chance = _profile(site.street).findings
        if rng.random() >= chance:
            return []
        count = 1 + (rng.random() < chance * 0.6) + (rng.random() < chance * 0.3)
        codes = []
        weights = [weight for weight, _ in FINDINGS.values()]
        while len(codes) < count:
            code = rng.choices(list(FINDINGS), weights=weights)[0]
            if code not in codes:
                codes.append(code)
    return [
        inspections.ProblemInput(problem_type=types[code], note=rng.choice(FINDINGS[code][1]))
        for code in codes
        if code in types
    ]


def inspections_seed(*, district, sites, clerks, today) -> tuple[list[Inspection], dict]:
    """The visits of the last six weeks up to yesterday that are not recorded yet."""
    clerk, second_clerk = clerks
    start = max(today - datetime.timedelta(weeks=WEEKS), datetime.date(FIRST_YEAR, 1, 1))
    end = today - datetime.timedelta(days=1)
    done = {
        (site_id, timezone.localtime(at).date())
        for site_id, at in Inspection.objects.filter(street__path__startswith=district.path).values_list(
            "site_id", "inspected_at"
        )
    }
    types = {problem_type.code: problem_type for problem_type in ProblemType.objects.filter(is_active=True)}
    streets = {street.pk: n for n, street in enumerate(sorted({site.street for site in sites}, key=lambda u: u.path))}
    made, at_of_day = [], {}
    for day, site in visits(sites, start, end):
        order = at_of_day[day] = at_of_day.get(day, -1) + 1
        if (site.pk, day) in done:
            continue
        rng = random.Random(f"supervision/when/{site.street.code}/{site.name}/{day.isoformat()}")
        kind = rng.choices(
            [InspectionKind.DAILY, InspectionKind.UNANNOUNCED, InspectionKind.SPECIAL, InspectionKind.JOINT],
            weights=[80, 10, 6, 4],
        )[0]
        clock = datetime.datetime.combine(day, datetime.time(8, 30)) + datetime.timedelta(minutes=22 * order)
        lane = streets[site.street_id]
        made.append(
            inspections.inspection_record(
                site=site,
                recorded_by=clerk,
                inspected_at=timezone.make_aware(clock),
                kind=kind,
                inspectors=(clerk, second_clerk) if kind == InspectionKind.JOINT and second_clerk else (clerk,),
                problems=findings(site, day, types),
                latitude=Decimal("30.270000") + Decimal(lane) / 100 + Decimal(rng.randrange(900)) / 100000,
                longitude=Decimal("120.150000") + Decimal(rng.randrange(9000)) / 1000000,
                accuracy_m=rng.randrange(5, 30),
            )
        )
    return made, {"inspections": len(made), "problems": sum(inspection.problem_count for inspection in made)}


def assignments_seed(*, made: list[Inspection], sites: list[Site], clerk: User) -> int:
    """The day lists the new inspections were made from, as the rotation hands them out: each
    inspection was on its clerk's list, and each working day one more site was listed and not
    reached, so the weekly report has something to count against."""
    rows = [
        Assignment(
            day=timezone.localdate(inspection.inspected_at),
            site_id=inspection.site_id,
            clerk_id=inspection.recorded_by_id,
            reason=REASON_DUE,
            inspection=inspection,
        )
        for inspection in made
    ]
    listed = {(row.day, row.site_id) for row in rows}
    for day in sorted({row.day for row in rows}):
        rng = random.Random(f"supervision/missed/{day.isoformat()}")
        unreached = [site for site in sites if (day, site.pk) not in listed]
        if unreached:
            rows.append(Assignment(day=day, site=rng.choice(unreached), clerk=clerk, reason=REASON_DUE))
    return len(Assignment.objects.bulk_create(rows, ignore_conflicts=True))


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def rectifications_seed(*, made: list[Inspection], staff: dict[int, User], clerks, today) -> int:
    """Move the new inspections' rectifications on as a street and the office would have, then date
    their events as if it had happened over the weeks rather than now."""
    clerk, second_clerk = clerks
    new = list(
        Rectification.objects.filter(problem__inspection__in=[inspection.pk for inspection in made])
        .select_related("unit", "site", "problem__inspection", "problem__problem_type")
        .order_by("problem__inspection__inspected_at", "id")
    )
    moved, times = 0, {}
    for rectification in new:
        inspected_at = rectification.problem.inspection.inspected_at
        opened = timezone.localtime(inspected_at).date()
        age = (today - opened).days
        problem = rectification.problem
        rng = random.Random(f"supervision/rectification/{rectification.site.name}/{opened}/{problem.problem_type.code}")
        roll = rng.random()
        lagging = rectification.unit.name in LAGGING
        answerer = staff.get(rectification.unit_id)
        reviewer = second_clerk if second_clerk and rng.random() < 0.3 else clerk
        steps = []
        if answerer is None or age <= 1:
            plan = []
        elif age <= 5:
            plan = ["start"] if roll < 0.35 else ["answer"] if roll < 0.7 else []
        elif roll < (0.45 if lagging else 0.75):
            plan = ["answer", "close"]
        elif roll < (0.55 if lagging else 0.83):
            plan = ["answer", "send_back"]
        elif roll < (0.62 if lagging else 0.9):
            plan = ["answer"]
        elif roll < (0.75 if lagging else 0.95):
            plan = ["start"]
        else:
            plan = []  # left alone: overdue once its deadline passes
        days_after = 0
        for step in plan:
            days_after += rng.randint(1, 2 if step == "start" else 3)
            when = _at(min(opened + datetime.timedelta(days=days_after), today - datetime.timedelta(days=1)), 15)
            if step == "start":
                rectification = rectifications.rectification_start(
                    rectification=rectification, by=answerer, text="已安排整改"
                )
            elif step == "answer":
                rectification = rectifications.rectification_answer(
                    rectification=rectification, by=answerer, text=ANSWERS.get(problem.problem_type.code, "已整改")
                )
            elif step == "close":
                rectification = rectifications.rectification_close(
                    rectification=rectification, by=reviewer, text=rng.choice(CLOSINGS)
                )
            else:
                extended = today + datetime.timedelta(days=rng.randint(2, 5)) if rng.random() < 0.6 else None
                rectification = rectifications.rectification_send_back(
                    rectification=rectification, by=reviewer, text=rng.choice(SEND_BACKS), deadline=extended
                )
            steps.append(when)
        if steps:
            moved += 1
            times[rectification.pk] = steps
    _date_history(times)
    return moved


def _date_history(times: dict[int, list[datetime.datetime]]) -> None:
    """Services stamp events with the time they run; the demo's history happened over six weeks.
    Each step's event gets the step's time (a deadline note the time of the send-back it follows)."""
    events = RectificationEvent.objects.filter(rectification_id__in=times).exclude(action=RectificationAction.OPEN)
    changed, closed, when = [], [], None
    for event in events.order_by("rectification_id", "id"):
        if event.action != RectificationAction.NOTE or when is None:
            when = times[event.rectification_id].pop(0)
        event.at = when
        changed.append(event)
        if event.to_state == RectificationState.CLOSED:
            closed.append(Rectification(pk=event.rectification_id, closed_at=when))
    RectificationEvent.objects.bulk_update(changed, ["at"], batch_size=1000)
    Rectification.objects.bulk_update(closed, ["closed_at"], batch_size=1000)


def _last_quarter(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    this_quarter = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter - datetime.timedelta(days=1)
    return datetime.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def source_scores_seed(*, streets: list[Unit], schemes: dict[int, AssessmentScheme], today) -> int:
    """Third-party and public-opinion scores of the last complete quarter, so its ranking has them."""
    start, end = _last_quarter(today)
    scheme = schemes.get(end.year)
    if scheme is None:
        return 0
    sources = {source.kind: source for source in scheme.sources.all()}
    created = 0
    for street in streets:
        profile = _profile(street)
        for kind, score, note in (
            (SourceKind.THIRD_PARTY, profile.third_party, "第三方机构季度测评"),
            (SourceKind.PUBLIC_OPINION, profile.public_opinion, "群众满意度调查"),
        ):
            if kind not in sources:
                continue
            _, was_created = StreetSourceScore.objects.get_or_create(
                source=sources[kind],
                street=street,
                period_start=start,
                period_end=end,
                defaults={"score": Decimal(score), "note": note},
            )
            created += was_created
    return created


@transaction.atomic
def seed() -> dict:
    """The scheme, rules, six weeks of inspections and rectifications, source scores; nothing twice."""
    created = dict.fromkeys(
        [
            "schemes",
            "intervals",
            "subsidy rules",
            "users",
            "inspections",
            "problems",
            "rectifications moved",
            "overdue",
            "source scores",
        ],
        0,
    )
    district = Unit.objects.filter(code=DISTRICT_CODE, kind=UnitKind.DISTRICT).first()
    clerk = _user(CLERK)
    if district is None or clerk is None:
        return created
    today = timezone.localdate()
    clerks = (clerk, _user(SECOND_CLERK))
    schemes, created["schemes"] = schemes_seed(district, today)
    created.update(rules_seed(district, schemes))
    streets = list(Unit.objects.filter(kind=UnitKind.STREET, parent=district).order_by("path"))
    users_before = User.objects.count()
    staff = street_staff_seed(streets)
    created["users"] = User.objects.count() - users_before
    sites = list(Site.objects.filter(street__in=streets).select_related("street").order_by("street__path", "name"))
    made, counts = inspections_seed(district=district, sites=sites, clerks=clerks, today=today)
    created.update(counts)
    created["assignments"] = assignments_seed(made=made, sites=sites, clerk=clerk)
    created["rectifications moved"] = rectifications_seed(made=made, staff=staff, clerks=clerks, today=today)
    created["overdue"] = rectifications.rectifications_mark_overdue(today=today)
    created["source scores"] = source_scores_seed(streets=streets, schemes=schemes, today=today)
    return created
