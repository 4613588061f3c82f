"""The menu, by role. Apps add their entries here as they grow."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    MenuEntry(_("Plans"), "plans:plan-list", frozenset({Role.ADMIN, Role.SECRETARIAT, Role.CLERK, Role.LEADER})),
    MenuEntry(_("My items"), "plans:my-items", frozenset({Role.UNIT_STAFF, Role.SECRETARIAT, Role.CLERK})),
    MenuEntry(_("Waste sorting"), "classification:dashboard", frozenset({Role.ADMIN, Role.CLERK, Role.LEADER})),
    MenuEntry(pgettext_lazy("menu", "Inspections"), "supervision:day", frozenset({Role.ADMIN, Role.CLERK})),
    MenuEntry(
        pgettext_lazy("menu", "Rectifications"),
        "supervision:rectification-list",
        frozenset({Role.ADMIN, Role.CLERK, Role.UNIT_STAFF, Role.LEADER}),
    ),
    MenuEntry(_("Rankings"), "supervision:scores", frozenset({Role.ADMIN, Role.CLERK, Role.LEADER})),
    MenuEntry(
        pgettext_lazy("menu", "Cycle reports"), "supervision:cycle", frozenset({Role.ADMIN, Role.CLERK, Role.LEADER})
    ),
    MenuEntry(_("Circulars"), "documents:circular-list"),
    MenuEntry(_("Registries"), "registries", frozenset({Role.ADMIN, Role.SECRETARIAT, Role.LEADER})),
    MenuEntry(_("Organisation"), "organisations:unit-tree"),
    MenuEntry(_("System status"), "status", frozenset({Role.ADMIN, Role.SECRETARIAT, Role.CLERK})),
]


def menu_for(user, current_path: str) -> list[dict]:
    roles = user_roles(user)
    entries = [{"label": e.label, "url": reverse(e.url_name), "active": False} for e in MENU if roles & e.roles]
    # The entry whose address is the longest start of the current path is the active one
    # (/plans/mine/ is "My items", not "Plans").
    matching = [
        e for e in entries if (current_path == e["url"] if e["url"] == "/" else current_path.startswith(e["url"]))
    ]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    return entries


def navigation(request):
    if not request.user.is_authenticated:
        return {}
    return {
        "menu": menu_for(request.user, request.path),
        "show_admin_link": request.user.is_staff,
    }
