from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from sanitation.organisations.access import scope_by_unit, units_changeable_by, units_visible_to
from sanitation.organisations.models import Unit, UnitKind

from .models import Campaign, Site


def sites_visible_to(user) -> QuerySet[Site]:
    return scope_by_unit(Site.objects.select_related("street", "community"), user, via="street")


def sites_changeable_by(user) -> QuerySet[Site]:
    """Sites the user may add or change: organisation-wide clerks of the district; leaders only read."""
    return scope_by_unit(Site.objects.select_related("street", "community"), user, via="street", change=True)


def site_filter(
    sites: QuerySet[Site],
    *,
    street: Unit | None = None,
    community: Unit | None = None,
    kind: str = "",
    covered: bool | None = None,
    demonstration: bool | None = None,
    q: str = "",
    on: date | None = None,
) -> QuerySet[Site]:
    """Sites narrowed by the list's filters; `covered` means sorting by `on` (today when not given)."""
    if street is not None:
        sites = sites.filter(street=street)
    if community is not None:
        sites = sites.filter(community=community)
    if kind:
        sites = sites.filter(kind=kind)
    if covered is not None:
        is_covered = Q(covered_since__lte=on or timezone.localdate())
        sites = sites.filter(is_covered) if covered else sites.exclude(is_covered)
    if demonstration is not None:
        sites = sites.filter(is_demonstration=demonstration)
    if q:
        sites = sites.filter(name__icontains=q.strip())
    return sites


def streets_visible_to(user) -> QuerySet[Unit]:
    return units_visible_to(user).filter(kind=UnitKind.STREET).order_by("sort_order", "path")


def communities_visible_to(user) -> QuerySet[Unit]:
    return units_visible_to(user).filter(kind=UnitKind.COMMUNITY).select_related("parent").order_by("path")


def streets_changeable_by(user) -> QuerySet[Unit]:
    return units_changeable_by(user).filter(kind=UnitKind.STREET).order_by("sort_order", "path")


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    return scope_by_unit(Campaign.objects.select_related("district"), user, via="district")


def campaigns_changeable_by(user) -> QuerySet[Campaign]:
    return scope_by_unit(Campaign.objects.select_related("district"), user, via="district", change=True)


def districts_changeable_by(user) -> QuerySet[Unit]:
    """Districts for which the user may open a campaign."""
    return units_changeable_by(user).filter(kind=UnitKind.DISTRICT).order_by("path")
