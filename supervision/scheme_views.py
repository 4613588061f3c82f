"""Assessment scheme pages: every version of the district's schemes, one version in full, and
the clerks' drafts (a new version, its edit page saved all or nothing, putting it in force).
Clerks and administrators of the district change; leaders and street staff read; another
district's scheme answers 404."""

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from classification.models import SiteKind

from . import access, schemes
from .models import AssessmentScheme, DeductionRule, SchemeStatus
from .review_forms import SCHEME_FIELDS, PutInForceForm, SchemeForm, scheme_formsets

RULE_ON_DELETED_CRITERION = gettext_lazy("This rule deducts from a criterion you are deleting.")
NOT_SAVED = gettext_lazy("Nothing was saved: two rows clash (the same name or problem type twice?).")


def _forbidden(request):
    return render(request, "403.html", status=403)


def _visible(user, pk: int) -> AssessmentScheme:
    return get_object_or_404(access.schemes_visible_to(user).select_related("district", "created_by"), pk=pk)


def _can_change(user, scheme: AssessmentScheme) -> bool:
    return access.schemes_changeable_by(user).filter(pk=scheme.pk).exists()


def _weights_warning(sources) -> str | None:
    total = sum((source.weight for source in sources), Decimal(0))
    if total == 100:
        return None
    return schemes.WEIGHTS_NOT_100 % {"total": f"{total.normalize():f}"}


@login_required
def scheme_list(request):
    found = access.schemes_visible_to(request.user).select_related("district", "created_by")
    context = {
        "schemes": found.order_by("district__path", "-year", "-version"),
        "can_change": access.schemes_changeable_by(request.user).exists(),
    }
    return render(request, "supervision/scheme_list.html", context)


@login_required
def scheme_detail(request, pk: int):
    scheme = _visible(request.user, pk)
    kinds = dict(SiteKind.choices)
    criteria = list(scheme.criteria.all())
    for criterion in criteria:
        criterion.kind_labels = [kinds.get(kind, kind) for kind in criterion.site_kinds]
    sources = list(scheme.sources.all())
    can_change = _can_change(request.user, scheme)
    is_draft = scheme.status == SchemeStatus.DRAFT
    context = {
        "scheme": scheme,
        "sources": sources,
        "weights_warning": _weights_warning(sources) if is_draft else None,
        "criteria": criteria,
        "points_total": sum((criterion.points for criterion in criteria), Decimal(0)),
        "rules": scheme.deduction_rules.select_related("problem_type", "criterion").order_by(
            "problem_type__order", "problem_type_id"
        ),
        "can_change": can_change,
        "is_draft": is_draft,
        "in_force_form": PutInForceForm(initial={"on": timezone.localdate()}) if can_change and is_draft else None,
    }
    return render(request, "supervision/scheme_detail.html", context)


@login_required
@require_POST
def scheme_new_version(request, pk: int):
    scheme = _visible(request.user, pk)
    if not _can_change(request.user, scheme):
        return _forbidden(request)
    try:
        draft = schemes.scheme_new_version(scheme=scheme, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("supervision:scheme-detail", scheme.pk)
    messages.success(request, _("Version %(version)s made as a draft.") % {"version": draft.version})
    return redirect("supervision:scheme-edit", draft.pk)


def _cross_check(formsets: dict) -> bool:
    """Rules must not point at a criterion deleted in the same submission (it would take them along)."""
    deleted = {form.instance.pk for form in formsets["criteria"].deleted_forms if form.instance.pk}
    clean = True
    for form in formsets["rules"].forms:
        if form in formsets["rules"].deleted_forms:
            continue
        criterion = form.cleaned_data.get("criterion")
        if criterion is not None and criterion.pk in deleted:
            form.add_error("criterion", RULE_ON_DELETED_CRITERION)
            clean = False
    return clean


def _kept(formset) -> list:
    """The rows of a formset to save: changed or new, and not ticked for deletion."""
    return [form for form in formset.forms if form not in formset.deleted_forms and form.has_changed()]


@transaction.atomic
def _scheme_draft_save(*, scheme: AssessmentScheme, form: SchemeForm, formsets: dict, by) -> None:
    """The scheme's fields and its three formsets through the scheme services, in one
    transaction: a refusal of any part (say, the draft was put in force meanwhile) saves nothing."""
    schemes.scheme_update(scheme=scheme, by=by, **{name: form.cleaned_data[name] for name in SCHEME_FIELDS})
    criteria, sources, rules = formsets["criteria"], formsets["sources"], formsets["rules"]
    # Deletions first: a deleted criterion takes its rules along, which must not undo rules saved below.
    for row in rules.deleted_forms:
        if row.instance.pk:
            schemes.deduction_rule_delete(rule=row.instance, by=by)
    for row in criteria.deleted_forms:
        if row.instance.pk:
            schemes.criterion_delete(criterion=row.instance, by=by)
    for row in sources.deleted_forms:
        if row.instance.pk:
            schemes.source_delete(source=row.instance, by=by)
    for row in _kept(criteria):
        data = row.cleaned_data
        schemes.criterion_save(
            scheme=scheme,
            by=by,
            name=data["name"],
            points=data["points"],
            site_kinds=data["site_kinds"],
            order=data["order"],
            description=row.instance.description,
            criterion=row.instance if row.instance.pk else None,
        )
    for position, row in enumerate(sources.forms):
        if row in sources.deleted_forms or not row.has_changed():
            continue
        data = row.cleaned_data
        schemes.source_save(
            scheme=scheme,
            by=by,
            kind=data["kind"],
            name=data["name"],
            weight=data["weight"],
            # Sources have no order on the page: a row keeps its place, a new one goes where it stands.
            order=row.instance.order if row.instance.pk else position,
            source=row.instance if row.instance.pk else None,
        )
    for row in _kept(rules):
        data = row.cleaned_data
        if row.instance.pk and "problem_type" in row.changed_data:
            # One rule per problem type: a rule moved to another type leaves the old type without one.
            schemes.deduction_rule_delete(rule=DeductionRule.objects.get(pk=row.instance.pk), by=by)
        schemes.deduction_rule_set(
            scheme=scheme, by=by, problem_type=data["problem_type"], criterion=data["criterion"], points=data["points"]
        )
    LogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(AssessmentScheme),
        object_id=str(scheme.pk),
        object_repr=str(scheme)[:200],
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": form.changed_data}}]),
    )


@login_required
def scheme_edit(request, pk: int):
    scheme = _visible(request.user, pk)
    if not _can_change(request.user, scheme):
        return _forbidden(request)
    if scheme.status != SchemeStatus.DRAFT:
        messages.error(request, str(schemes.NOT_A_DRAFT))
        return redirect("supervision:scheme-detail", scheme.pk)
    data = request.POST if request.method == "POST" else None
    form = SchemeForm(data, instance=scheme)
    formsets = scheme_formsets(scheme, data)
    if data is not None:
        # Every part is validated, so the page shows all the errors at once.
        checks = [form.is_valid(), *(formset.is_valid() for formset in formsets.values())]
        if all(checks) and _cross_check(formsets):
            try:
                _scheme_draft_save(scheme=scheme, form=form, formsets=formsets, by=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            except IntegrityError:
                form.add_error(None, NOT_SAVED)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("supervision:scheme-detail", scheme.pk)
    context = {
        "scheme": scheme,
        "form": form,
        "formsets": formsets,
        "weights_warning": _weights_warning(scheme.sources.all()),
    }
    return render(request, "supervision/scheme_form.html", context)


@login_required
@require_POST
def scheme_put_in_force(request, pk: int):
    scheme = _visible(request.user, pk)
    if not _can_change(request.user, scheme):
        return _forbidden(request)
    form = PutInForceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date from which the scheme is in force."))
        return redirect("supervision:scheme-detail", scheme.pk)
    try:
        schemes.scheme_put_in_force(scheme=scheme, on=form.cleaned_data["on"], by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("In force from %(day)s.") % {"day": form.cleaned_data["on"].isoformat()})
    return redirect("supervision:scheme-detail", scheme.pk)


urlpatterns = [
    path("schemes/", scheme_list, name="scheme-list"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme-detail"),
    path("schemes/<int:pk>/new-version/", scheme_new_version, name="scheme-new-version"),
    path("schemes/<int:pk>/edit/", scheme_edit, name="scheme-edit"),
    path("schemes/<int:pk>/put-in-force/", scheme_put_in_force, name="scheme-put-in-force"),
]
