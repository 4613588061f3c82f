"""Plan pages: the list, importing a plan from its document, issuing it as a circular, editing and
removing an item."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of
from sanitation.documents.models import IssuedCircularError
from sanitation.organisations.access import units_changeable_by
from sanitation.organisations.models import Unit

from . import selectors, services
from .forms import ItemForm, PlanDocumentForm, PlanIssueForm
from .models import Item


class ItemDeleteForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the item removed from the plan?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def plan_list(request):
    plans = selectors.with_item_counts(selectors.plans_visible_to(request.user)).select_related("issuer", "circular")
    context = {"plans": plans, "can_import": selectors.may_keep_plans(request.user)}
    return render(request, "plans/plan_list.html", context)


def _mapping(request, issuer: Unit) -> dict[str, Unit]:
    """The units the user chose for names the tree does not know (name_N → map_N)."""
    choices = {str(unit.pk): unit for unit in units_changeable_by(request.user).filter(path__startswith=issuer.path)}
    mapping = {}
    for key, name in request.POST.items():
        if key.startswith("name_") and request.POST.get(f"map_{key[5:]}") in choices:
            mapping[name] = choices[request.POST[f"map_{key[5:]}"]]
    return mapping


@login_required
def plan_import(request):
    issuers = units_changeable_by(request.user).filter(kind__in=["association", "center", "office", "district"])
    if not issuers.exists() or not selectors.may_keep_plans(request.user):
        return render(request, "403.html", status=403)
    form = PlanDocumentForm(request.POST or None, request.FILES or None, issuers=issuers)
    preview = None
    mapping = {}
    if request.method == "POST" and form.is_valid():
        issuer = form.cleaned_data["issuer"]
        mapping = _mapping(request, issuer)
        preview = services.plan_preview(
            form.cleaned_data["text"], issuer=issuer, year=form.cleaned_data["year"], mapping=mapping
        )
        if "save" in request.POST and not preview.problems():
            try:
                plan = services.plan_import(preview, user=request.user)
            except services.PlanImportError as error:
                messages.error(request, " ".join(error.problems))
            else:
                messages.success(request, _("Plan imported: %(count)d items.") % {"count": plan.items.count()})
                return redirect("plans:board", plan.pk)
    context = {"form": form, "preview": preview}
    if preview is not None:
        context["units"] = units_changeable_by(request.user).filter(path__startswith=preview.issuer.path)
        # The names asked about stay on the page with the unit chosen, so that saving keeps the mapping.
        context["asked"] = [
            (name, mapping.get(name)) for name, units in preview.names.items() if name in mapping or not units
        ]
    return render(request, "plans/plan_import.html", context)


@login_required
@require_POST
def plan_issue(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_changeable_by(request.user), pk=plan_id)
    form = PlanIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("plans:board", plan.pk)
    try:
        circular = services.plan_issue(plan, user=request.user, recipients=form.cleaned_data["recipients"])
    except (services.PlanImportError, IssuedCircularError) as error:
        messages.error(request, str(error))
        return redirect("plans:board", plan.pk)
    messages.success(request, _("Issued as %(number)s.") % {"number": circular.number})
    return redirect("documents:circular-detail", circular.pk)


@login_required
def item_edit(request, item_id: int):
    plans = selectors.plans_changeable_by(request.user)
    item = get_object_or_404(Item.objects.select_related("plan__issuer"), pk=item_id, plan__in=plans)
    units = Unit.objects.filter(path__startswith=item.plan.issuer.organisation_path, is_active=True)
    form = ItemForm(request.POST or None, units=units, initial=ItemForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        changes = services.item_update(item, user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved: %(count)d changes.") % {"count": len(changes)})
        return redirect("plans:item", item.pk)
    context = {"form": form, "item": item, "history": history_of(item), "delete_form": ItemDeleteForm()}
    return render(request, "plans/item_form.html", context)


@login_required
@require_POST
def item_delete(request, item_id: int):
    """Take the item out of its plan (soft: restored in the admin)."""
    plans = selectors.plans_changeable_by(request.user)
    item = get_object_or_404(Item.objects.select_related("plan"), pk=item_id, plan__in=plans)
    form = ItemDeleteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("plans:item-edit", item.pk)
    services.item_delete(item, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Item %(item)s removed from the plan.") % {"item": item})
    return redirect("plans:board", item.plan_id)


urlpatterns = [
    path("", plan_list, name="plan-list"),
    path("import/", plan_import, name="plan-import"),
    path("<int:plan_id>/issue/", plan_issue, name="plan-issue"),
    path("items/<int:item_id>/edit/", item_edit, name="item-edit"),
    path("items/<int:item_id>/delete/", item_delete, name="item-delete"),
]
