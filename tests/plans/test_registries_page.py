"""The registries' front page: what needs doing in each registry, for those who keep them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.branches import demo as branches_demo
from plans.members import demo as members_demo
from plans.members.models import Member
from plans.ratings import demo as ratings_demo
from sanitation.documents import demo as documents_demo
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit, User

from ..factories import member


@pytest.fixture
def registries(db):
    organisations_demo.seed()
    documents_demo.seed()
    for seeder in (members_demo, branches_demo, ratings_demo):
        seeder.seed()


def test_secretariat_sees_each_registry_and_what_is_due(client, registries):
    client.force_login(User.objects.get(username="secretariat"))
    response = client.get("/registries/")
    context = response.context
    assert context["members"] == Member.objects.count() and context["unpaid"] >= 1
    assert context["terms_due"] == 3  # the demo: one overdue, two within 90 days
    assert context["expiring"] >= 1 and context["expired"] >= 1
    page = response.content.decode()
    assert f"/members/renewals/?year={timezone.localdate().year}" in page
    assert 'href="/branches/terms-ending/"' in page and 'href="/ratings/expiring/"' in page


def test_only_readers_of_registries_get_the_page(client, registries, clerk_a):
    staff = member(Unit.objects.get(code="CUEA-ZHB"), Role.UNIT_STAFF, username="zhb_staff")
    for user in (staff, clerk_a):
        client.force_login(user)
        assert client.get("/registries/").status_code == 403
    client.force_login(member(Unit.objects.get(code="CUEA"), Role.LEADER, username="cuea_leader"))
    assert client.get("/registries/").context["terms_due"] == 3


def test_the_page_takes_the_same_queries_with_more_members(client, registries):
    client.force_login(User.objects.get(username="secretariat"))
    with CaptureQueriesContext(connection) as before:
        client.get("/registries/")
    Member.objects.filter(pk__in=Member.objects.values("pk")[:5]).delete()
    with CaptureQueriesContext(connection) as after:
        client.get("/registries/")
    assert len(before) == len(after)
