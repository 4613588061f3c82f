"""The clerk's day: the sites the rotation sends them to, the rectifications waiting for their
re-inspection and what they have recorded so far. Leaders see the district's day, read-only;
unit staff have nothing to inspect and go to their rectifications."""

import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.forms import date_kept
from sanitation.organisations.access import user_roles
from sanitation.organisations.models import Role

from . import access, rotation
from .models import RectificationState
from .scores import period_span

REASONS = {
    rotation.REASON_DUE: _("Due"),
    rotation.REASON_PROBLEM: _("Problem site"),
    rotation.REASON_AHEAD: _("Ahead of time"),
}
SEES_THE_DAY = frozenset({Role.CLERK, Role.LEADER, Role.ADMIN})


def _day_asked(request, today: datetime.date) -> datetime.date:
    try:
        return date_kept(datetime.date.fromisoformat(request.GET.get("day", ""))) or today
    except ValueError:
        return today


@login_required
def day(request):
    user = request.user
    roles = user_roles(user)
    if Role.UNIT_STAFF in roles and not roles & SEES_THE_DAY:
        return redirect("supervision:rectification-list")
    today = timezone.localdate()
    chosen = _day_asked(request, today)
    is_clerk = Role.CLERK in roles
    if is_clerk:
        # Only today's list is made: planned ahead, it would not know what gets inspected until then.
        clerk_day = rotation.clerk_day(clerk=user, day=chosen, plan=chosen == today)
        assignments, awaiting, done = clerk_day.assignments, clerk_day.awaiting_review, clerk_day.inspections_done
        for assignment in assignments:
            assignment.reason_label = REASONS.get(assignment.reason, assignment.reason)
    else:
        assignments = []
        since, until = period_span(chosen, chosen)
        awaiting = list(
            access.rectifications_visible_to(user)
            .filter(state=RectificationState.AWAITING_REVIEW)
            .select_related("site", "site__street", "unit", "problem__problem_type")
            .order_by("opened_at", "pk")
        )
        done = list(
            access.inspections_visible_to(user)
            .filter(inspected_at__gte=since, inspected_at__lt=until)
            .select_related("site", "street", "recorded_by")
            .order_by("inspected_at", "pk")
        )
    context = {
        "day": chosen,
        "today": today,
        "previous_day": chosen - datetime.timedelta(days=1),
        "next_day": chosen + datetime.timedelta(days=1),
        "is_clerk": is_clerk,
        "assignments": assignments,
        "done_count": sum(1 for assignment in assignments if assignment.done),
        "awaiting_review": awaiting,
        "inspections_done": done,
        "not_planned_yet": is_clerk and chosen > today and not assignments,
    }
    return render(request, "supervision/day.html", context)


urlpatterns = [
    path("", day, name="day"),
]
