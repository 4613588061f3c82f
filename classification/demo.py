"""Demo data for the sorting office of 城东区: sites, the 2026 coverage campaign and a year of ledgers.

The story the dashboards tell: three demonstration sites per street were piloted in autumn 2025,
the campaign covered the rest street by street from March to September 2026, and the kitchen-waste
separation rate rose with it. Two streets are behind: 北苑街道 never named an open-estate
demonstration site (behind at 6月30日) and 解放街道 still has three sites without sorting.
Everything is arithmetic on fixed dates, so a second run on the same day creates nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from sanitation.organisations.models import Unit, UnitKind

from . import demo_ledgers
from .models import Campaign, CampaignPhase, PhaseKind, Site, SiteKind, StreetTarget

DISTRICT_CODE = "CD"

# One row per community in turn: (name pattern, kind, households or staff, property company)
SITE_PATTERNS = [
    ("{c}花园", SiteKind.MANAGED_ESTATE, 860, "{c}物业服务有限公司"),
    ("{c}老街片区", SiteKind.OPEN_ESTATE, 420, ""),
    ("{s}办事处大楼", SiteKind.OFFICE_BUILDING, 120, "城东机关事务服务中心"),
    ("{c}社区卫生服务站", SiteKind.PUBLIC_INSTITUTION, 35, ""),
    ("{c}小学", SiteKind.SCHOOL, 1200, ""),
    ("{c}万家超市", SiteKind.SUPERMARKET, 80, ""),
    ("{c}酒家", SiteKind.RESTAURANT, 40, ""),
    ("{c}农贸市场", SiteKind.FARMERS_MARKET, 150, "{s}市场管理有限公司"),
    ("{c}雅苑", SiteKind.MANAGED_ESTATE, 640, "城东宜居物业有限公司"),
    ("{c}商务楼", SiteKind.OFFICE_BUILDING, 300, "{c}商务物业有限公司"),
]
DEMONSTRATION_KINDS = [SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING]

# The two streets behind, and how.
STREET_WITHOUT_OPEN_ESTATE_DEMONSTRATION = "北苑街道"
STREET_WITH_UNCOVERED_SITES = "解放街道"
UNCOVERED_SITES = 3

PILOTS_FROM = datetime.date(2025, 9, 1)  # demonstration sites, before the campaign
ROLLOUT_FROM = datetime.date(2026, 3, 2)  # the campaign's first covered sites
ROLLOUT_DAYS = 180  # every street finishes before 9月30日

CAMPAIGN_YEAR = 2026
CAMPAIGN_TITLE = "城东区2026年生活垃圾分类全覆盖工作"
PHASES = [
    # kind, deadline, target rate (%), demonstration sites due
    (PhaseKind.MOBILISE, datetime.date(2026, 6, 30), 30, True),
    (PhaseKind.IMPLEMENT, datetime.date(2026, 9, 30), 100, False),
    (PhaseKind.ACCEPT, datetime.date(2026, 11, 30), 100, False),
]


def site_specs(communities: list[Unit]) -> dict[int, list[dict]]:
    """The demo sites by street id, in the order the campaign covers them, with their coverage plan."""
    by_street: dict[int, list[dict]] = {}
    seen = set()
    for index, community in enumerate(communities):
        street = community.parent
        street_short = street.name.removesuffix("街道")
        community_short = community.name.removesuffix("社区")
        for offset in range(2 + index % 2):
            pattern, kind, size, company = SITE_PATTERNS[(index * 3 + offset) % len(SITE_PATTERNS)]
            name = pattern.format(c=community_short, s=street_short)
            if (street.pk, name) in seen:
                continue
            seen.add((street.pk, name))
            by_street.setdefault(street.pk, []).append(
                {
                    "street": street,
                    "community": community,
                    "name": name,
                    "kind": kind,
                    "households": size,
                    "property_company": company.format(c=community_short, s=street_short),
                    "contact_name": f"{community_short}联络员",
                    "address": f"{street.name}{community.name}",
                }
            )
    for street_index, specs in enumerate(by_street.values()):
        coverage_plan(specs, street_index)
    return by_street


def coverage_plan(specs: list[dict], street_index: int) -> None:
    """Set covered_since and is_demonstration of one street's sites (see the module's docstring)."""
    street_name = specs[0]["street"].name
    demonstrations = {}
    for spec in specs:
        kind = spec["kind"]
        skipped = street_name == STREET_WITHOUT_OPEN_ESTATE_DEMONSTRATION and kind == SiteKind.OPEN_ESTATE
        if kind in DEMONSTRATION_KINDS and kind not in demonstrations and not skipped:
            demonstrations[kind] = spec
    for kind_index, (_kind, spec) in enumerate(sorted(demonstrations.items())):
        spec["is_demonstration"] = True
        spec["covered_since"] = PILOTS_FROM + datetime.timedelta(days=street_index * 6 + kind_index * 9)
    others = [spec for spec in specs if not spec.get("is_demonstration")]
    last = max(len(others) - 1, 1)
    for position, spec in enumerate(others):
        spec["is_demonstration"] = False
        days = street_index * 4 + position * ROLLOUT_DAYS // last
        spec["covered_since"] = ROLLOUT_FROM + datetime.timedelta(days=days)
        if street_name == STREET_WITH_UNCOVERED_SITES and position >= len(others) - UNCOVERED_SITES:
            spec["covered_since"] = None


def sites_seed(by_street: dict[int, list[dict]]) -> int:
    existing = set(Site.objects.filter(street_id__in=by_street).values_list("street_id", "name"))
    new = [
        Site(**spec)
        for specs in by_street.values()
        for spec in specs
        if (spec["street"].pk, spec["name"]) not in existing
    ]
    Site.objects.bulk_create(new)
    return len(new)


def campaign_seed(district: Unit, by_street: dict[int, list[dict]]) -> int:
    """The 2026 campaign; made once, and then it also puts the sites on the campaign's coverage plan."""
    campaign, created = Campaign.objects.get_or_create(
        district=district, year=CAMPAIGN_YEAR, defaults={"title": CAMPAIGN_TITLE}
    )
    if not created:
        return 0
    CampaignPhase.objects.bulk_create(
        CampaignPhase(campaign=campaign, kind=kind, deadline=deadline, target_rate=rate, demonstration_sites_due=due)
        for kind, deadline, rate, due in PHASES
    )
    sites = {(site.street_id, site.name): site for site in Site.objects.filter(street_id__in=by_street)}
    planned = []
    for specs in by_street.values():
        for spec in specs:
            site = sites[(spec["street"].pk, spec["name"])]
            site.covered_since, site.is_demonstration = spec["covered_since"], spec["is_demonstration"]
            planned.append(site)
    # Sites seeded before the campaign existed get its plan; later edits by users are left alone.
    Site.objects.bulk_update(planned, ["covered_since", "is_demonstration"])
    targets = StreetTarget.objects.bulk_create(
        StreetTarget(campaign=campaign, street=specs[0]["street"], note=f"{specs[0]['street'].name}全覆盖目标清单")
        for specs in by_street.values()
    )
    through = StreetTarget.sites.through
    through.objects.bulk_create(
        through(streettarget_id=target.pk, site_id=sites[(target.street_id, spec["name"])].pk)
        for target, specs in zip(targets, by_street.values(), strict=True)
        for spec in specs
    )
    return 1


@transaction.atomic
def seed() -> dict:
    """Sites in every community of the demo district, the campaign and the ledgers; nothing twice."""
    district = Unit.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        return {"sites": 0}
    communities = list(
        Unit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=district.path)
        .select_related("parent")
        .order_by("path")
    )
    by_street = site_specs(communities)
    created = {"sites": sites_seed(by_street)}
    created["campaigns"] = campaign_seed(district, by_street)
    sites = list(Site.objects.filter(street_id__in=by_street).select_related("street", "community"))
    created.update(demo_ledgers.seed(district=district, sites=sites, today=timezone.localdate()))
    return created
