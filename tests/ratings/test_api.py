from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.ratings import demo as ratings_demo
from plans.ratings import services
from plans.ratings.models import Enterprise, RatingRound
from sanitation.organisations.models import Role, Unit, User

from ..factories import member
from .conftest import make_facility


@pytest.fixture
def api(demo, client):
    client.force_login(User.objects.get(username="secretariat"))
    return client


def test_facility_ratings_are_the_published_ones_with_their_facility(api):
    data = api.get("/api/v1/facility-ratings/").json()
    assert data["count"] == 2  # the 2024 round; 2026 is not published, 南川's 2024 application failed
    first = data["results"][0]
    assert first["facility"]["name"] == "江北市生活垃圾焚烧发电厂" and first["grade"] == "AA"
    assert first["round"]["year"] == 2024 and first["valid_until"] == "2027-01-19" and first["revoked"] is False
    assert first["facility"]["operator_credit_code"] and first["total"] == "84.00"


def test_credit_ratings_flag_the_revoked_one(api):
    assert api.get("/api/v1/credit-ratings/").json()["count"] == 4  # 2024; 2026 is not published
    services.round_publish(rating_round=RatingRound.objects.get(scheme__programme="credit", year=2026))
    data = api.get("/api/v1/credit-ratings/", {"year": 2026}).json()
    assert data["count"] == 8
    revoked = [r for r in data["results"] if r["revoked"]]
    assert [r["enterprise"]["name"] for r in revoked] == ["深圳市清风环境科技有限公司"]
    assert revoked[0]["grade"] == "AA" and "安全生产" in revoked[0]["revocation_reason"]
    assert [r["grade"] for r in data["results"]][:2] == ["AAA", "AAA"]


def test_filters_by_year_and_grade(api):
    assert api.get("/api/v1/credit-ratings/", {"grade": "aa"}).json()["count"] == 2
    assert api.get("/api/v1/credit-ratings/", {"year": 2025}).json()["count"] == 0
    assert api.get("/api/v1/facility-ratings/", {"year": 2024, "grade": "A"}).json()["results"][0]["facility"][
        "name"
    ] == ("东滨市生活垃圾焚烧发电厂")
    response = api.get("/api/v1/facility-ratings/", {"year": "soon"})
    assert response.status_code == 400 and "year" in response.json()


def test_detail(api):
    listed = api.get("/api/v1/facility-ratings/").json()["results"][0]
    assert api.get(f"/api/v1/facility-ratings/{listed['id']}/").json() == listed
    credit = api.get("/api/v1/credit-ratings/").json()["results"][0]["id"]
    assert api.get(f"/api/v1/facility-ratings/{credit}/").status_code == 404


@pytest.mark.parametrize("who", ["clerk_a", "unit_staff"])
def test_others_get_empty_lists(demo, client, who, request):
    user = (
        request.getfixturevalue("clerk_a")
        if who == "clerk_a"
        else member(Unit.objects.get(code="CUEA-HYB"), Role.UNIT_STAFF, username="hyb")
    )
    client.force_login(user)
    for url in ("/api/v1/facility-ratings/", "/api/v1/credit-ratings/"):
        assert client.get(url).json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/api/v1/credit-ratings/1/").status_code == 404


def _queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        count = client.get(url).json()["count"]
    return count, len(queries)


@pytest.mark.parametrize("url", ["/api/v1/facility-ratings/", "/api/v1/credit-ratings/"])
def test_lists_take_the_same_queries_at_two_sizes(api, url):
    few_count, few = _queries(api, url)
    association = Unit.objects.get(code="CUEA")
    facility_round = RatingRound.objects.get(year=2026, scheme__programme="facility")
    under_review = facility_round.applications.get(facility__name=ratings_demo.UNDER_REVIEW)
    services.rating_revoke(application=under_review, reason="撤回")
    criteria = list(facility_round.scheme.criteria.all())
    for number in range(6):
        facility = make_facility(association, f"新增焚烧厂{number}")
        application = services.application_submit(rating_round=facility_round, facility=facility)
        scores = ratings_demo.points_for(criteria, Decimal(85))
        services.expert_scores_record(application=application, expert="张教授", scores=scores)
        services.application_rate(application=application, on=date(2026, 10, 1))
    services.round_publish(rating_round=facility_round)
    credit_scheme = RatingRound.objects.get(scheme__programme="credit", year=2024).scheme
    credit_round = services.round_open(scheme=credit_scheme, year=2027)
    for enterprise in Enterprise.objects.all()[:5]:
        application = services.application_submit(rating_round=credit_round, enterprise=enterprise)
        scores = ratings_demo.points_for(list(credit_round.scheme.criteria.all()), Decimal(75))
        services.expert_scores_record(application=application, expert="赵会计师", scores=scores)
        services.application_rate(application=application)
    services.round_publish(rating_round=credit_round)
    many_count, many = _queries(api, url)
    assert many == few
    grown = (2, 2 + 4 + 6) if "facility" in url else (4, 9)
    assert (few_count, many_count) == grown
