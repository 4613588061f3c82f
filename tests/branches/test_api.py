from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.branches import services
from plans.branches.models import BranchTier

from .conftest import add_term, make_branch

URL = "/api/v1/branches/"


def _ending(association, secretary, name, days, **values):
    branch = make_branch(association, secretary, name=name, **values)
    ends_on = timezone.localdate() + timedelta(days=days)
    add_term(branch, secretary, ends_on - timedelta(days=1800), ends_on, chair=f"{name}主任", secretary_general="秘")
    services.branch_targets_set(branch=branch, year=timezone.localdate().year, targets=f"{name}目标", by=secretary)
    return branch


def test_list_gives_current_term_and_this_years_plan(client, association, secretary):
    branch = _ending(association, secretary, "甲委员会", 40, tier=BranchTier.A)
    year = timezone.localdate().year
    services.branch_targets_set(branch=branch, year=year - 1, targets="去年", by=secretary)
    services.branch_assess(branch=branch, year=year - 1, score=80, assessed_on=date(year, 1, 5), by=secretary)
    client.force_login(secretary)
    data = client.get(URL).json()
    assert data["count"] == 1
    row = data["results"][0]
    ends_on = timezone.localdate() + timedelta(days=40)
    assert row["name"] == "甲委员会" and row["tier"] == "A" and row["status"] == "active"
    assert row["current_term"] == {
        "number": 1,
        "starts_on": f"{ends_on - timedelta(days=1800):%Y-%m-%d}",
        "ends_on": f"{ends_on:%Y-%m-%d}",
        "chair": "甲委员会主任",
        "secretary_general": "秘",
    }
    assert row["year_plan"]["year"] == year and row["year_plan"]["targets"] == "甲委员会目标"
    assert row["year_plan"]["score"] is None
    assert row["latest_assessment"] == {
        "year": year - 1,
        "score": 80,
        "grade": "good",
        "assessed_on": f"{date(year, 1, 5):%Y-%m-%d}",
    }


def test_filters_by_tier_and_ending_within(client, association, secretary):
    _ending(association, secretary, "甲委员会", 40, tier=BranchTier.A)
    _ending(association, secretary, "乙委员会", 200, tier=BranchTier.B)
    _ending(association, secretary, "丙委员会", -5, tier=BranchTier.B)
    client.force_login(secretary)
    names = lambda params: [row["name"] for row in client.get(URL, params).json()["results"]]  # noqa: E731
    assert names({}) == ["丙委员会", "乙委员会", "甲委员会"]
    assert names({"tier": "A"}) == ["甲委员会"]
    assert names({"ending_within": 90}) == ["丙委员会", "甲委员会"]
    assert names({"ending_within": 90, "tier": "B"}) == ["丙委员会"]
    assert client.get(URL, {"tier": "Z"}).status_code == 400


@pytest.mark.parametrize("who", ["clerk_a", "association_staff"])
def test_others_get_an_empty_list_and_404(client, association, secretary, who, request):
    branch = _ending(association, secretary, "甲委员会", 40)
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL)
    assert response.status_code == 200 and response.json()["results"] == []
    assert client.get(f"{URL}{branch.pk}/").status_code == 404


def test_detail_of_a_visible_branch(client, association, secretary, association_leader):
    branch = _ending(association, secretary, "甲委员会", 40)
    client.force_login(association_leader)
    assert client.get(f"{URL}{branch.pk}/").json()["current_term"]["chair"] == "甲委员会主任"


def test_list_queries_do_not_grow_with_rows(client, association, secretary):
    client.force_login(secretary)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"ending_within": 365}).status_code == 200
        return len(queries)

    _ending(association, secretary, "甲委员会", 40)
    few = count()
    for n in range(6):
        _ending(association, secretary, f"委员会{n}", 50 + n)
    assert count() == few
    assert client.get(URL).json()["count"] == 7
