from datetime import date

import pytest
from django.conf import settings
from django.utils import translation

from plans.branches import services
from plans.branches.models import Branch, BranchTier
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit, User

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


@pytest.fixture
def association(db):
    organisations_demo.seed()
    return Unit.objects.get(code="CUEA")


@pytest.fixture
def secretary(association):
    return User.objects.get(username="secretariat")


@pytest.fixture
def association_leader(association):
    return member(association, Role.LEADER, username="association_leader")


@pytest.fixture
def association_staff(association):
    """The association's own unit staff: no registries for them."""
    return member(Unit.objects.get(code="CUEA-FZ01"), Role.UNIT_STAFF, username="fz_staff")


def make_branch(association, secretary, name="测试专业委员会", **values) -> Branch:
    values = {"field": "测试领域", "tier": BranchTier.B} | values
    return services.branch_create(organisation=association, by=secretary, name=name, **values)


def add_term(branch, secretary, starts_on, ends_on, **values):
    return services.branch_term_renew(branch=branch, by=secretary, starts_on=starts_on, ends_on=ends_on, **values)


@pytest.fixture
def branch(association, secretary):
    branch = make_branch(association, secretary, name="垃圾分类专业委员会", scope="分类交流", tier=BranchTier.A)
    add_term(branch, secretary, date(2017, 1, 1), date(2021, 12, 31), chair="周建国", secretary_general="刘海涛")
    add_term(branch, secretary, date(2022, 1, 1), date(2026, 12, 31), chair="吴志明", secretary_general="孙丽")
    return branch
