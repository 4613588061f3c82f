from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation

from plans.ratings import demo as ratings_demo
from plans.ratings import services
from plans.ratings.models import (
    Business,
    Criterion,
    Enterprise,
    Facility,
    FacilityKind,
    GradeThreshold,
    Programme,
    RatingScheme,
)
from sanitation.core.credit_code import check_character
from sanitation.documents import demo as documents_demo
from sanitation.documents.models import DocumentIssuer
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit

from ..factories import member

TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def english():
    """Messages in their English source, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def credit_code(number: int) -> str:
    first_17 = f"91350100MA{number:07d}"
    return first_17 + check_character(first_17)


@pytest.fixture
def association(db):
    organisations_demo.seed()
    unit = Unit.objects.get(code="CUEA")
    DocumentIssuer.objects.create(
        unit=unit, prefix="中环卫", number_padding=2, mark="中国城市环境卫生协会文件", signature="中国城市环境卫生协会"
    )
    return unit


@pytest.fixture
def secretary(association):
    return member(Unit.objects.get(code="CUEA-ZHB"), Role.SECRETARIAT, username="secretary")


@pytest.fixture
def reader(association):
    return member(Unit.objects.get(code="CUEA-MSC"), Role.LEADER, username="reader")


@pytest.fixture
def unit_staff(association):
    """The association's own unit staff: no registries for them."""
    return member(Unit.objects.get(code="CUEA-HYB"), Role.UNIT_STAFF, username="hyb_staff")


def make_scheme(association, programme=Programme.FACILITY, *, grades=(("AAA", 90), ("AA", 80), ("A", 70))):
    scheme = RatingScheme.objects.create(
        organisation=association,
        programme=programme,
        year=2025,
        title="生活垃圾焚烧厂无害化等级评价标准" if programme == Programme.FACILITY else "环卫行业企业信用评价标准",
        facility_kind=FacilityKind.INCINERATION if programme == Programme.FACILITY else "",
        valid_years=3 if programme == Programme.FACILITY else 2,
    )
    for position, (name, points) in enumerate([("运行管理", 40), ("污染控制", 40), ("安全管理", 20)], start=1):
        Criterion.objects.create(scheme=scheme, position=position, name=name, max_points=points)
    for grade, least in grades:
        GradeThreshold.objects.create(scheme=scheme, grade=grade, min_total=least)
    return scheme


@pytest.fixture
def scheme(association):
    return make_scheme(association)


@pytest.fixture
def credit_scheme(association):
    return make_scheme(association, Programme.CREDIT, grades=(("AAA", 90), ("AA", 80), ("A", 70), ("B", 60)))


@pytest.fixture
def rating_round(scheme):
    return services.round_open(scheme=scheme, year=2026)


@pytest.fixture
def credit_round(credit_scheme):
    return services.round_open(scheme=credit_scheme, year=2026)


def make_facility(association, name: str, **fields) -> Facility:
    values = {
        "province": "江苏省",
        "city": "江北市",
        "capacity": Decimal(1500),
        "operator_name": f"{name}运营有限公司",
        "operator_credit_code": credit_code(len(name)),
    }
    return services.facility_save(Facility(organisation=association, name=name, **values | fields))


def make_enterprise(association, name: str, number: int, **fields) -> Enterprise:
    values = {"region": "北京市", "business": Business.STREET_CLEANING}
    return services.enterprise_save(
        Enterprise(organisation=association, name=name, credit_code=credit_code(number), **values | fields)
    )


def score(application, *experts_points, user=None):
    """Each expert's points on the three criteria (40, 40, 20), experts named 专家1…"""
    criteria = list(application.round.scheme.criteria.all())
    for number, points in enumerate(experts_points, start=1):
        services.expert_scores_record(
            application=application,
            expert=f"专家{number}",
            scores=dict(zip(criteria, map(Decimal, points), strict=True)),
            user=user,
        )


def rated(rating_round, facility, *experts_points, on=date(2026, 10, 20)):
    application = services.application_submit(rating_round=rating_round, facility=facility)
    score(application, *experts_points)
    return services.application_rate(application=application, on=on)


@pytest.fixture
def on_demo_day(monkeypatch):
    """Today is 2026-11-24, when the demo's 2024 ratings have 56 days left."""
    original = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: original(*args, **kwargs) if args else TODAY)


@pytest.fixture
def demo(db):
    organisations_demo.seed()
    documents_demo.seed()
    ratings_demo.seed()
