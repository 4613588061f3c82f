"""The demo supervision of 城东区: scheme and rules as the office wrote them, six weeks of real
inspections and rectifications, the lagging streets at the bottom, and nothing twice."""

import datetime
import time
from collections import Counter

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from classification import demo as classification_demo
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Unit, User
from supervision import access, demo, scores
from supervision.models import (
    AssessmentScheme,
    Inspection,
    InspectionInterval,
    Problem,
    Rectification,
    RectificationAction,
    RectificationState,
    StreetSourceScore,
    SubsidyRule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    organisations_demo.seed()
    classification_demo.seed()
    started = time.monotonic()
    created = demo.seed()
    return created, time.monotonic() - started


def counts() -> dict:
    return {
        "inspections": Inspection.objects.count(),
        "problems": Problem.objects.count(),
        "rectifications": list(Rectification.objects.order_by("pk").values_list("pk", "state", "version")),
        "schemes": AssessmentScheme.objects.count(),
        "source scores": StreetSourceScore.objects.count(),
        "users": User.objects.count(),
    }


def last_week() -> tuple[datetime.date, datetime.date]:
    return scores.week_of(timezone.localdate() - datetime.timedelta(days=7))


def test_seed_makes_the_districts_year_and_a_second_run_creates_nothing(seeded):
    # How long seeding takes is for `make bench`, not a timed unit test on a loaded machine.
    created, _seconds = seeded
    assert created["schemes"] >= 1 and created["intervals"] == 8 and created["subsidy rules"] >= 1
    assert created["inspections"] == Inspection.objects.count() > 300
    assert created["problems"] == Problem.objects.count() == Rectification.objects.count() > 100
    before = counts()
    assert demo.seed() == dict.fromkeys(created, 0)
    assert counts() == before

    # The scheme, the intervals and the subsidy rule, as the office wrote them.
    scheme = AssessmentScheme.objects.get(district__code="CD", year=2026)
    assert (scheme.title, scheme.version, scheme.status, scheme.in_force_from) == (
        "城东区2026年生活垃圾分类工作考核办法",
        1,
        "in_force",
        datetime.date(2026, 1, 1),
    )
    assert [(s.name, int(s.weight)) for s in scheme.sources.all()] == [
        ("日常督查", 60),
        ("第三方测评", 30),
        ("群众评议", 10),
    ]
    assert [(c.name, int(c.points)) for c in scheme.criteria.all()] == [
        ("宣传动员", 15),
        ("设施投放", 20),
        ("标识指引", 15),
        ("台账建立", 15),
        ("示范创建", 10),
        ("分类效果", 25),
    ]
    assert scheme.criteria.get(name="示范创建").site_kinds == ["managed_estate", "open_estate", "office_building"]
    assert scheme.deduction_rules.count() == 12
    rule = scheme.deduction_rules.get(problem_type__code="mixed-loading")
    assert (rule.criterion.name, int(rule.points)) == ("分类效果", 10)
    intervals = dict(InspectionInterval.objects.values_list("site_kind", "days"))
    assert intervals == {
        "managed_estate": 7,
        "open_estate": 7,
        "office_building": 14,
        "public_institution": 14,
        "school": 14,
        "supermarket": 10,
        "restaurant": 10,
        "farmers_market": 10,
    }
    subsidy = SubsidyRule.objects.get(district__code="CD", year=2026)
    assert (int(subsidy.pool), int(subsidy.pool_min_score), int(subsidy.black_list_deduction)) == (400_000, 60, 5_000)
    awards = [(a.rank, a.from_bottom, int(a.amount)) for a in subsidy.awards.all()]
    assert awards == [(1, False, 30_000), (2, False, 20_000), (3, False, 10_000), (1, True, -10_000)]


def test_six_weeks_of_real_inspections_rank_the_lagging_streets_last(seeded):
    today = timezone.localdate()
    days = {timezone.localtime(at).date() for at in Inspection.objects.values_list("inspected_at", flat=True)}
    assert max(days) < today and min(days) >= today - datetime.timedelta(weeks=6)
    assert all(day.weekday() < 5 for day in days)
    assert Inspection.objects.filter(recorded_by__username="clerk").count() == Inspection.objects.count()
    assert Inspection.objects.values("site").distinct().count() == 100
    # Scores are the service's: full marks where nothing was found, deductions where something was.
    clean = Inspection.objects.filter(problem_count=0)
    assert set(clean.values_list("percent", flat=True)) == {100}
    assert Inspection.objects.filter(problem_count__gt=0, percent__lt=100).count() == (
        Inspection.objects.filter(problem_count__gt=0).count()
    )
    # The streets answer for what is found in them.
    assert not Rectification.objects.exclude(unit=F("site__street")).exists()

    # Last week: every street inspected and ranked, 解放街道 and 北苑街道 at the bottom.
    district = Unit.objects.get(code="CD")
    start, end = last_week()
    ranking = scores.street_scores(district=district, start=start, end=end)
    assert None not in [row.rank for row in ranking] and len(ranking) == 8
    assert all(row.inspections > 0 for row in ranking)
    assert {row.street.name for row in ranking[-2:]} == {"解放街道", "北苑街道"}
    assert ranking[-1].listing == "black"
    # And through the API, as the demo clerk sees it.
    client = APIClient()
    client.force_authenticate(User.objects.get(username="clerk"))
    data = client.get("/api/v1/scores/", {"period": "week", "date": start.isoformat()}).json()
    assert [row["street_name"] for row in data["results"]] == [row.street.name for row in ranking]

    # The last complete quarter has the third-party scores, and the same two streets are last.
    start, end = scores.period_bounds("quarter", scores.period_bounds("quarter", today)[0] - datetime.timedelta(1))
    ranking = scores.street_scores(district=district, start=start, end=end)
    third_party = {
        row.street.name: next(score for source, score in row.source_scores.items() if source.kind == "third_party")
        for row in ranking
    }
    assert len(third_party) == 8 and None not in third_party.values()
    assert {row.street.name for row in ranking[-2:]} == {"解放街道", "北苑街道"}


def test_rectifications_in_every_state_and_the_street_sees_its_own(seeded):
    states = Counter(Rectification.objects.values_list("state", flat=True))
    assert set(states) == set(RectificationState.values), states
    assert states[RectificationState.CLOSED] > states[RectificationState.OVERDUE]
    closed = Rectification.objects.filter(state=RectificationState.CLOSED).first()
    history = list(closed.events.values_list("action", flat=True))
    assert history == [RectificationAction.OPEN, RectificationAction.ANSWER, RectificationAction.CLOSE]
    ats = list(closed.events.values_list("at", flat=True))
    assert ats == sorted(ats) and ats[0] == closed.problem.inspection.inspected_at
    assert closed.closed_at == ats[-1]
    assert Rectification.objects.filter(events__action=RectificationAction.SEND_BACK).exists()
    # Nothing open is past its deadline without being marked 逾期.
    today = timezone.localdate()
    late = Rectification.objects.filter(
        state__in=[RectificationState.PENDING, RectificationState.IN_PROGRESS], deadline__lt=today
    )
    assert not late.exists()

    # The demo street user (东湖街道) sees only its street's.
    user = User.objects.get(username="street")
    assert str(user) == "周干事"
    visible = access.rectifications_visible_to(user)
    assert visible.exists()
    assert set(visible.values_list("unit__name", flat=True)) == {"东湖街道"}
    assert set(access.inspections_visible_to(user).values_list("street__name", flat=True)) == {"东湖街道"}
    client = APIClient()
    client.force_authenticate(user)
    listed = client.get("/api/v1/rectifications/").json()
    assert listed["count"] == visible.count()
    assert {row["unit"]["name"] for row in listed["results"]} == {"东湖街道"}
    assert User.objects.get(username="clerk2").memberships.get().unit.code == "CD-FLB"
