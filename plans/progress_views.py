"""Plan pages for following the work: the board, an item with its reports, a unit's items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of
from sanitation.organisations.access import units_visible_to
from sanitation.organisations.models import Unit

from . import progress, selectors, services
from .forms import BoardFilterForm, IndicatorValueForm, MilestoneForm, ProgressReportForm
from .indicators import indicator_enter, indicator_refresh
from .models import Item, ProgressReport


@login_required
def board(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_visible_to(request.user).select_related("issuer", "circular"), pk=plan_id)
    filter_form = BoardFilterForm(request.GET or None, units=selectors.plan_units(plan))
    all_items = selectors.with_status(plan.items.all())
    items = selectors.item_filter(all_items, **filter_form.filters())
    context = {
        "plan": plan,
        "filter_form": filter_form,
        "items": selectors.board_items(items),
        "chapters": selectors.chapter_progress(items),
        "units": selectors.unit_progress(items),
        "without_lead": items.filter(lead_units__isnull=True).count(),
        "can_keep": selectors.plans_changeable_by(request.user).filter(pk=plan.pk).exists(),
        "status_labels": selectors.ItemStatus.LABELS,
        "history": history_of(plan),
    }
    return render(request, "plans/board.html", context)


def _visible_item(request, item_id: int) -> Item:
    return get_object_or_404(selectors.items_visible_to(request.user).select_related("plan__issuer"), pk=item_id)


@login_required
def item_detail(request, item_id: int):
    item = _visible_item(request, item_id)
    reporting_units = selectors.units_reporting_for(request.user, item)
    lead_ids = set(item.lead_units.values_list("pk", flat=True))
    acknowledged = set(item.acknowledgements.values_list("unit_id", flat=True))
    form = ProgressReportForm(units=Unit.objects.filter(pk__in=[u.pk for u in reporting_units]))
    form.initial = {"month": progress.month_of(timezone.localdate()), "percent": item.percent}
    context = {
        "item": item,
        "status_label": selectors.ItemStatus.LABELS[item.status],
        "leads": item.lead_units.order_by("path"),
        "assists": item.assisting_units.order_by("path"),
        "acknowledged": acknowledged,
        "to_acknowledge": [unit for unit in reporting_units if unit.pk in lead_ids and unit.pk not in acknowledged],
        "report_form": form if reporting_units else None,
        "reports": item.reports.select_related("unit", "created_by"),
        "history": history_of(item),
        "can_keep": selectors.plans_changeable_by(request.user).filter(pk=item.plan_id).exists(),
        "milestones": item.milestones.all(),
        "milestone_form": MilestoneForm(),
    }
    return render(request, "plans/item_detail.html", context)


@login_required
@require_POST
def item_acknowledge(request, item_id: int):
    item = _visible_item(request, item_id)
    units = {unit.pk: unit for unit in selectors.units_reporting_for(request.user, item)}
    unit_id = request.POST.get("unit", "")
    unit = units.get(int(unit_id)) if unit_id.isdecimal() and len(unit_id) <= 18 else None
    if unit is None:
        raise Http404
    try:
        progress.acknowledge(item, unit, user=request.user)
    except progress.ProgressError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(unit)s has acknowledged the item.") % {"unit": unit.name})
    return redirect("plans:item", item.pk)


@login_required
@require_POST
def item_report(request, item_id: int):
    item = _visible_item(request, item_id)
    units = Unit.objects.filter(pk__in=[u.pk for u in selectors.units_reporting_for(request.user, item)])
    form = ProgressReportForm(request.POST, request.FILES, units=units)
    if form.is_valid():
        data = form.cleaned_data
        try:
            progress.progress_report(
                item,
                data["unit"],
                text=data["text"],
                percent=data["percent"],
                month=data["month"],
                attachment=data["attachment"],
                user=request.user,
            )
        except progress.ProgressError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Progress reported."))
            return redirect("plans:item", item.pk)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("plans:item", item.pk)


@login_required
@require_POST
def indicator_update(request, item_id: int):
    plans = selectors.plans_changeable_by(request.user)
    item = get_object_or_404(Item, pk=item_id, plan__in=plans)
    if "refresh" in request.POST:
        for indicator in item.indicators.exclude(provider=""):
            indicator_refresh(indicator)
        return redirect("plans:item", item.pk)
    form = IndicatorValueForm(request.POST)
    if form.is_valid():
        indicator = get_object_or_404(item.indicators, pk=form.cleaned_data["indicator"], provider="")
        indicator_enter(indicator, form.cleaned_data["value"], by=request.user)
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Enter the actual value as a number."))
    return redirect("plans:item", item.pk)


@login_required
@require_POST
def milestone_update(request, item_id: int):
    """Add a milestone, or mark one done (POST done=<id>)."""
    item = get_object_or_404(Item, pk=item_id, plan__in=selectors.plans_changeable_by(request.user))
    if done := request.POST.get("done"):
        if not (done.isdecimal() and len(done) <= 18):
            raise Http404
        milestone = get_object_or_404(item.milestones, pk=done, done_on__isnull=True)
        services.milestone_done(milestone, done_on=timezone.localdate(), user=request.user)
        return redirect("plans:item", item.pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        services.milestone_add(item, user=request.user, **form.cleaned_data)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("plans:item", item.pk)


@login_required
def report_attachment(request, report_id: int):
    items = selectors.items_visible_to(request.user)
    report = get_object_or_404(ProgressReport.objects.exclude(attachment=""), pk=report_id, item__in=items)
    return FileResponse(report.attachment.open("rb"), as_attachment=True, filename=report.attachment_name)


@login_required
def unit_items(request, unit_id: int):
    unit = get_object_or_404(units_visible_to(request.user), pk=unit_id)
    return render(request, "plans/unit_items.html", _unit_context(request, unit))


def _unit_context(request, unit: Unit) -> dict:
    visible = selectors.items_visible_to(request.user)
    of_unit = selectors.items_of_unit(unit)
    leads = of_unit["leads"].filter(pk__in=visible.values("pk")).prefetch_related("acknowledgements")
    assists = of_unit["assists"].filter(pk__in=visible.values("pk"))
    leads, assists = list(leads), list(assists)
    return {
        "unit": unit,
        "leads": leads,
        "assists": assists,
        "late": [item for item in leads if item.status == selectors.ItemStatus.OVERDUE],
        "due_soon": [item for item in leads if item.light == selectors.Light.YELLOW],
        "reminders": selectors.reminders_of(unit),
        "status_labels": selectors.ItemStatus.LABELS,
    }


@login_required
def my_items(request):
    """The items of the user's own unit(s): what unit staff open first."""
    units = Unit.objects.filter(memberships__user=request.user).distinct().order_by("path")
    pages = [_unit_context(request, unit) for unit in units]
    return render(request, "plans/my_items.html", {"pages": pages})


urlpatterns = [
    path("<int:plan_id>/board/", board, name="board"),
    path("items/<int:item_id>/", item_detail, name="item"),
    path("items/<int:item_id>/acknowledge/", item_acknowledge, name="item-acknowledge"),
    path("items/<int:item_id>/report/", item_report, name="item-report"),
    path("items/<int:item_id>/indicators/", indicator_update, name="indicator-update"),
    path("items/<int:item_id>/milestones/", milestone_update, name="milestone-update"),
    path("reports/<int:report_id>/attachment/", report_attachment, name="report-attachment"),
    path("units/<int:unit_id>/", unit_items, name="unit-items"),
    path("mine/", my_items, name="my-items"),
]
