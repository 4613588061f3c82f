from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache

from sanitation.documents.models import CircularStatus
from sanitation.documents.selectors import circulars_visible_to
from sanitation.organisations.access import organisations_of, user_roles
from sanitation.organisations.models import Role

from .notifications import notifications_unread, notifications_unread_count
from .status import system_status

STATUS_ROLES = {Role.ADMIN, Role.SECRETARIAT, Role.CLERK}
UNREAD_SHOWN = 10
LATEST_CIRCULARS = 5
# Panels the apps add to the home page: functions (user) -> dict naming its "template", or None.
# Named by dotted path so that the project package does not import the apps built on it.
HOME_PANELS = ["supervision.cycle_views.home_cycle_reports"]


@login_required
def home(request):
    """Everyone's inbox, units and latest circulars (one click from their PDF); the apps' panels,
    such as the leaders' latest reports of the cycle."""
    user = request.user
    memberships = user.memberships.select_related("unit").order_by("unit__path")
    circulars = circulars_visible_to(user).filter(status=CircularStatus.ISSUED)
    panels = [import_string(dotted)(user) for dotted in HOME_PANELS]
    return render(
        request,
        "core/home.html",
        {
            "memberships": memberships,
            "organisations": organisations_of(user),
            "unread": notifications_unread(user, limit=UNREAD_SHOWN),
            "unread_count": notifications_unread_count(user),
            "latest_circulars": circulars[:LATEST_CIRCULARS],
            "panels": [panel for panel in panels if panel],
        },
    )


@never_cache
@login_required
def status(request):
    if not user_roles(request.user) & STATUS_ROLES:
        raise PermissionDenied
    checks = system_status()
    return render(
        request,
        "core/status.html",
        {"checks": checks, "all_ok": all(c.ok for c in checks)},
        status=200 if all(c.ok for c in checks) else 503,
    )


@never_cache
def healthz(request):
    """For load balancers and container health checks: the process serves and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
