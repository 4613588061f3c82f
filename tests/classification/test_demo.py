import datetime
import time

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from classification import demo
from classification.models import (
    Campaign,
    CollectionRecord,
    FacilityKind,
    HouseholdParticipation,
    PersonRole,
    PublicityActivity,
    Site,
    SiteKind,
    SortingFacility,
    SortingPerson,
    StreetTarget,
)
from sanitation.organisations import demo as organisations_demo

pytestmark = pytest.mark.django_db

DEMONSTRATION_KINDS = {SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING}
ESTATES = [SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE]
FIRST_DAY = datetime.date(2025, 12, 1)


@pytest.fixture
def seeded():
    organisations_demo.seed()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        created = demo.seed()
    return created, len(queries), time.monotonic() - started


def record_days() -> int:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return min((yesterday - FIRST_DAY).days + 1, 400)


def kitchen_share(**filters) -> float:
    sums = CollectionRecord.objects.filter(**filters).aggregate(
        kitchen=Sum("kitchen_t"), recyclable=Sum("recyclable_t"), hazardous=Sum("hazardous_t"), other=Sum("other_t")
    )
    return float(sums["kitchen"] / sum(sums.values()))


def month_filter(month: datetime.date) -> dict:
    return {"collected_on__year": month.year, "collected_on__month": month.month}


def test_seed_builds_the_designed_world_in_bulk_and_a_second_run_creates_nothing(seeded):
    created, queries, _seconds = seeded  # the time is for make bench
    estates = Site.objects.filter(kind__in=ESTATES).count()
    assert created == {
        "sites": 100,
        "campaigns": 1,
        "collection records": 100 * record_days(),
        "facilities": 100 + estates + 2 * 40 + 2 * 8 + 1,
        "publicity activities": PublicityActivity.objects.count(),
        "people": SortingPerson.objects.count(),
        "participation counts": HouseholdParticipation.objects.count(),
    }
    assert queries < 500, "the seed must insert in bulk"
    assert CollectionRecord.objects.count() == 100 * record_days()
    assert CollectionRecord.objects.values("site", "collected_on").distinct().count() == 100 * record_days()

    assert demo.seed() == dict.fromkeys(created, 0)
    assert CollectionRecord.objects.count() == 100 * record_days()


def test_ledgers_are_as_designed(seeded):
    assert SortingFacility.objects.get(kind=FacilityKind.SORTING_CENTRE).note == "城东再生资源分拣中心"
    containers = SortingFacility.objects.filter(kind=FacilityKind.CONTAINER)
    assert set(containers.values_list("capacity", flat=True)) == {240}
    assert containers.get(site__name="东湖花园").count == 4 * 11  # 860 households, a 4-bin group per 80
    vehicles = SortingFacility.objects.filter(kind=FacilityKind.VEHICLE)
    assert vehicles.aggregate(n=Sum("count"))["n"] == 24
    plates = set(CollectionRecord.objects.values_list("vehicle", flat=True).distinct())
    assert plates == {f"城东环卫-{n:02d}" for n in range(1, 25)}
    record = CollectionRecord.objects.filter(site__name="东湖花园").earliest("collected_on")
    assert record.collected_on == FIRST_DAY and "城东区餐厨垃圾处理厂" in record.destination
    assert 0.5 <= float(record.recyclable_t + record.kitchen_t + record.hazardous_t + record.other_t) / 0.86 <= 1.1

    december = PublicityActivity.objects.filter(held_on__year=2025, held_on__month=12)
    march = PublicityActivity.objects.filter(held_on__year=2026, held_on__month=3)
    assert (december.count(), march.count()) == (8 * 3, 8 * 5)  # busier while the campaign is on
    assert set(PublicityActivity.objects.values_list("kind", flat=True)) == {
        "community", "household", "school", "office", "enterprise", "training"
    }  # fmt: skip
    assert PublicityActivity.objects.filter(title="垃圾分类进社区——东湖社区宣传日").exists()

    people = dict(SortingPerson.objects.values_list("role").annotate(n=Count("id")))
    estates = Site.objects.filter(kind__in=ESTATES).count()
    assert people[PersonRole.PARTY_LEADER] == 40
    assert people[PersonRole.SUPERVISOR] == 2 * estates + (100 - estates)
    assert 2 * estates < people[PersonRole.VOLUNTEER] < 3 * estates
    assert SortingPerson.objects.filter(post="东湖花园投放点督导（早7:00–9:00）").count() == 1

    site = Site.objects.get(name="东湖花园")
    counts = list(site.participation.order_by("counted_on").values_list("households", flat=True))
    assert counts[0] < counts[-1] <= 860


def test_campaign_has_exactly_the_two_designed_streets_behind(seeded):
    campaign = Campaign.objects.get(district__code="CD", year=2026)
    assert campaign.title == "城东区2026年生活垃圾分类全覆盖工作"
    phases = list(campaign.phases.values_list("kind", "deadline", "target_rate", "demonstration_sites_due"))
    assert [(kind, deadline.isoformat(), int(rate), due) for kind, deadline, rate, due in phases] == [
        ("mobilise", "2026-06-30", 30, True),
        ("implement", "2026-09-30", 100, False),
        ("accept", "2026-11-30", 100, False),
    ]
    targets = StreetTarget.objects.filter(campaign=campaign).select_related("street")
    assert targets.count() == 8
    assert sum(target.sites.count() for target in targets) == Site.objects.count()

    behind = {}
    for phase in campaign.phases.all():
        for target in targets:
            on = Q(covered_since__lte=phase.deadline)
            counts = target.sites.aggregate(total=Count("id"), covered=Count("id", filter=on))
            kinds = set(target.sites.filter(on, is_demonstration=True).values_list("kind", flat=True))
            missing = phase.demonstration_sites_due and not kinds >= DEMONSTRATION_KINDS
            if missing or 100 * counts["covered"] < phase.target_rate * counts["total"]:
                behind.setdefault(target.street.name, []).append(phase.kind)
    assert behind == {"北苑街道": ["mobilise"], "解放街道": ["implement", "accept"]}
    assert Site.objects.filter(street__name="解放街道", covered_since=None).count() == 3
    assert Site.objects.filter(covered_since=None).count() == 3


def test_kitchen_share_rises_with_the_campaign_except_in_the_lagging_street(seeded):
    last_month = (timezone.localdate() - datetime.timedelta(days=1)).replace(day=1)
    first, last = kitchen_share(**month_filter(FIRST_DAY)), kitchen_share(**month_filter(last_month))
    assert 0.15 <= first <= 0.22 and first < last
    if last_month >= datetime.date(2026, 10, 1):
        assert 0.28 <= last <= 0.36
        assert 0.15 <= kitchen_share(street__name="解放街道", **month_filter(last_month)) <= 0.22
        assert kitchen_share(street__name="东湖街道", **month_filter(last_month)) > 0.3
