"""Demo ledgers (台账) of 城东区: daily collection, facilities, publicity, people and participation.

Quantities are arithmetic on the site, the street and the day (a small integer hash stands in for
randomness), so rows do not depend on the order or the day they are made in: each run adds only the
days since the last one.
"""

import datetime
from decimal import Decimal

from django.db.models import Max

from sanitation.organisations.models import Unit

from .models import (
    CollectionRecord,
    FacilityKind,
    HouseholdParticipation,
    PersonRole,
    PublicityActivity,
    PublicityKind,
    Site,
    SiteKind,
    SortingFacility,
    SortingPerson,
)

RECORDS_FROM = datetime.date(2025, 12, 1)
RECORDS_MAX_DAYS = 400
BATCH = 5000
LAGGING_STREET = "解放街道"  # sorts late and badly: its separation rate stays under 20%
# Per street, in path order: how well its sorting takes hold.
STREET_FACTORS = [1.05, 0.97, 1.0, 0.93, 1.08, 0.85, 1.0, 1.03]
DESTINATION = "厨余→城东区餐厨垃圾处理厂；其他→城东区生活垃圾焚烧发电厂；可回收→城东再生资源分拣中心"
SPRING_FESTIVAL = (datetime.date(2026, 2, 10), datetime.date(2026, 2, 24))
SCHOOL_HOLIDAYS = [
    (datetime.date(2026, 1, 24), datetime.date(2026, 2, 28)),
    (datetime.date(2026, 7, 11), datetime.date(2026, 8, 31)),
]

# kind: (kg per household or staff a day, kitchen multiplier, weekend factor, extra recyclable share)
KIND_PROFILE = {
    SiteKind.MANAGED_ESTATE: (0.8, 1.0, 1.08, 0.0),
    SiteKind.OPEN_ESTATE: (0.65, 0.9, 1.05, 0.0),
    SiteKind.OFFICE_BUILDING: (0.35, 0.6, 0.25, 0.06),
    SiteKind.PUBLIC_INSTITUTION: (0.4, 0.6, 0.4, 0.03),
    SiteKind.SCHOOL: (0.12, 1.2, 0.1, 0.02),
    SiteKind.SUPERMARKET: (3.5, 1.1, 1.2, 0.08),
    SiteKind.RESTAURANT: (4.0, 2.2, 1.15, 0.0),
    SiteKind.FARMERS_MARKET: (5.0, 1.9, 1.1, 0.0),
}
ESTATES = (SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN_NAMES = [
    "芳", "强", "伟", "敏", "静", "磊", "丽", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓燕", "志强", "海燕", "国庆", "红梅", "文斌",
]  # fmt: skip


def noise(*numbers: int) -> float:
    """A number in [0, 1) fixed by its arguments: deterministic 'randomness' without a sequence."""
    value = 2166136261
    for number in numbers:
        value = ((value ^ (number & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 2246822519) & 0xFFFFFFFF
    value ^= value >> 13
    return value / 2**32


def person_name(number: int) -> str:
    return SURNAMES[number * 7 % len(SURNAMES)] + GIVEN_NAMES[number * 11 % len(GIVEN_NAMES)]


def tonnes(kg: float) -> Decimal:
    return Decimal(round(kg)) / 1000


def maturity(site: Site, day: datetime.date, lagging: bool) -> float:
    """How far sorting has taken hold at a site on a day: 0 before coverage, 1 after nine months."""
    if site.covered_since is None or site.covered_since > day:
        return 0.0
    value = min(1.0, (day - site.covered_since).days / 270)
    return min(value, 0.2) if lagging else value


def records_until(today: datetime.date) -> datetime.date:
    return min(today - datetime.timedelta(days=1), RECORDS_FROM + datetime.timedelta(days=RECORDS_MAX_DAYS - 1))


def collection_record(site: Site, number: int, street_index: int, day: datetime.date) -> CollectionRecord:
    kg_each, kitchen_factor, weekend, recyclable_extra = KIND_PROFILE[site.kind]
    lagging = site.street.name == LAGGING_STREET
    ordinal = day.toordinal()
    amount = (site.households or 0) * kg_each * (0.88 + 0.24 * noise(number, ordinal))
    if day.weekday() >= 5:
        amount *= weekend
    if SPRING_FESTIVAL[0] <= day <= SPRING_FESTIVAL[1]:
        amount *= 0.8 if site.kind in ESTATES else 0.5
    if site.kind == SiteKind.SCHOOL and any(start <= day <= end for start, end in SCHOOL_HOLIDAYS):
        amount *= 0.1
    grown = maturity(site, day, lagging)
    covered = 0.03 if site.covered_since is not None and site.covered_since <= day else 0.0
    street_factor = STREET_FACTORS[street_index % len(STREET_FACTORS)]
    kitchen_share = kitchen_factor * street_factor * (0.13 + covered + 0.17 * grown)
    kitchen_share = min(0.8, kitchen_share * (0.9 + 0.2 * noise(number, ordinal, 1)))
    recyclable_share = (0.08 + recyclable_extra + 0.03 * grown) * (0.9 + 0.2 * noise(number, ordinal, 2))
    hazardous = amount * 7 * 0.0015 if day.weekday() == 0 else 0.0  # collected on Mondays
    kitchen = tonnes(amount * kitchen_share)
    recyclable = tonnes(amount * recyclable_share)
    hazardous_t = tonnes(hazardous)
    other = max(tonnes(amount) - kitchen - recyclable, Decimal(0))
    return CollectionRecord(
        street_id=site.street_id,
        community_id=site.community_id,
        site_id=site.pk,
        collected_on=day,
        recyclable_t=recyclable,
        hazardous_t=hazardous_t,
        kitchen_t=kitchen,
        other_t=other,
        vehicle=f"城东环卫-{street_index * 3 + number % 3 + 1:02d}",
        destination=DESTINATION,
    )


def collection_seed(sites: list[Site], street_index: dict[int, int], today: datetime.date) -> int:
    """One record per site and day from RECORDS_FROM to yesterday, after whatever is already there."""
    last = records_until(today)
    done = dict(
        CollectionRecord.objects.filter(site__in=sites).values_list("site_id").annotate(last=Max("collected_on"))
    )
    created, batch = 0, []
    for number, site in enumerate(sites):
        day = max(RECORDS_FROM, done.get(site.pk, RECORDS_FROM - datetime.timedelta(days=1)) + datetime.timedelta(1))
        while day <= last:
            batch.append(collection_record(site, number, street_index[site.street_id], day))
            day += datetime.timedelta(days=1)
            if len(batch) >= BATCH:
                created += len(CollectionRecord.objects.bulk_create(batch))
                batch = []
    created += len(CollectionRecord.objects.bulk_create(batch))
    return created


def facilities(sites: list[Site], streets: list[Unit], communities: list[Unit]) -> list[SortingFacility]:
    baseline = datetime.date(2026, 1, 15)
    rows = []
    for site in sites:
        size = site.households or 0
        groups = -(-size // 80) if site.kind in ESTATES else -(-size // 300)
        on = site.covered_since or baseline
        kwargs = {"street_id": site.street_id, "community_id": site.community_id, "site": site, "recorded_on": on}
        note = "四分类桶组" if site.covered_since else "混合收集桶，待改造"
        rows.append(
            SortingFacility(
                kind=FacilityKind.CONTAINER, count=groups * 4, capacity=240, capacity_unit="L", note=note, **kwargs
            )
        )
        if site.kind in ESTATES:
            rows.append(
                SortingFacility(kind=FacilityKind.DROP_OFF, count=max(1, size // 250), note="定时定点投放点", **kwargs)
            )
    for community in communities:
        kwargs = {"street_id": community.parent_id, "community": community, "recorded_on": baseline}
        rows.append(
            SortingFacility(kind=FacilityKind.BULKY_STORAGE, count=1, capacity=20, capacity_unit="m³", **kwargs)
        )
        rows.append(
            SortingFacility(
                kind=FacilityKind.HAZARDOUS_STORAGE, count=1, capacity=Decimal("0.5"), capacity_unit="t", **kwargs
            )
        )
    for index, street in enumerate(streets):
        kwargs = {"street": street, "recorded_on": baseline}
        rows.append(
            SortingFacility(kind=FacilityKind.PERISHABLE_TRANSFER, count=1, capacity=10, capacity_unit="t", **kwargs)
        )
        plates = f"城东环卫-{index * 3 + 1:02d}至{index * 3 + 3:02d}"
        rows.append(
            SortingFacility(kind=FacilityKind.VEHICLE, count=3, capacity=5, capacity_unit="t", note=plates, **kwargs)
        )
    rows.append(
        SortingFacility(
            street=streets[0], kind=FacilityKind.SORTING_CENTRE, count=1, capacity=50, capacity_unit="t",
            recorded_on=baseline, note="城东再生资源分拣中心",
        )
    )  # fmt: skip
    return rows


PUBLICITY = [
    # kind, title pattern, audience (base), materials (base)
    (PublicityKind.COMMUNITY, "垃圾分类进社区——{community}宣传日", 180, 300),
    (PublicityKind.HOUSEHOLD, "“分类从家开始”{community}入户宣传", 120, 120),
    (PublicityKind.SCHOOL, "“小手拉大手”{street}中小学垃圾分类课堂", 300, 350),
    (PublicityKind.OFFICE, "{street}机关垃圾分类知识讲座", 60, 80),
    (PublicityKind.ENTERPRISE, "垃圾分类进企业——{community}商户宣讲", 45, 100),
    (PublicityKind.TRAINING, "{street}分类督导员业务培训", 40, 40),
]


def months(first: datetime.date, last: datetime.date):
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def publicity(streets: list[Unit], communities: list[Unit], last: datetime.date) -> list[PublicityActivity]:
    """Three activities a street a month, five while the campaign is on (March to September 2026)."""
    by_street = {street.pk: [c for c in communities if c.parent_id == street.pk] for street in streets}
    rows = []
    for m, month in enumerate(months(RECORDS_FROM, last)):
        busy = datetime.date(2026, 3, 1) <= month <= datetime.date(2026, 9, 1)
        for s, street in enumerate(streets):
            for j in range(5 if busy else 3):
                kind, title, audience, materials = PUBLICITY[(s + m * 3 + j) % len(PUBLICITY)]
                community = by_street[street.pk][(m + j) % len(by_street[street.pk])]
                held_on = month.replace(day=1 + (s * 5 + j * 9 + m * 2) % 27)
                if held_on > last:
                    continue
                scale = 1.3 if busy else 1.0
                rows.append(
                    PublicityActivity(
                        street=street,
                        community=community,
                        kind=kind,
                        held_on=held_on,
                        title=title.format(street=street.name, community=community.name),
                        audience=round(audience * scale * (0.7 + 0.6 * noise(s, m, j))),
                        materials=round(materials * scale * (0.7 + 0.6 * noise(s, m, j, 1))),
                    )
                )
    return rows


def people(sites: list[Site], communities: list[Unit]) -> list[SortingPerson]:
    rows = []

    def person(role, post, number, **place):
        rows.append(
            SortingPerson(
                name=person_name(number), role=role, post=post, phone=f"139{number * 7919 % 10**8:08d}", **place
            )
        )

    for number, community in enumerate(communities):
        place = {"street_id": community.parent_id, "community": community, "since": datetime.date(2025, 9, 1)}
        person(PersonRole.PARTY_LEADER, f"{community.name}党委委员·分类工作带头人", 1000 + number, **place)
    for number, site in enumerate(sites):
        place = {"street_id": site.street_id, "community_id": site.community_id, "site": site}
        place["since"] = site.covered_since
        if site.kind in ESTATES:
            person(PersonRole.SUPERVISOR, f"{site.name}投放点督导（早7:00–9:00）", 2000 + number * 2, **place)
            person(PersonRole.SUPERVISOR, f"{site.name}投放点督导（晚18:30–20:30）", 2001 + number * 2, **place)
            for v in range(2 + number % 2):
                person(PersonRole.VOLUNTEER, f"{site.name}桶边值守志愿者", 3000 + number * 3 + v, **place)
        else:
            person(PersonRole.SUPERVISOR, f"{site.name}分类督导员", 2000 + number * 2, **place)
    return rows


def participation(sites: list[Site], last: datetime.date, done: set) -> list[HouseholdParticipation]:
    """Households of each estate taking part, counted on the 15th of each month."""
    rows = []
    for number, site in enumerate(sites):
        if site.kind not in ESTATES or not site.households:
            continue
        lagging = site.street.name == LAGGING_STREET
        for month in months(RECORDS_FROM, last):
            day = month.replace(day=15)
            if day > last or (site.pk, day) in done:
                continue
            grown = maturity(site, day, lagging)
            rate = 0.2 if site.covered_since is None or site.covered_since > day else 0.45 + 0.5 * grown
            rate *= 0.95 + 0.05 * noise(number, day.toordinal())
            rows.append(HouseholdParticipation(site=site, counted_on=day, households=round(site.households * rate)))
    return rows


def seed(*, district: Unit, sites: list[Site], today: datetime.date) -> dict:
    """The ledgers of the demo district; each kind is made once, collection and counts catch up daily."""
    streets = list(Unit.objects.filter(kind="street", path__startswith=district.path).order_by("path"))
    communities = list(Unit.objects.filter(kind="community", path__startswith=district.path).order_by("path"))
    street_index = {street.pk: index for index, street in enumerate(streets)}
    sites = sorted(sites, key=lambda site: (site.street.path, site.pk))
    last = records_until(today)
    in_district = {"street__path__startswith": district.path}
    created = {"collection records": collection_seed(sites, street_index, today)}

    created["facilities"] = 0
    if not SortingFacility.objects.filter(**in_district).exists():
        created["facilities"] = len(SortingFacility.objects.bulk_create(facilities(sites, streets, communities)))

    latest = PublicityActivity.objects.filter(**in_district).aggregate(latest=Max("held_on"))["latest"]
    activities = [a for a in publicity(streets, communities, last) if latest is None or a.held_on > latest]
    created["publicity activities"] = len(PublicityActivity.objects.bulk_create(activities))

    created["people"] = 0
    if not SortingPerson.objects.filter(**in_district).exists():
        created["people"] = len(SortingPerson.objects.bulk_create(people(sites, communities)))

    done = set(HouseholdParticipation.objects.filter(site__in=sites).values_list("site_id", "counted_on"))
    counts = participation(sites, last, done)
    created["participation counts"] = len(HouseholdParticipation.objects.bulk_create(counts, batch_size=BATCH))
    return created
