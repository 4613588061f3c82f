import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from plans.members.models import Member, MemberDues, MemberStatus


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _names(response) -> set[str]:
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


def test_member_list_and_filters(demo_members, secretary):
    client = _client(secretary)
    response = client.get("/api/v1/members/")
    assert response.json()["count"] == 36
    first = response.json()["results"][0]
    assert first["name"] == "京环城市服务集团有限公司" and first["council_position"] == "president"
    assert [dues["year"] for dues in first["dues"]] == [2026, 2025]
    assert _names(client.get("/api/v1/members/", {"q": "清华"})) == {"刘振华"}
    assert len(_names(client.get("/api/v1/members/", {"kind": "individual"}))) == 8
    assert _names(client.get("/api/v1/members/", {"status": "withdrawn"})) == {
        Member.objects.get(status=MemberStatus.WITHDRAWN).name
    }
    unpaid = _names(client.get("/api/v1/members/", {"unpaid_year": 2026}))
    assert "京环城市服务集团有限公司" in unpaid and len(unpaid) == 10
    paid = MemberDues.objects.filter(year=2026, paid=True).values_list("member__name", flat=True)
    assert not unpaid & set(paid)


def test_bad_filters_answer_400(demo_members, secretary):
    client = _client(secretary)
    assert client.get("/api/v1/members/", {"kind": "company"}).status_code == 400
    assert client.get("/api/v1/members/", {"unpaid_year": "soon"}).status_code == 400
    assert client.get("/api/v1/member-dues/", {"year": "x"}).status_code == 400


def test_outsiders_get_empty_lists_and_404(demo_members, association_staff, clerk_a):
    target = Member.objects.first()
    for outsider in (association_staff, clerk_a):
        client = _client(outsider)
        assert client.get("/api/v1/members/").json()["count"] == 0
        assert client.get("/api/v1/member-dues/").json()["count"] == 0
        assert client.get(f"/api/v1/members/{target.pk}/").status_code == 404


def test_leader_reads_the_api(demo_members, association_leader):
    assert _client(association_leader).get("/api/v1/members/").json()["count"] == 36


def test_dues_list_and_filters(demo_members, secretary):
    client = _client(secretary)
    unpaid = client.get("/api/v1/member-dues/", {"year": 2026, "paid": "false"}).json()
    assert unpaid["count"] == MemberDues.objects.filter(year=2026, paid=False).count() == 8
    assert all(not row["paid"] and row["year"] == 2026 for row in unpaid["results"])
    everything = client.get("/api/v1/member-dues/").json()["count"]
    assert everything == MemberDues.objects.count()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", ["/api/v1/members/", "/api/v1/member-dues/"])
def test_api_list_queries_do_not_grow(association, secretary, url):
    from .test_views import _unit_member

    client = _client(secretary)
    client.get(url)  # the user's memberships are cached on the user from the first request on
    for index in range(2):
        MemberDues.objects.create(member=_unit_member(association, index), year=2026, amount_due=5000)
    few = _queries(client, url)
    for index in range(2, 15):
        MemberDues.objects.create(member=_unit_member(association, index), year=2026, amount_due=5000)
    assert _queries(client, url) == few
    assert client.get(url).json()["count"] == 15
