"""Demo branches: the association's branch units (sanitation/organisations/demo.py BRANCHES)
as registered branches with tiers, terms, 2025 targets and assessments and 2026 targets.

Terms are placed relative to the day of seeding, so that the demo always has two terms
ending within 90 days and one that ended a month ago without renewal (换届提醒 has
something to show). Rows that exist are left alone: a second run creates nothing.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from sanitation.organisations.demo import ASSOCIATION, BRANCHES
from sanitation.organisations.models import Unit, User

from . import services
from .models import Branch, BranchStatus, BranchTier, BranchYearPlan

TERM_YEARS = 5
ASSESSED_ON = date(2026, 1, 20)

# unit code: field, scope, tier, reason, status, days from today to the current term's end,
# officers (chair, secretary-general) of each term, oldest first.
DEMO = {
    "CUEA-FZ01": (
        "生活垃圾分类",
        "生活垃圾分类政策研究、经验交流、示范推广与培训。",
        BranchTier.A,
        "覆盖面广、活动规范，承担协会年度重点工作。",
        BranchStatus.ACTIVE,
        40,
        [("周建国", "刘海涛"), ("吴志明", "孙丽"), ("郑文华", "马晓东")],
    ),
    "CUEA-FZ02": (
        "垃圾处理与资源化利用",
        "焚烧、填埋、厨余垃圾处理技术交流，标准研制与设施评价。",
        BranchTier.A,
        "会员单位多，标准研制任务重。",
        BranchStatus.ACTIVE,
        900,
        [("陈立新", "何静"), ("林国栋", "何静"), ("黄振宇", "邓雪梅")],
    ),
    "CUEA-FZ03": (
        "环卫车辆与装备",
        "环卫车辆装备技术交流、展会组织与产品评价。",
        BranchTier.B,
        "活动正常，行业影响有待提升。",
        BranchStatus.ACTIVE,
        75,
        [("赵德明", "钱伟"), ("杨光", "许文涛")],
    ),
    "CUEA-FZ04": (
        "道路清扫保洁",
        "道路机械化清扫、作业标准与作业质量评价交流。",
        BranchTier.C,
        "活动偏少，2025年度考核不合格，限期整改。",
        BranchStatus.RECTIFYING,
        -30,
        [("冯志强", "韩梅"), ("曹建华", "韩梅")],
    ),
    "CUEA-FZ05": (
        "城乡环卫一体化",
        "农村生活垃圾治理与城乡环卫一体化模式研究和推广。",
        BranchTier.C,
        "成立时间短，处于培育期。",
        BranchStatus.ACTIVE,
        1400,
        [("唐爱民", "罗晓燕")],
    ),
    "CUEA-FZ06": (
        "环卫设施规划建设",
        "转运站、环卫公厕等设施规划建设与运营管理交流。",
        BranchTier.B,
        "工作规范，专家资源较好。",
        BranchStatus.ACTIVE,
        400,
        [("彭建军", "蒋琳"), ("蔡卫东", "沈佳")],
    ),
}
TARGETS = {
    2025: "\n".join(
        [
            "1. 召开年度工作会议和一次专题技术交流会；",
            "2. 完成一项团体标准或技术指南的研制任务；",
            "3. 发展新会员不少于10家。",
        ]
    ),
    2026: "\n".join(
        [
            "1. 围绕协会年度重点工作开展专题调研并形成报告；",
            "2. 举办一期业务培训；",
            "3. 按时报送半年和全年工作总结。",
        ]
    ),
}
# 2025 assessments (score, comments); FZ05, founded in 2025, is not assessed.
ASSESSMENTS = {
    "CUEA-FZ01": (92, "全面完成年度目标，示范推广成效突出。"),
    "CUEA-FZ02": (86, "标准研制进展顺利，交流活动规范。"),
    "CUEA-FZ03": (78, "完成主要目标，会员发展不足。"),
    "CUEA-FZ04": (55, "年度活动未按计划开展，总结报送滞后。"),
    "CUEA-FZ06": (71, "基本完成目标。"),
}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _terms(today: date, days_to_end: int, count: int) -> list[tuple[date, date]]:
    """`count` consecutive five-year terms, the last ending `days_to_end` from today; oldest first."""
    ends_on = today + timedelta(days=days_to_end)
    terms = []
    for _ in range(count):
        starts_on = _years_before(ends_on, TERM_YEARS) + timedelta(days=1)
        terms.append((starts_on, ends_on))
        ends_on = starts_on - timedelta(days=1)
    return terms[::-1]


@transaction.atomic
def seed() -> dict:
    created = {"branches": 0, "terms": 0, "year plans": 0, "assessments": 0}
    today = timezone.localdate()
    association = Unit.objects.get(code=ASSOCIATION[0])
    by = User.objects.filter(username="secretariat").first()
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=DEMO)}
    for code, name in BRANCHES:
        field, scope, tier, reason, status, days_to_end, officers = DEMO[code]
        terms = _terms(today, days_to_end, len(officers))
        branch = Branch.objects.filter(organisation=association, name=name).first()
        if branch is None:
            branch = services.branch_create(
                organisation=association,
                by=by,
                name=name,
                unit=units[code],
                field=field,
                scope=scope,
                founded_on=terms[0][0],
                tier=tier,
                tier_reason=reason,
                status=status,
            )
            created["branches"] += 1
        numbers = set(branch.terms.values_list("number", flat=True))
        for number, ((starts_on, ends_on), (chair, secretary)) in enumerate(zip(terms, officers, strict=True), 1):
            if number in numbers or (numbers and number < max(numbers)):
                continue
            services.branch_term_renew(
                branch=branch,
                by=by,
                number=number,
                starts_on=starts_on,
                ends_on=ends_on,
                chair=chair,
                secretary_general=secretary,
            )
            created["terms"] += 1
        _year_plans(branch, code, by, created)
    return created


def _year_plans(branch: Branch, code: str, by, created: dict) -> None:
    plans = {plan.year: plan for plan in BranchYearPlan.objects.filter(branch=branch)}
    for year, targets in TARGETS.items():
        if year not in plans:
            plans[year] = services.branch_targets_set(branch=branch, year=year, targets=targets, by=by)
            created["year plans"] += 1
    if code in ASSESSMENTS and not plans[2025].is_assessed:
        score, comments = ASSESSMENTS[code]
        services.branch_assess(branch=branch, year=2025, score=score, comments=comments, assessed_on=ASSESSED_ON, by=by)
        created["assessments"] += 1
