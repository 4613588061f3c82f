"""Who may see and keep the association's registries (members, branches, ratings).

The registries belong to an organisation (the association, a tree root): its secretariat
keeps them, its leaders and administrators read them, nobody else sees them at all —
another organisation's user and the association's own unit staff get 404 and empty lists.
Every registry model has an `organisation` foreign key to that root unit.
"""

from django.db.models import QuerySet

from sanitation.organisations.access import scope_by_organisation, scope_by_unit, user_has_role
from sanitation.organisations.models import Role, Unit

READERS = (Role.SECRETARIAT, Role.LEADER, Role.ADMIN)
KEEPERS = (Role.SECRETARIAT, Role.ADMIN)


def may_read_registries(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user_has_role(user, *READERS))


def may_keep_registries(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user_has_role(user, *KEEPERS))


def registry_visible_to(queryset: QuerySet, user, *, via: str = "organisation") -> QuerySet:
    """Records of the user's organisations, for readers of registries; none for others."""
    if not may_read_registries(user):
        return queryset.none()
    return scope_by_organisation(queryset, user, via=via)


def registry_changeable_by(queryset: QuerySet, user, *, via: str = "organisation") -> QuerySet:
    if not may_keep_registries(user):
        return queryset.none()
    return scope_by_unit(queryset, user, via=via, change=True)


def registry_organisations(user) -> QuerySet[Unit]:
    """The organisations (tree roots) whose registries the user keeps: where new records go."""
    if not may_keep_registries(user):
        return Unit.objects.none()
    return scope_by_unit(Unit.objects.filter(parent__isnull=True), user, via="", change=True)
