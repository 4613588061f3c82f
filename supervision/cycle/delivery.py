"""Telling people: leaders when a report is done, units when their rectifications go overdue.

Notifications are stored in the office's language (they are written once for every reader), and
each event notifies a user once: the key names the event, the database refuses a second row."""

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from sanitation.core.notifications import notifications_send
from sanitation.organisations.models import Membership, Role, User

from ..models import CycleReport, Rectification, RectificationState
from .base import in_document_language

REPORT_BODY = _("%(cycle)s of %(issuer)s for %(period)s.")
OVERDUE_TITLE = ngettext_lazy(
    "%(unit)s: %(count)d rectification is overdue",
    "%(unit)s: %(count)d rectifications are overdue",
    "count",
)
OVERDUE_LINE = _("%(site)s · %(problem)s · deadline %(deadline)s")
OVERDUE_MORE = _("… and %(count)d more.")
OVERDUE_LINES_SHOWN = 10


def report_title(report: CycleReport) -> str:
    """The title leaders know a report by: a numbered circular's number comes first."""
    number = report.circular.number if report.circular_id else ""
    return f"{number} {report.title}".strip() if number else report.title or str(report)


def period_text(start: datetime.date, end: datetime.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def district_leaders(district) -> QuerySet[User]:
    """Active users with a leader's membership on a unit of the district's tree."""
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.LEADER,
        memberships__unit__path__startswith=district.path,
    ).distinct()


def leaders_notify(*, report) -> int:
    """Notification (and e-mail on commit) to the leaders of the report's district, once per report."""
    report = CycleReport.objects.select_related("district", "issuer__unit", "circular").get(pk=report.pk)
    with in_document_language():
        title = report_title(report)
        body = str(
            REPORT_BODY
            % {
                "cycle": report.get_cycle_display(),
                "issuer": report.issuer.unit.display_name,
                "period": period_text(report.period_start, report.period_end),
            }
        )
    return notifications_send(
        users=district_leaders(report.district),
        key=f"report:{report.pk}",
        title=title,
        body=body,
        url=reverse("supervision:cycle-report", args=[report.pk]),
    )


def overdue_units_notify(*, rectifications, day: datetime.date | None = None) -> int:
    """Remind each unit of its newly overdue rectifications: one notification per unit and day.

    The unit's own staff (unit-staff members of the responsible street) are told; the link opens
    their overdue rectifications. Returns how many people were notified now."""
    day = day or timezone.localdate()
    pks = [getattr(rectification, "pk", rectification) for rectification in rectifications]
    found = (
        Rectification.objects.filter(pk__in=pks)
        .select_related("unit", "site", "problem__problem_type")
        .order_by("unit__path", "deadline", "pk")
    )
    by_unit = defaultdict(list)
    for rectification in found:
        by_unit[rectification.unit].append(rectification)
    if not by_unit:
        return 0
    staff = defaultdict(list)
    for membership in Membership.objects.filter(
        unit__in=list(by_unit), role=Role.UNIT_STAFF, user__is_active=True
    ).select_related("user"):
        staff[membership.unit_id].append(membership.user)
    url = f"{reverse('supervision:rectification-list')}?{urlencode({'state': RectificationState.OVERDUE})}"
    notified = 0
    for unit, overdue in by_unit.items():
        with in_document_language():
            title = str(OVERDUE_TITLE % {"unit": unit.display_name, "count": len(overdue)})
            lines = [
                str(
                    OVERDUE_LINE
                    % {
                        "site": rectification.site.name,
                        "problem": rectification.problem.problem_type.name,
                        "deadline": rectification.deadline.isoformat(),
                    }
                )
                for rectification in overdue[:OVERDUE_LINES_SHOWN]
            ]
            if len(overdue) > OVERDUE_LINES_SHOWN:
                lines.append(str(OVERDUE_MORE % {"count": len(overdue) - OVERDUE_LINES_SHOWN}))
        notified += notifications_send(
            users=staff[unit.pk],
            key=f"overdue:{unit.code}:{day.isoformat()}",
            title=title,
            body="\n".join(lines),
            url=url,
        )
    return notified
