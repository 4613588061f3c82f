from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from sanitation.documents.models import CircularStatus
from sanitation.documents.selectors import circulars_visible_to
from sanitation.organisations.access import organisations_of, user_roles
from sanitation.organisations.models import Role

from .status import system_status

STATUS_ROLES = {Role.ADMIN, Role.SECRETARIAT, Role.CLERK}


@login_required
def home(request):
    memberships = request.user.memberships.select_related("unit").order_by("unit__path")
    return render(
        request,
        "core/home.html",
        {
            "memberships": memberships,
            "organisations": organisations_of(request.user),
            "latest_circulars": circulars_visible_to(request.user).filter(status=CircularStatus.ISSUED)[:5],
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
