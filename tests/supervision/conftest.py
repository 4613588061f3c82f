"""A district with three streets, its 2026 scheme in force, sites of three kinds, and its people."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from classification.models import SiteKind
from sanitation.organisations.models import Role, Unit
from supervision.models import (
    AssessmentScheme,
    Criterion,
    DeductionRule,
    ProblemType,
    SchemeStatus,
    ScoreSource,
    SourceKind,
)
from supervision.problem_types import standard_problem_types_ensure
from tests.factories import SiteFactory, district_with_streets, member

# (name, points, site kinds or [] for all)
CRITERIA = [
    ("宣传动员", 15, []),
    ("设施投放", 20, []),
    ("标识指引", 15, []),
    ("台账建立", 15, []),
    ("示范创建", 10, [SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING]),
    ("分类效果", 25, []),
]
# problem type code → (criterion, points)
RULES = {
    "mixed-disposal": ("分类效果", 5),
    "mixed-loading": ("分类效果", 10),
    "damaged-bins": ("设施投放", 5),
    "missing-signs": ("标识指引", 5),
    "incomplete-ledger": ("台账建立", 5),
    "overflowing": ("设施投放", 3),
    "supervisor-absent": ("宣传动员", 5),
}


@pytest.fixture
def english():
    """Messages in their English source, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def district(db):
    return district_with_streets("A", streets=3)


@pytest.fixture
def streets(district):
    return list(Unit.objects.filter(code__in=["A-JD1", "A-JD2", "A-JD3"]).order_by("code"))


@pytest.fixture
def other_district(db):
    return district_with_streets("B", streets=1)


@pytest.fixture
def clerk(district):
    return member(Unit.objects.get(code="A-FLB"), Role.CLERK, username="clerk_a", display_name="李督查")


@pytest.fixture
def second_clerk(district):
    return member(Unit.objects.get(code="A-FLB"), Role.CLERK, username="clerk_a2", display_name="王督查")


@pytest.fixture
def street_user(district):
    return member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF, username="street_a1", display_name="周干事")


@pytest.fixture
def other_street_user(district):
    return member(Unit.objects.get(code="A-JD2"), Role.UNIT_STAFF, username="street_a2")


@pytest.fixture
def leader(district):
    return member(district, Role.LEADER, username="leader_a")


@pytest.fixture
def outsider(other_district):
    """A clerk of another district."""
    return member(Unit.objects.get(code="B-FLB"), Role.CLERK, username="clerk_b")


def standard_problem_types() -> dict[str, ProblemType]:
    """The standard list by code. A transactional test before this one may have flushed the rows
    migration 0002 made, so they are made again when missing."""
    return standard_problem_types_ensure()


@pytest.fixture
def problem_types(db) -> dict[str, ProblemType]:
    return standard_problem_types()


def scheme_build(district, *, year=2026, version=1, in_force_from=datetime.date(2026, 1, 1), status=None):
    scheme = AssessmentScheme.objects.create(
        district=district,
        year=year,
        version=version,
        title=f"{district.name}{year}年生活垃圾分类工作考核办法",
        status=status or SchemeStatus.IN_FORCE,
        in_force_from=in_force_from,
    )
    ScoreSource.objects.create(scheme=scheme, kind=SourceKind.INSPECTION, name="日常督查", weight=60, order=0)
    ScoreSource.objects.create(scheme=scheme, kind=SourceKind.THIRD_PARTY, name="第三方测评", weight=30, order=1)
    ScoreSource.objects.create(scheme=scheme, kind=SourceKind.PUBLIC_OPINION, name="群众评议", weight=10, order=2)
    criteria = {}
    for order, (name, points, kinds) in enumerate(CRITERIA):
        criteria[name] = Criterion.objects.create(
            scheme=scheme, name=name, points=Decimal(points), site_kinds=[str(k) for k in kinds], order=order
        )
    types = standard_problem_types()
    for code, (criterion, points) in RULES.items():
        DeductionRule.objects.create(
            scheme=scheme, problem_type=types[code], criterion=criteria[criterion], points=Decimal(points)
        )
    return scheme


@pytest.fixture
def scheme(district):
    """The district's 2026 scheme, version 1, in force since 1 January."""
    return scheme_build(district)


@pytest.fixture
def sites(streets):
    """Per street: a managed estate, a school, a restaurant (schools and restaurants skip 示范创建)."""
    made = []
    for street in streets:
        made.append(
            SiteFactory(
                street=street, name=f"{street.name}花园", kind=SiteKind.MANAGED_ESTATE, property_company="花园物业"
            )
        )
        made.append(SiteFactory(street=street, name=f"{street.name}小学", kind=SiteKind.SCHOOL))
        made.append(SiteFactory(street=street, name=f"{street.name}酒家", kind=SiteKind.RESTAURANT))
    return made
