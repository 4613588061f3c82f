import pytest

from sanitation.organisations.models import Role, Unit

from .factories import SiteFactory, district_with_streets, member


@pytest.fixture
def district_a(db):
    return district_with_streets("A")


@pytest.fixture
def district_b(db):
    return district_with_streets("B")


@pytest.fixture
def clerk_a(district_a):
    return member(Unit.objects.get(code="A-FLB"), Role.CLERK, username="clerk_a")


@pytest.fixture
def clerk_b(district_b):
    return member(Unit.objects.get(code="B-FLB"), Role.CLERK, username="clerk_b")


@pytest.fixture
def sites_a(district_a):
    return [SiteFactory(street=Unit.objects.get(code=f"A-JD{s}"), name=f"A小区{s}") for s in (1, 2)]


@pytest.fixture
def sites_b(district_b):
    return [SiteFactory(street=Unit.objects.get(code=f"B-JD{s}"), name=f"B小区{s}") for s in (1, 2)]
