"""Demo ratings of the association (CUEA), the same on every run:

- the incineration scheme (six criteria, AAA ≥ 90, AA ≥ 80, A ≥ 70, valid 3 years) and six
  plants; its 2024 round published on 2024-01-31 (中环卫〔2024〕01号) whose two ratings end on
  2027-01-19, and its 2026 round, open: four plants rated from three experts' scores and
  北岭市生活垃圾焚烧发电厂 submitted, not scored yet (the journey scores, rates and publishes);
- the credit scheme (AAA/AA/A/B, valid 2 years) and eight enterprises: four rated in the
  2024 round published on 2024-07-15 (中环卫〔2024〕02号), expired on 2026-07-09 and not
  renewed yet; all eight rated AAA…B in the 2026 round, not published (公示), one revoked.
Fictitious names; credit codes with a valid check character.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from sanitation.core.credit_code import check_character
from sanitation.organisations.models import Unit, User

from . import services
from .models import (
    Business,
    Criterion,
    Enterprise,
    Facility,
    FacilityKind,
    GradeThreshold,
    Programme,
    RatingApplication,
    RatingRound,
    RatingScheme,
)

FACILITY_SCHEME = ("生活垃圾焚烧厂无害化等级评价标准", 2023, 3)
FACILITY_CRITERIA = [
    ("垃圾接收与贮存", 15),
    ("焚烧工艺与运行", 25),
    ("烟气净化与排放", 25),
    ("飞灰与炉渣处置", 15),
    ("渗滤液与臭气控制", 10),
    ("安全与运营管理", 10),
]
FACILITY_GRADES = [("AAA", 90), ("AA", 80), ("A", 70)]
CREDIT_SCHEME = ("环卫行业企业信用评价标准", 2025, 2)
CREDIT_CRITERIA = [
    ("基本信息与经营资质", 15),
    ("财务状况", 20),
    ("管理水平与安全生产", 25),
    ("服务质量与履约", 25),
    ("社会责任与信用记录", 15),
]
CREDIT_GRADES = [("AAA", 90), ("AA", 80), ("A", 70), ("B", 60)]
FACILITY_EXPERTS = ("张教授", "李高工", "王研究员")
CREDIT_EXPERTS = ("赵会计师", "钱律师", "孙高工")
EXPERT_OFFSETS = (Decimal("-1.5"), Decimal("0.5"), Decimal("1"))  # they average to 0

PLANTS = [
    # name, province, city, address, t/d, operator, region code of the operator's credit code
    ("江北市生活垃圾焚烧发电厂", "江苏省", "江北市", "江北区环保路88号", 2250, "江北绿能环保发电有限公司", "320100"),
    ("云溪市静脉产业园生活垃圾焚烧厂", "浙江省", "云溪市", "园区大道1号", 3000, "云溪环境能源有限公司", "330100"),
    ("南川市生活垃圾焚烧发电厂", "广东省", "南川市", "南川镇东坑村", 1500, "南川粤能环保电力有限公司", "440100"),
    ("青城市循环经济产业园焚烧发电厂", "四川省", "青城市", "产业园6号", 1200, "青城蓉新环保能源有限公司", "510100"),
    ("北岭市生活垃圾焚烧发电厂", "河北省", "北岭市", "开发区环卫路3号", 800, "北岭冀清环保能源有限公司", "130100"),
    ("东滨市生活垃圾焚烧发电厂", "山东省", "东滨市", "滨海新区海港路17号", 600, "东滨鲁洁环保科技有限公司", "370100"),
]
UNDER_REVIEW = "北岭市生活垃圾焚烧发电厂"
# round year → (submitted, rated, circular written on or None, {plant: average total or None})
FACILITY_ROUNDS = {
    2024: (
        date(2023, 11, 10),
        date(2024, 1, 20),
        date(2024, 1, 31),
        {PLANTS[0][0]: 84, PLANTS[5][0]: 72, PLANTS[2][0]: Decimal("66.5")},
    ),
    2026: (
        date(2026, 6, 15),
        date(2026, 10, 20),
        None,
        {PLANTS[0][0]: 93, PLANTS[1][0]: Decimal("86.5"), PLANTS[2][0]: 81, PLANTS[3][0]: 74, UNDER_REVIEW: None},
    ),
}

ENTERPRISES = [
    # name, region, business, contact, phone, region code of the credit code
    ("北京洁城环境服务有限公司", "北京市朝阳区", Business.STREET_CLEANING, "刘建华", "010-64012345", "110105"),
    ("上海净美环卫工程有限公司", "上海市浦东新区", Business.STREET_CLEANING, "陈静", "021-58012345", "310115"),
    ("广州绿源环境卫生服务有限公司", "广东省广州市", Business.COLLECTION, "黄志强", "020-83012345", "440106"),
    ("深圳市清风环境科技有限公司", "广东省深圳市", Business.COLLECTION, "林晓东", "0755-26012345", "440305"),
    ("杭州碧水环保科技有限公司", "浙江省杭州市", Business.TREATMENT, "周敏", "0571-87012345", "330106"),
    ("成都蓉洁环卫服务有限公司", "四川省成都市", Business.STREET_CLEANING, "杨帆", "028-86012345", "510107"),
    ("武汉江城环境工程有限公司", "湖北省武汉市", Business.COLLECTION, "吴磊", "027-85012345", "420106"),
    ("西安秦洁环境卫生管理有限公司", "陕西省西安市", Business.TREATMENT, "郑伟", "029-87012345", "610113"),
]
_NAMES = [enterprise[0] for enterprise in ENTERPRISES]
# As FACILITY_ROUNDS. The 2024 ratings ended on 2026-07-09; the 2026 list is in its public
# notice period (公示), not published yet: a 2026 circular would take the year's first number.
CREDIT_ROUNDS = {
    2024: (
        date(2024, 4, 20),
        date(2024, 7, 10),
        date(2024, 7, 15),
        dict(zip(_NAMES[:4], (91, 85, 78, 88), strict=True)),
    ),
    2026: (
        date(2026, 4, 20),
        date(2026, 10, 20),
        None,
        dict(zip(_NAMES, (94, 91, 87, 84, 82, 76, 71, 63), strict=True)),
    ),
}
REVOKED = (
    "深圳市清风环境科技有限公司",
    "公示期间收到举报，经核查其作业车辆2026年9月发生较大道路交通事故，存在严重安全生产违规行为，撤销其信用等级。",
)


def demo_credit_code(region: str, number: int) -> str:
    first_17 = f"91{region}MA{number:07d}"
    return first_17 + check_character(first_17)


def points_for(criteria: list[Criterion], total: Decimal) -> dict[Criterion, Decimal]:
    """Points in halves, near each criterion's share of its maximum, summing to total."""
    full = sum(c.max_points for c in criteria)
    points = {c: min(c.max_points, (c.max_points * total / full * 2).quantize(Decimal(1)) / 2) for c in criteria}
    step = Decimal("0.5")
    position = 0
    while (missing := total - sum(points.values())) != 0:
        criterion = criteria[position % len(criteria)]
        change = step if missing > 0 else -step
        if 0 <= points[criterion] + change <= criterion.max_points:
            points[criterion] += change
        position += 1
    return points


@transaction.atomic
def seed() -> dict:
    association = Unit.objects.filter(code="CUEA").first()
    if association is None:
        return {}
    user = User.objects.filter(username="secretariat").first()
    created = {"rating rounds": 0, "facilities": 0, "enterprises": 0}
    scheme = _scheme(association, Programme.FACILITY, FACILITY_SCHEME, FACILITY_CRITERIA, FACILITY_GRADES)
    plants = {name: _plant(association, number, created, *rest) for number, (name, *rest) in enumerate(PLANTS, 1)}
    subjects = {name: {"facility": plant} for name, plant in plants.items()}
    created["rating rounds"] += _rounds(scheme, FACILITY_ROUNDS, subjects, FACILITY_EXPERTS, user)
    scheme = _scheme(association, Programme.CREDIT, CREDIT_SCHEME, CREDIT_CRITERIA, CREDIT_GRADES)
    enterprises = [_enterprise(association, number, created, *e) for number, e in enumerate(ENTERPRISES, 1)]
    subjects = {enterprise.name: {"enterprise": enterprise} for enterprise in enterprises}
    if _rounds(scheme, CREDIT_ROUNDS, subjects, CREDIT_EXPERTS, user):
        created["rating rounds"] += 2
        revoked = RatingApplication.objects.get(round__scheme=scheme, round__year=2026, enterprise__name=REVOKED[0])
        services.rating_revoke(application=revoked, reason=REVOKED[1], user=user)
    return created


def _rounds(scheme: RatingScheme, rounds: dict, subjects: dict, experts, user) -> int:
    """The scheme's demo rounds, unless it has some already; how many were made."""
    if RatingRound.objects.filter(scheme=scheme).exists():
        return 0
    for year, (submitted, rated, written, totals) in rounds.items():
        rating_round = services.round_open(scheme=scheme, year=year)
        for name, total in totals.items():
            _rated(rating_round, subjects[name], total, submitted, rated, experts, user)
        if written:
            services.round_publish(rating_round=rating_round, user=user, written_on=written)
    return len(rounds)


def _enterprise(association, number, created, name, region, business, person, phone, code) -> Enterprise:
    enterprise, was_created = Enterprise.objects.get_or_create(
        organisation=association,
        credit_code=demo_credit_code(code, 1000 + number),
        defaults={
            "name": name,
            "region": region,
            "business": business,
            "contact_person": person,
            "contact_phone": phone,
        },
    )
    created["enterprises"] += was_created
    return enterprise


def _scheme(association, programme, scheme_fields, criteria, grades) -> RatingScheme:
    title, year, valid_years = scheme_fields
    kind = FacilityKind.INCINERATION if programme == Programme.FACILITY else ""
    scheme, created = RatingScheme.objects.get_or_create(
        organisation=association,
        programme=programme,
        facility_kind=kind,
        year=year,
        defaults={"title": title, "valid_years": valid_years},
    )
    if created:
        Criterion.objects.bulk_create(
            Criterion(scheme=scheme, position=position, name=name, max_points=points)
            for position, (name, points) in enumerate(criteria, start=1)
        )
        GradeThreshold.objects.bulk_create(
            GradeThreshold(scheme=scheme, grade=grade, min_total=least) for grade, least in grades
        )
    return scheme


def _plant(association, number, created, province, city, address, capacity, operator, region) -> Facility:
    facility, was_created = Facility.objects.get_or_create(
        organisation=association,
        name=PLANTS[number - 1][0],
        defaults={
            "kind": FacilityKind.INCINERATION,
            "province": province,
            "city": city,
            "address": address,
            "capacity": capacity,
            "operator_name": operator,
            "operator_credit_code": demo_credit_code(region, number),
        },
    )
    created["facilities"] += was_created
    return facility


def _rated(rating_round, subject: dict, total, submitted: date, rated: date, experts, user):
    application = services.application_submit(rating_round=rating_round, submitted_on=submitted, user=user, **subject)
    if total is None:
        return application
    criteria = list(rating_round.scheme.criteria.all())
    for expert, offset in zip(experts, EXPERT_OFFSETS, strict=True):
        scores = points_for(criteria, Decimal(total) + offset)
        services.expert_scores_record(application=application, expert=expert, scores=scores, user=user)
    return services.application_rate(application=application, on=rated, user=user)
