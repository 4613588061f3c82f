"""Demo sites: every kind of site in every street of the demo district."""

import datetime

from django.db import transaction

from sanitation.organisations.models import Unit, UnitKind

from .models import Site, SiteKind

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
COVERED_FROM = datetime.date(2025, 3, 1)


@transaction.atomic
def seed() -> dict:
    """Two or three sites in each community of the demo district; existing ones are left as they are."""
    created = 0
    communities = Unit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith="CD/").select_related("parent")
    for index, community in enumerate(communities.order_by("path")):
        street = community.parent
        street_short = street.name.removesuffix("街道")
        community_short = community.name.removesuffix("社区")
        for offset in range(2 + index % 2):
            pattern, kind, size, company = SITE_PATTERNS[(index * 3 + offset) % len(SITE_PATTERNS)]
            covered = COVERED_FROM + datetime.timedelta(days=(index * 7 + offset * 30) % 200)
            _, was_created = Site.objects.get_or_create(
                street=street,
                name=pattern.format(c=community_short, s=street_short),
                defaults={
                    "community": community,
                    "kind": kind,
                    "households": size,
                    "property_company": company.format(c=community_short, s=street_short),
                    "contact_name": f"{community_short}联络员",
                    "address": f"{street.name}{community.name}",
                    "covered_since": covered if (index + offset) % 5 else None,
                    "is_demonstration": offset == 0 and index % 5 == 0,
                },
            )
            created += was_created
    return {"sites": created}
