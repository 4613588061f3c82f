"""Demo members of the association: 28 unit members across 8 regions and every council seat,
8 individual experts and young talents, joining from 2015 to 2026; dues for 2025 all paid,
for 2026 about two thirds paid, so the 2026 renewal list has names on it. Deterministic:
every value follows from the member's position in the lists below."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from sanitation.core.credit_code import check_character
from sanitation.organisations.models import Unit, User

from .models import (
    CouncilPosition,
    IndividualCategory,
    Member,
    MemberDues,
    MemberKind,
    MemberStatus,
    OrganisationType,
)
from .services import dues_standard, member_create, member_status_change

ORGANISATION = "CUEA"
# Region, and the 6-digit administrative division code its credit codes carry.
REGIONS = [
    ("北京市", "110105"),
    ("上海市", "310115"),
    ("广东省广州市", "440106"),
    ("广东省深圳市", "440305"),
    ("江苏省南京市", "320105"),
    ("浙江省杭州市", "330106"),
    ("四川省成都市", "510107"),
    ("湖北省武汉市", "420106"),
]
P, V, E, D, M = (
    CouncilPosition.PRESIDENT,
    CouncilPosition.VICE_PRESIDENT,
    CouncilPosition.EXECUTIVE_DIRECTOR,
    CouncilPosition.DIRECTOR,
    CouncilPosition.MEMBER,
)
ENT, PUB, SOC, RES, UNI = (
    OrganisationType.ENTERPRISE,
    OrganisationType.PUBLIC_INSTITUTION,
    OrganisationType.SOCIAL_ORGANISATION,
    OrganisationType.RESEARCH_INSTITUTE,
    OrganisationType.UNIVERSITY,
)
# The first two characters of a credit code: registering authority and kind of body.
CODE_PREFIX = {ENT: "91", PUB: "12", SOC: "51", RES: "12", UNI: "12"}
UNIT_MEMBERS = [
    # name, type, seat, contact person
    ("京环城市服务集团有限公司", ENT, P, "赵建国"),
    ("沪清环境科技股份有限公司", ENT, V, "钱立新"),
    ("穗洁环卫服务有限公司", ENT, V, "孙卫东"),
    ("鹏城绿色环境集团有限公司", ENT, V, "李海燕"),
    ("金陵环境卫生工程有限公司", ENT, E, "周明"),
    ("西湖再生资源利用有限公司", ENT, E, "吴芳"),
    ("蓉城环卫装备制造有限公司", ENT, E, "郑强"),
    ("江城固废处理有限公司", ENT, E, "王磊"),
    ("北京市环境卫生设计研究所", RES, E, "冯涛"),
    ("上海市环境卫生管理事务中心", PUB, E, "陈静"),
    ("广州市城市管理技术研究院", RES, D, "褚红"),
    ("深圳市环卫行业协会", SOC, D, "卫平"),
    ("南京环境工程学院", UNI, D, "蒋华"),
    ("杭州市环境集团有限公司", ENT, D, "沈洁"),
    ("成都市环境卫生科学研究所", RES, D, "韩亮"),
    ("武汉市环境卫生事务中心", PUB, D, "杨帆"),
    ("京北垃圾分类运营有限公司", ENT, D, "朱琳"),
    ("沪东餐厨垃圾处理有限公司", ENT, D, "秦松"),
    ("粤海环保装备有限公司", ENT, M, "尤佳"),
    ("南山智慧环卫科技有限公司", ENT, M, "许诺"),
    ("苏宁道路保洁服务有限公司", ENT, M, "何敏"),
    ("钱塘环境卫生服务有限公司", ENT, M, "吕斌"),
    ("天府公厕运营管理有限公司", ENT, M, "施琴"),
    ("汉阳环卫作业有限公司", ENT, M, "张勇"),
    ("首都城乡环境研究中心", RES, M, "孔祥"),
    ("浦江环境卫生协会", SOC, M, "曹颖"),
    ("华南理工环境研究院", UNI, M, "严宁"),
    ("长江环卫设施建设有限公司", ENT, M, "华军"),
]
INDIVIDUALS = [
    # name, category, professional title, speciality, employer
    ("刘振华", IndividualCategory.EXPERT, "正高级工程师", "生活垃圾焚烧", "清华大学环境学院"),
    ("马丽娟", IndividualCategory.EXPERT, "教授", "垃圾分类政策", "同济大学环境科学与工程学院"),
    ("高文斌", IndividualCategory.EXPERT, "研究员", "环卫机械化作业", "北京市环境卫生设计研究所"),
    ("林晓", IndividualCategory.EXPERT, "正高级工程师", "餐厨垃圾资源化", "上海市环境工程设计科学研究院"),
    ("黄子涵", IndividualCategory.YOUNG_TALENT, "工程师", "智慧环卫", "深圳市环境卫生管理处"),
    ("罗一鸣", IndividualCategory.YOUNG_TALENT, "高级工程师", "填埋场修复", "武汉市环境卫生科学研究院"),
    ("谢雨桐", IndividualCategory.YOUNG_TALENT, "助理研究员", "垃圾分类宣传", "杭州市城市管理研究中心"),
    ("唐浩", IndividualCategory.YOUNG_TALENT, "工程师", "环卫车辆新能源", "成都市环境卫生科学研究所"),
]
AREA_CODES = {
    "北京市": "010",
    "上海市": "021",
    "广东省广州市": "020",
    "广东省深圳市": "0755",
    "江苏省南京市": "025",
    "浙江省杭州市": "0571",
    "四川省成都市": "028",
    "湖北省武汉市": "027",
}
SUSPENDED, WITHDRAWN = 21, 24  # members (by index) whose status changed: never on a renewal list
NO_DUES_2026 = (13, 31)


def credit_code(index: int, organisation_type: str, division: str) -> str:
    first_17 = f"{CODE_PREFIX[organisation_type]}{division}MA{index + 1:06d}X"
    return first_17 + check_character(first_17)


def joined_on(index: int) -> date:
    """2015 to 2026, January to October: every twelfth member joined in 2026, the demo's current year."""
    return date(2015 + index % 12, 1 + (index * 5 + index // 12 * 3) % 10, 1 + (index * 7 + index // 12 * 5) % 28)


def _phone(index: int, region: str) -> str:
    area = AREA_CODES[region]
    return f"{area}-{6000_0000 + index * 1_234_567 % 1000_0000}"


def _unit_fields(index: int) -> dict:
    name, organisation_type, seat, contact = UNIT_MEMBERS[index]
    region, division = REGIONS[index % len(REGIONS)]
    return {
        "kind": MemberKind.UNIT,
        "name": name,
        "credit_code": credit_code(index, organisation_type, division),
        "organisation_type": organisation_type,
        "region": region,
        "contact_person": contact,
        "phone": _phone(index, region),
        "email": f"member{index + 1:02d}@example.cn",
        "council_position": seat,
        "joined_on": joined_on(index),
    }


def _individual_fields(index: int) -> dict:
    name, category, title, speciality, employer = INDIVIDUALS[index]
    number = len(UNIT_MEMBERS) + index
    return {
        "kind": MemberKind.INDIVIDUAL,
        "name": name,
        "category": category,
        "title": title,
        "speciality": speciality,
        "employer": employer,
        "region": REGIONS[index % len(REGIONS)][0],
        "contact_person": name,
        "phone": f"139{10_000_000 + number * 7_654_321 % 90_000_000:08d}",
        "council_position": CouncilPosition.DIRECTOR if index < 2 else CouncilPosition.MEMBER,
        "joined_on": joined_on(number),
    }


@transaction.atomic
def seed() -> dict:
    """Create the demo members and their dues once; existing ones are left as they are."""
    organisation = Unit.objects.get(code=ORGANISATION)
    secretary = User.objects.filter(username="secretariat").first()
    created = {"members": 0, "dues": 0}
    existing = {(m.kind, m.credit_code, m.name, m.employer) for m in Member.objects.filter(organisation=organisation)}
    everyone = [_unit_fields(i) for i in range(len(UNIT_MEMBERS))]
    everyone += [_individual_fields(i) for i in range(len(INDIVIDUALS))]
    for index, fields in enumerate(everyone):
        key = (fields["kind"], fields.get("credit_code", ""), fields["name"], fields.get("employer", ""))
        if key in existing:
            continue
        member = member_create(organisation=organisation, by=secretary, **fields)
        created["members"] += 1
        if index == SUSPENDED:
            reason = "长期未参加协会活动，经秘书处研究暂停会籍。"
            member_status_change(
                member=member, status=MemberStatus.SUSPENDED, on=date(2026, 3, 1), reason=reason, by=secretary
            )
        elif index == WITHDRAWN:
            reason = "单位申请退会。"
            member_status_change(
                member=member, status=MemberStatus.WITHDRAWN, on=date(2025, 12, 31), reason=reason, by=secretary
            )
        member.refresh_from_db(fields=["status", "status_since"])
        created["dues"] += _dues(member, index, secretary)
    return created


def _dues(member: Member, index: int, secretary) -> int:
    """2025 paid by everyone who was a member then; 2026 for those still registered: one in four
    unpaid (every other one of them half paid), two with no 2026 dues yet, the others paid."""
    rows = []
    amount = dues_standard(member)
    if member.joined_on.year <= 2025:
        rows.append(_paid(member, 2025, amount, date(2025, 3, 1 + index % 28), secretary))
    if member.status != MemberStatus.ACTIVE or index in NO_DUES_2026:
        pass
    elif index % 4 == 0:
        partly = amount / 2 if index % 8 == 0 else None
        rows.append(
            MemberDues(
                member=member,
                year=2026,
                amount_due=amount,
                amount_paid=partly,
                paid_on=date(2026, 6, 30) if partly else None,
                recorded_by=secretary,
            )
        )
    else:
        rows.append(_paid(member, 2026, amount, date(2026, 2 + index % 8, 1 + index % 28), secretary))
    MemberDues.objects.bulk_create(rows)
    return len(rows)


def _paid(member: Member, year: int, amount: Decimal, paid_on: date, secretary) -> MemberDues:
    return MemberDues(
        member=member,
        year=year,
        amount_due=amount,
        paid=True,
        amount_paid=amount,
        paid_on=paid_on,
        recorded_by=secretary,
    )
