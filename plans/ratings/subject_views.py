"""The two registries the programmes rate, facilities and enterprises, with one set of
views: each URL passes the Registry it is about."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sanitation.core.history import history_of

from ..registry_access import may_keep_registries, registry_organisations
from . import selectors, services
from .excel import EnterpriseResource, FacilityResource
from .forms import EnterpriseForm, FacilityForm
from .models import Business, Enterprise, Facility, FacilityKind, Programme
from .services import RatingError
from .views import forbidden, readers_only

PAGE_SIZE = 50


@dataclass(frozen=True)
class Registry:
    name: str  # the URL names' prefix: facility-list, enterprise-detail …
    model: type
    programme: str
    form_class: type[forms.ModelForm]
    save: Callable
    visible_to: Callable
    changeable_by: Callable
    choice_field: str  # the list's filter besides the name
    choices: type
    search: tuple[str, ...]
    title: str
    new_title: str
    resource: type

    def template(self, page: str) -> str:
        return f"ratings/{self.name}_{page}.html"


FACILITIES = Registry(
    name="facility",
    model=Facility,
    programme=Programme.FACILITY,
    form_class=FacilityForm,
    save=services.facility_save,
    visible_to=selectors.facilities_visible_to,
    changeable_by=selectors.facilities_changeable_by,
    choice_field="kind",
    choices=FacilityKind,
    search=("name", "operator_name", "province", "city", "operator_credit_code"),
    title=gettext_lazy("Facilities"),
    new_title=gettext_lazy("New facility"),
    resource=FacilityResource,
)
ENTERPRISES = Registry(
    name="enterprise",
    model=Enterprise,
    programme=Programme.CREDIT,
    form_class=EnterpriseForm,
    save=services.enterprise_save,
    visible_to=selectors.enterprises_visible_to,
    changeable_by=selectors.enterprises_changeable_by,
    choice_field="business",
    choices=Business,
    search=("name", "credit_code", "region"),
    title=gettext_lazy("Enterprises"),
    new_title=gettext_lazy("New enterprise"),
    resource=EnterpriseResource,
)


class SubjectFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False)
    choice = forms.ChoiceField(required=False)

    def __init__(self, *args, registry: Registry, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [("", "—"), *registry.choices.choices]
        self.fields["choice"].label = registry.model._meta.get_field(registry.choice_field).verbose_name.capitalize()


@readers_only
def subject_list(request, *, registry: Registry):
    subjects = selectors.with_current_rating(registry.visible_to(request.user), today=timezone.localdate())
    filters = SubjectFilterForm(request.GET or None, registry=registry)
    if filters.is_valid():
        if text := filters.cleaned_data["q"].strip():
            subjects = subjects.filter(reduce(or_, (Q(**{f"{name}__icontains": text}) for name in registry.search)))
        if choice := filters.cleaned_data["choice"]:
            subjects = subjects.filter(**{registry.choice_field: choice})
    subjects = subjects.order_by(*registry.model._meta.ordering, "pk")
    page = Paginator(subjects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "registry": registry,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "can_keep": may_keep_registries(request.user),
    }
    return render(request, registry.template("list"), context)


@login_required
def subject_detail(request, pk: int, *, registry: Registry):
    subject = get_object_or_404(registry.visible_to(request.user), pk=pk)
    context = {
        "registry": registry,
        "subject": subject,
        "current": selectors.rating_current(subject=subject, today=timezone.localdate()),
        "history": selectors.rating_history(subject),
        "changes": history_of(subject),
        "can_keep": registry.changeable_by(request.user).filter(pk=subject.pk).exists(),
    }
    return render(request, registry.template("detail"), context)


@login_required
def subject_edit(request, pk: int | None = None, *, registry: Registry):
    if pk:  # another organisation's entry does not exist; a reader may not change it
        subject = get_object_or_404(registry.visible_to(request.user), pk=pk)
    if not may_keep_registries(request.user):
        return forbidden(request)
    subject = get_object_or_404(registry.changeable_by(request.user), pk=pk) if pk else None
    rating_round = _round_to_join(request, registry) if subject is None else None
    form = registry.form_class(request.POST or None, instance=subject)
    organisations = registry_organisations(request.user)
    if subject is None and rating_round is None and len(organisations) > 1:
        form.fields["organisation"] = forms.ModelChoiceField(label=_("Organisation"), queryset=organisations)
    if request.method == "POST" and form.is_valid():
        instance = form.instance
        if subject is None:
            instance.organisation = (
                rating_round.organisation if rating_round else form.cleaned_data.get("organisation", organisations[0])
            )
        try:
            registry.save(instance, by=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)  # the registry's uniqueness: the other fields are checked
        else:
            return _saved(request, registry, instance, rating_round)
    context = {"registry": registry, "form": form, "subject": subject, "round": rating_round}
    return render(request, "ratings/subject_form.html", context, status=400 if form.errors else 200)


def _round_to_join(request, registry: Registry):
    """The open round a new entry applies in at once (?round=ID), if any."""
    round_id = request.GET.get("round") or request.POST.get("round")
    if not (round_id or "").isdecimal() or len(round_id) > 18:  # not isdigit: int() refuses "²"
        return None
    rounds = selectors.rounds_changeable_by(request.user).filter(scheme__programme=registry.programme)
    return get_object_or_404(rounds, pk=round_id)


def _saved(request, registry: Registry, subject, rating_round):
    messages.success(request, _("%(name)s saved.") % {"name": subject.name})
    if rating_round is None:
        return redirect(f"ratings:{registry.name}-detail", subject.pk)
    try:
        services.application_submit(rating_round=rating_round, user=request.user, **{registry.name: subject})
    except RatingError as error:
        for problem in error.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("%(name)s applied.") % {"name": subject.name})
    return redirect("ratings:round-detail", rating_round.pk)
