"""The one place that answers "which units and records may this user see and change".

Every user-facing queryset goes through `scope_by_unit` (or `units_visible_to`). Scope is
a set of unit-path prefixes: staff who work for a whole organisation (secretariat,
sorting-office clerks, leaders, administrators) reach every unit of their organisation's
tree; unit staff reach their own unit and what lies below it. Leaders read, they do not
change. Outside the scope a record simply does not exist for the user (views answer 404).
"""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from .models import Membership, Role, Unit

ORGANISATION_WIDE_ROLES = frozenset({Role.SECRETARIAT, Role.CLERK, Role.LEADER, Role.ADMIN})
READ_ONLY_ROLES = frozenset({Role.LEADER})
_EVERYTHING = None  # scope of a superuser: no filter at all


def _memberships(user) -> list[Membership]:
    # Cached on the user object: one query per request however many querysets are scoped.
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user_id=user.pk).select_related("unit"))
        user._memberships_cache = cached
    return cached


def _prefixes(user, *, change: bool, roles: frozenset | None = None) -> frozenset[str] | None:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return _EVERYTHING
    prefixes = set()
    for membership in _memberships(user):
        if change and membership.role in READ_ONLY_ROLES:
            continue
        if roles is not None and membership.role not in roles:
            continue
        if membership.role in ORGANISATION_WIDE_ROLES:
            prefixes.add(membership.unit.organisation_path)
        else:
            prefixes.add(membership.unit.path)
    return frozenset(prefixes)


def user_roles(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    roles = {m.role for m in _memberships(user)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return frozenset(roles)


def user_has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def scope_by_unit(
    queryset: QuerySet, user, *, via: str = "unit", change: bool = False, roles: frozenset | None = None
) -> QuerySet:
    """Filter `queryset` to rows whose unit (reached through the lookup `via`) the user may see.

    `via` is the lookup from the queryset's model to a Unit ("unit", "site__street", …);
    for a queryset of units themselves pass `via=""`. With `change=True` the scope is what
    the user may change. `roles` counts only the memberships in those roles (a clerk reviews a
    rectification, the street's staff answer it).
    """
    prefixes = _prefixes(user, change=change, roles=roles)
    if prefixes is _EVERYTHING:
        return queryset
    if not prefixes:
        return queryset.none()
    field = f"{via}__path__startswith" if via else "path__startswith"
    return queryset.filter(reduce(or_, (Q(**{field: prefix}) for prefix in sorted(prefixes))))


def scope_by_organisation(queryset: QuerySet, user, *, via: str = "unit") -> QuerySet:
    """Rows whose unit lies anywhere in an organisation the user works for: what an
    organisation publishes to all its people (issued circulars), whatever their own unit."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    paths = {membership.unit.organisation_path for membership in _memberships(user)}
    if not paths:
        return queryset.none()
    return queryset.filter(reduce(or_, (Q(**{f"{via}__path__startswith": path}) for path in sorted(paths))))


def units_visible_to(user) -> QuerySet[Unit]:
    return scope_by_unit(Unit.objects.all(), user, via="")


def units_changeable_by(user) -> QuerySet[Unit]:
    return scope_by_unit(Unit.objects.all(), user, via="", change=True)


def organisations_of(user) -> QuerySet[Unit]:
    """The organisations (tree roots) the user works for."""
    roots = Unit.objects.filter(parent__isnull=True)
    if user.is_authenticated and user.is_superuser:
        return roots
    paths = {m.unit.organisation_path for m in _memberships(user)} if user.is_authenticated else set()
    return roots.filter(path__in=paths)
