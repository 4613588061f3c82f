import pytest
from django.conf import settings
from django.utils import translation

from plans.members import demo as members_demo
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit, User

from ..factories import member


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
    return member(Unit.objects.get(code="CUEA-HYB"), Role.UNIT_STAFF, username="hyb_staff")


@pytest.fixture
def demo_members(association):
    members_demo.seed()
    return association
