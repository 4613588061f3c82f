import pytest

from classification.selectors import sites_visible_to
from sanitation.organisations.access import (
    organisations_of,
    scope_by_unit,
    units_changeable_by,
    units_visible_to,
    user_roles,
)
from sanitation.organisations.models import Role, Unit
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def codes(units):
    return {u.code for u in units}


def test_clerk_sees_every_unit_of_own_district_and_nothing_of_another(clerk_a, district_b):
    visible = codes(units_visible_to(clerk_a))
    assert "A" in visible and "A-JD2-SQ2" in visible and "A-ZX-S1" in visible
    assert not any(code.startswith("B") for code in visible)
    assert visible == codes(Unit.objects.filter(path__startswith="A/"))


def test_clerk_cannot_see_other_district_sites(clerk_a, sites_a, sites_b):
    assert {s.name for s in sites_visible_to(clerk_a)} == {"A小区1", "A小区2"}


def test_unit_staff_see_only_their_unit_and_below(district_a):
    street = Unit.objects.get(code="A-JD1")
    staff = member(street, Role.UNIT_STAFF)
    assert codes(units_visible_to(staff)) == {"A-JD1", "A-JD1-SQ1", "A-JD1-SQ2"}
    assert codes(units_changeable_by(staff)) == {"A-JD1", "A-JD1-SQ1", "A-JD1-SQ2"}


def test_leader_reads_the_district_but_changes_nothing(district_a):
    leader = member(Unit.objects.get(code="A"), Role.LEADER)
    assert units_visible_to(leader).count() == Unit.objects.filter(path__startswith="A/").count()
    assert not units_changeable_by(leader).exists()


def test_user_of_two_units_sees_both(district_a, district_b):
    user = member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF)
    member(Unit.objects.get(code="B-JD2"), Role.UNIT_STAFF)  # another user
    from sanitation.organisations.models import Membership

    Membership.objects.create(user=user, unit=Unit.objects.get(code="B-JD2"), role=Role.UNIT_STAFF)
    user = type(user).objects.get(pk=user.pk)  # drop the cached memberships
    assert codes(units_visible_to(user)) == {"A-JD1", "A-JD1-SQ1", "A-JD1-SQ2", "B-JD2", "B-JD2-SQ1", "B-JD2-SQ2"}


def test_user_without_membership_and_anonymous_see_nothing(district_a):
    from django.contrib.auth.models import AnonymousUser

    assert not units_visible_to(UserFactory()).exists()
    assert not units_visible_to(AnonymousUser()).exists()
    assert not organisations_of(AnonymousUser()).exists()


def test_inactive_user_sees_nothing(clerk_a):
    clerk_a.is_active = False
    assert not units_visible_to(clerk_a).exists()


def test_superuser_sees_everything(district_a, district_b):
    admin = UserFactory(is_superuser=True)
    assert units_visible_to(admin).count() == Unit.objects.count()
    assert Role.ADMIN in user_roles(admin)


def test_scope_follows_a_lookup_path(clerk_a, sites_a, sites_b):
    from classification.models import Site

    scoped = scope_by_unit(Site.objects.all(), clerk_a, via="street")
    assert scoped.count() == 2
    changeable = scope_by_unit(Site.objects.all(), clerk_a, via="street", change=True)
    assert changeable.count() == 2


def test_memberships_are_read_once_per_user_object(clerk_a, django_assert_num_queries):
    clerk = type(clerk_a).objects.get(pk=clerk_a.pk)
    with django_assert_num_queries(2):  # memberships, then units
        list(units_visible_to(clerk))
    with django_assert_num_queries(1):  # units only
        list(units_visible_to(clerk))


def test_organisations_of_clerk_is_their_district(clerk_a, district_b):
    assert codes(organisations_of(clerk_a)) == {"A"}
