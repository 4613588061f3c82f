"""The cycle's pages: its reports (the page and the PDF leaders download), the runs that made them
and the button that starts one, and the user's notifications.

Reports and runs belong to their issuer's organisation: everyone working for it reads them, another
district's answer 404. Running a cycle is for the district's clerks and administrators; leaders read.
"""

import hashlib
import logging
from io import BytesIO

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from classification.forms import DATE_INPUT
from sanitation.core.history import history_of
from sanitation.core.notifications import notification_read, notifications_of, notifications_read_all
from sanitation.documents.body import parse_body
from sanitation.documents.models import DocumentIssuer
from sanitation.documents.rendering import _view_blocks
from sanitation.organisations.access import scope_by_organisation, scope_by_unit, user_roles
from sanitation.organisations.models import Role

from .cycle import engine
from .cycle.delivery import period_text, report_title
from .cycle.periods import cycle_issuers
from .models import Cycle, CycleReport, CycleRun, ReportState, RunState, RunTrigger

logger = logging.getLogger(__name__)

RUNNING_ROLES = frozenset({Role.CLERK, Role.ADMIN})
# Who the dashboard shows the cycle's reports to: the people who act on them or read them out.
REPORT_READER_ROLES = frozenset({Role.LEADER, Role.CLERK, Role.ADMIN})
LATEST_PER_CYCLE = 5
RECENT_RUNS = 20
PAGE_SIZE = 50
FUTURE_DAY = _("A cycle runs for a day that has come: choose today or an earlier day.")
PDF_DAMAGED = _("The stored file of this report is damaged. Tell your administrator.")


# Doors: one per model, through the organisation of the issuer.


def cycle_issuers_runnable_by(user) -> QuerySet[DocumentIssuer]:
    """The issuers that run the cycle (sorting offices) whose district the user may act for."""
    return scope_by_unit(cycle_issuers(), user, via="unit", change=True, roles=RUNNING_ROLES).order_by("unit__path")


def cycle_reports_visible_to(user) -> QuerySet[CycleReport]:
    reports = CycleReport.objects.select_related("issuer__unit", "district", "circular")
    return scope_by_organisation(reports, user, via="district")


def cycle_runs_visible_to(user) -> QuerySet[CycleRun]:
    runs = CycleRun.objects.select_related("issuer__unit", "started_by", "report__circular")
    return scope_by_organisation(runs, user, via="issuer__unit")


def cycle_reports_latest(user, *, per_cycle: int = 1) -> list[CycleReport]:
    """The latest done reports of each cycle and issuer the user sees, in the cycle's order:
    two queries whatever the number of reports. The ranking selects ids only: filtering on the
    window wraps the query in another, which with the related rows selected costs Django more
    to compile (about 7 ms on the dashboard) than the second query does to run."""
    visible = cycle_reports_visible_to(user)
    ranked = (
        visible.filter(state=ReportState.DONE)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("issuer_id"), F("cycle")],
                order_by=[F("period_start").desc(), F("pk").desc()],
            )
        )
        .filter(recency__lte=per_cycle)
        .values_list("pk", flat=True)
    )
    order = {value: index for index, value in enumerate(Cycle.values)}
    reports = visible.filter(pk__in=list(ranked))
    return sorted(reports, key=lambda r: (r.issuer.unit.path, order[r.cycle], -r.period_start.toordinal(), -r.pk))


def has_pdf(report: CycleReport) -> bool:
    return bool((report.circular_id and report.circular.pdf) or report.pdf)


# The run form.


class IssuerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, issuer: DocumentIssuer) -> str:
        return issuer.unit.name


class CycleRunForm(forms.Form):
    cycle = forms.ChoiceField(label=_("Cycle"), choices=Cycle.choices)
    day = forms.DateField(
        label=_("Run as of"),
        widget=DATE_INPUT,
        help_text=_(
            "The daily cycle covers this day; the weekly one the last complete week before it; "
            "the monthly, quarterly and annual ones the month, quarter or year before it."
        ),
    )
    issuer = IssuerChoiceField(queryset=DocumentIssuer.objects.none(), label=_("Issuer"))
    regenerate = forms.BooleanField(
        label=_("Regenerate the draft"),
        required=False,
        help_text=_("Make the report again from today's data. An issued circular is never replaced."),
    )

    def __init__(self, *args, issuers: list[DocumentIssuer], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()
        field = self.fields["issuer"]
        field.queryset = DocumentIssuer.objects.filter(pk__in=[issuer.pk for issuer in issuers]).select_related("unit")
        if len(issuers) == 1:
            # Most offices are their district's only issuer: nothing to choose.
            field.initial = issuers[0].pk
            field.widget = forms.HiddenInput()

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise ValidationError(FUTURE_DAY)
        return day


# Pages.


def _cycle_page(request, *, form: CycleRunForm | None):
    user = request.user
    chosen = request.GET.get("cycle")
    context = {"form": form, "can_run": form is not None, "cycles": Cycle.choices}
    if chosen in Cycle.values:
        # Every report of one cycle, newest first: the weekly reports are no circulars, this is their archive.
        reports = cycle_reports_visible_to(user).filter(cycle=chosen, state=ReportState.DONE)
        reports = reports.order_by("-period_start", "issuer__unit__path")
        context |= {
            "chosen": chosen,
            "chosen_label": Cycle(chosen).label,
            "page": Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": f"cycle={chosen}",
        }
    else:
        latest = cycle_reports_latest(user, per_cycle=LATEST_PER_CYCLE)
        context["sections"] = [
            {"cycle": value, "label": label, "reports": [r for r in latest if r.cycle == value]}
            for value, label in Cycle.choices
        ]
        context["runs"] = cycle_runs_visible_to(user)[:RECENT_RUNS]
    return render(request, "supervision/cycle.html", context)


@login_required
def cycle_overview(request):
    issuers = list(cycle_issuers_runnable_by(request.user))
    if request.method != "POST":
        return _cycle_page(request, form=CycleRunForm(issuers=issuers) if issuers else None)
    if not issuers:
        raise PermissionDenied
    form = CycleRunForm(request.POST, issuers=issuers)
    if not form.is_valid():
        return _cycle_page(request, form=form)
    data = form.cleaned_data
    try:
        run = engine.cycle_run_request(
            cycle=data["cycle"],
            issuer=data["issuer"],
            day=data["day"],
            trigger=RunTrigger.WEB,
            user=request.user,
            regenerate=data["regenerate"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _cycle_page(request, form=form)
    return redirect("supervision:cycle-run", run.pk)


@login_required
def cycle_run_detail(request, pk: int):
    run = get_object_or_404(cycle_runs_visible_to(request.user), pk=pk)
    context = {
        "run": run,
        "period": period_text(run.period_start, run.period_end),
        "in_progress": run.state in (RunState.QUEUED, RunState.RUNNING),
    }
    return render(request, "supervision/cycle_run.html", context)


@login_required
def cycle_report_detail(request, pk: int):
    report = get_object_or_404(cycle_reports_visible_to(request.user), pk=pk)
    context = {
        "report": report,
        "title": report_title(report),
        "period": period_text(report.period_start, report.period_end),
        "blocks": _view_blocks(parse_body(report.body), report.figures or {}),
        "has_pdf": has_pdf(report),
        "runs": report.runs.select_related("started_by")[:RECENT_RUNS],
        "history": history_of(report),
    }
    return render(request, "supervision/cycle_report.html", context)


@login_required
def cycle_report_pdf(request, pk: int):
    report = get_object_or_404(cycle_reports_visible_to(request.user), pk=pk)
    circular = report.circular
    if circular is not None and circular.pdf:
        stored, expected, filename = circular.pdf, circular.pdf_sha256, circular.download_name()
    elif report.pdf:
        stored, expected, filename = report.pdf, report.pdf_sha256, f"{report_title(report)}.pdf"
    else:
        raise Http404
    try:
        with stored.open("rb") as file:
            data = file.read()
    except FileNotFoundError:
        logger.error("The PDF of cycle report %s is missing from storage: %s", report.pk, stored.name)
        raise Http404 from None
    if expected and hashlib.sha256(data).hexdigest() != expected:
        logger.error("The stored PDF of cycle report %s does not match its SHA-256", report.pk)
        return HttpResponseServerError(PDF_DAMAGED)
    return FileResponse(
        BytesIO(data), as_attachment=True, filename=filename.replace("/", "-"), content_type="application/pdf"
    )


@login_required
def notification_list(request):
    page = Paginator(notifications_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    unread = any(notification.read_at is None for notification in page.object_list)
    return render(request, "supervision/notifications.html", {"page": page, "any_unread": unread, "query": ""})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one read and go where it points (only ever inside this site)."""
    notification = get_object_or_404(notifications_of(request.user), pk=pk)
    notification_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("supervision:notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read_all(request):
    notifications_read_all(user=request.user)
    return redirect("supervision:notifications")


def home_cycle_reports(user) -> dict | None:
    """The home page's panel: the latest report of each cycle, one click to its PDF."""
    if not user_roles(user) & REPORT_READER_ROLES:
        return None
    return {
        "template": "supervision/_cycle_home.html",
        "reports": [
            {"report": report, "title": report_title(report), "has_pdf": has_pdf(report)}
            for report in cycle_reports_latest(user)
        ],
    }


urlpatterns = [
    path("cycle/", cycle_overview, name="cycle"),
    path("cycle/runs/<int:pk>/", cycle_run_detail, name="cycle-run"),
    path("cycle/reports/<int:pk>/", cycle_report_detail, name="cycle-report"),
    path("cycle/reports/<int:pk>/pdf/", cycle_report_pdf, name="cycle-report-pdf"),
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read/", notification_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", notification_open, name="notification-read"),
]
