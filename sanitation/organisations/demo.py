"""Demo organisations and people, after the documents in shared/seeds/."""

from django.db import transaction

from .models import Role, Unit, UnitKind
from .services import unit_ensure, user_ensure

DEMO_PASSWORD = "demo-2026"

ASSOCIATION = ("CUEA", "中国城市环境卫生协会", "协会", ["中环卫"])
SECRETARIAT = ("CUEA-MSC", "中国城市环境卫生协会秘书处", "秘书处", [])
DEPARTMENTS = [
    ("CUEA-ZHB", "综合部", ["办公室"]),
    ("CUEA-HYB", "会员部", ["会员服务部"]),
    ("CUEA-FZB", "行业发展部", []),
    ("CUEA-BZB", "技术标准部", ["标准部"]),
    ("CUEA-PJB", "评价认证部", ["评价部"]),
    ("CUEA-XCB", "宣传信息部", ["宣传部"]),
]
BRANCHES = [
    ("CUEA-FZ01", "垃圾分类专业委员会"),
    ("CUEA-FZ02", "垃圾处理专业委员会"),
    ("CUEA-FZ03", "环卫装备专业委员会"),
    ("CUEA-FZ04", "道路保洁专业委员会"),
    ("CUEA-FZ05", "城乡环卫一体化专业委员会"),
    ("CUEA-FZ06", "环卫设施专业委员会"),
]

DISTRICT = ("CD", "城东区", "城东区", [])
CENTER = ("CD-HWZX", "城东区环卫事务中心", "区环卫中心", ["中心", "环卫中心"])
SECTIONS = [
    ("CD-HWZX-BGS", "中心办公室", "办公室", []),
    ("CD-HWZX-HWG", "环境卫生股", "环卫股", []),
    ("CD-HWZX-FLZX", "垃圾分类中心", "分类中心", []),
]
STATIONS = ["第一环卫所", "第二环卫所", "第三环卫所", "第四环卫所"]
SORTING_OFFICE = ("CD-FLB", "城东区生活垃圾分类工作领导小组办公室", "区分类办", ["分类办"])
STREETS = {
    "东湖街道": ["东湖", "湖滨", "春晖", "望湖", "新港"],
    "南门街道": ["南门", "文昌", "永安", "柳巷", "铁佛"],
    "西关街道": ["西关", "双井", "桂园", "太平", "河西"],
    "北苑街道": ["北苑", "紫荆", "金桥", "枫林", "安康"],
    "新华街道": ["新华", "建华", "光华", "荣华", "振华"],
    "解放街道": ["解放", "胜利", "红旗", "和平", "友谊"],
    "建设街道": ["建设", "工农", "育才", "长青", "龙泉"],
    "文化街道": ["文化", "书院", "学府", "青云", "翰林"],
}

USERS = [
    # username, name, unit code, role, superuser
    ("admin", "系统管理员", "CD", Role.ADMIN, True),
    ("secretariat", "王秘书", "CUEA-ZHB", Role.SECRETARIAT, False),
    ("clerk", "李督查", "CD-FLB", Role.CLERK, False),
    ("unitstaff", "张股长", "CD-HWZX-HWG", Role.UNIT_STAFF, False),
    ("leader", "陈主任", "CD", Role.LEADER, False),
    ("street", "周干事", "CD-JD01", Role.UNIT_STAFF, False),
    ("clerk2", "王督查", "CD-FLB", Role.CLERK, False),
]


@transaction.atomic
def seed() -> dict:
    """Build the demo organisations and users; existing rows are left untouched."""
    created = {"units": 0, "users": 0}

    def unit(code, name, kind, parent=None, short_name="", aliases=(), order=0):
        obj, was_created = unit_ensure(
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            short_name=short_name,
            aliases=list(aliases),
            sort_order=order,
        )
        created["units"] += was_created
        return obj

    code, name, short, aliases = ASSOCIATION
    association = unit(code, name, UnitKind.ASSOCIATION, short_name=short, aliases=aliases)
    code, name, short, aliases = SECRETARIAT
    secretariat = unit(code, name, UnitKind.DEPARTMENT, association, short, aliases)
    for order, (code, name, aliases) in enumerate(DEPARTMENTS):
        unit(code, name, UnitKind.DEPARTMENT, secretariat, aliases=aliases, order=order)
    for order, (code, name) in enumerate(BRANCHES):
        unit(code, name, UnitKind.BRANCH, association, order=order)

    code, name, short, aliases = DISTRICT
    district = unit(code, name, UnitKind.DISTRICT, short_name=short)
    code, name, short, aliases = CENTER
    center = unit(code, name, UnitKind.CENTER, district, short, aliases, order=0)
    for order, (code, name, short, aliases) in enumerate(SECTIONS):
        unit(code, name, UnitKind.SECTION, center, short, aliases, order=order)
    for order, name in enumerate(STATIONS, start=1):
        unit(f"CD-HWZX-HWS{order}", name, UnitKind.STATION, center, order=10 + order)
    code, name, short, aliases = SORTING_OFFICE
    unit(code, name, UnitKind.OFFICE, district, short, aliases, order=1)
    for s, (street_name, communities) in enumerate(STREETS.items(), start=1):
        street = unit(f"CD-JD{s:02d}", street_name, UnitKind.STREET, district, street_name[:-2], order=10 + s)
        for c, community in enumerate(communities, start=1):
            unit(f"CD-JD{s:02d}-SQ{c:02d}", f"{community}社区", UnitKind.COMMUNITY, street, order=c)

    for username, display_name, unit_code, role, superuser in USERS:
        _, was_created = user_ensure(
            username=username,
            password=DEMO_PASSWORD,
            display_name=display_name,
            unit=Unit.objects.get(code=unit_code),
            role=role,
            is_superuser=superuser,
        )
        created["users"] += was_created
    return created


def logins() -> list[tuple[str, str, str]]:
    """(username, password, who) of the demo users, for `make run` to print."""
    return [(u, DEMO_PASSWORD, f"{name} · {Role(role).label}") for u, name, _, role, _ in USERS]
