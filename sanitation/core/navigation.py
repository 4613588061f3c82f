"""The menu, by role. Apps add their entries here as they grow."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.access import user_roles
from sanitation.organisations.models import Role

EVERYONE = frozenset(Role.values)


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    roles: frozenset = EVERYONE


MENU = [
    MenuEntry(_("Home"), "home"),
    MenuEntry(_("Plans"), "plans:plan-list"),
    MenuEntry(_("Circulars"), "documents:circular-list"),
    MenuEntry(_("Organisation"), "organisations:unit-tree"),
    MenuEntry(_("System status"), "status", frozenset({Role.ADMIN, Role.SECRETARIAT, Role.CLERK})),
]


def menu_for(user, current_path: str) -> list[dict]:
    roles = user_roles(user)
    entries = []
    for entry in MENU:
        if roles & entry.roles:
            url = reverse(entry.url_name)
            active = current_path == url if url == "/" else current_path.startswith(url)
            entries.append({"label": entry.label, "url": url, "active": active})
    return entries


def navigation(request):
    if not request.user.is_authenticated:
        return {}
    return {
        "menu": menu_for(request.user, request.path),
        "show_admin_link": request.user.is_staff,
    }
