"""Branch pages: the list, a branch with its terms, targets, assessments and history, the
terms-ending reminder. Readers of registries read; keepers (secretariat, administrators)
write; anyone else gets 403 on the lists and 404 on a branch's pages."""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of

from ..registry_access import may_keep_registries, may_read_registries, registry_organisations
from . import selectors, services
from .forms import AssessmentForm, BranchFilterForm, BranchForm, TargetsForm, TermForm
from .models import Branch, BranchTerm, BranchYearPlan

PAGE_SIZE = 50
MAX_DAYS = 3650


def _forbidden(request):
    return render(request, "403.html", status=403)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for name, problems in error.update_error_dict({}).items():
        form.add_error(name if name in form.fields else None, problems)


@dataclass
class BranchRow:
    branch: Branch
    plan: BranchYearPlan | None  # of the year shown
    latest: BranchYearPlan | None  # the latest assessed year


@login_required
def branch_list(request):
    if not may_read_registries(request.user):
        return _forbidden(request)
    today = timezone.localdate()
    branches = selectors.branches_visible_to(request.user)
    filter_form = BranchFilterForm(request.GET or None, years=selectors.branch_years(branches, today=today))
    year = filter_form.chosen_year(today.year)
    found = selectors.with_listing(selectors.branch_filter(branches, **filter_form.filters()), year=year)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [BranchRow(b, selectors.year_plan(b), selectors.latest_assessment(b)) for b in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": filter_form,
        "page": page,
        "rows": rows,
        "year": year,
        "today": today,
        "query": query.urlencode(),
        "can_keep": may_keep_registries(request.user),
    }
    return render(request, "branches/branch_list.html", context)


@dataclass
class TermEndingRow:
    branch: Branch
    days_left: int  # negative once the term has ended

    @property
    def days_overdue(self) -> int:
        return -self.days_left


class DaysForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, required=False)


@login_required
def terms_ending(request):
    if not may_read_registries(request.user):
        return _forbidden(request)
    today = timezone.localdate()
    days_form = DaysForm(request.GET)
    days = (days_form.is_valid() and days_form.cleaned_data["days"]) or selectors.DEFAULT_TERM_DAYS
    branches = selectors.terms_ending(selectors.branches_visible_to(request.user), today=today, days=days)
    rows = [TermEndingRow(b, (b.current_term_ends_on - today).days) for b in selectors.with_terms(branches)]
    context = {"rows": rows, "days": days, "today": today, "days_error": not days_form.is_valid()}
    return render(request, "branches/terms_ending.html", context)


def _detail(request, branch: Branch, *, status: int = 200, **forms_given):
    today = timezone.localdate()
    terms = list(branch.terms.select_related("recorded_by").order_by("-starts_on", "-number"))
    plans = list(branch.year_plans.select_related("assessed_by").order_by("-year"))
    can_keep = selectors.branches_changeable_by(request.user).filter(pk=branch.pk).exists()
    current = terms[0] if terms else None
    forms_shown = {}
    if can_keep:
        forms_shown = {
            "branch_form": BranchForm(instance=branch, organisations=[branch.organisation], prefix="branch"),
            "term_form": TermForm(initial=_next_term(current), prefix="term"),
            "targets_form": TargetsForm(initial={"year": today.year + (today.month >= 10)}, prefix="targets"),
            "assessment_form": AssessmentForm(
                plans=plans, today=today, initial={"assessed_on": today}, prefix="assessment"
            ),
        } | forms_given
    context = {
        "branch": branch,
        "terms": terms,
        "current": current,
        "term_overdue": current is not None and current.ends_on < today,
        "plans": plans,
        "history": history_of(branch),
        "can_keep": can_keep,
        "today": today,
        **forms_shown,
    }
    return render(request, "branches/branch_detail.html", context, status=status)


def _next_term(current: BranchTerm | None) -> dict:
    if current is None:
        return {"number": 1}
    starts_on = current.ends_on + timedelta(days=1)
    try:
        ends_on = starts_on.replace(year=starts_on.year + 5) - timedelta(days=1)
    except ValueError:  # 29 February
        ends_on = starts_on.replace(year=starts_on.year + 5, day=28)
    return {"number": current.number + 1, "starts_on": starts_on, "ends_on": ends_on}


def _visible(request):
    return selectors.branches_visible_to(request.user).select_related("organisation", "unit")


@login_required
def branch_detail(request, branch_id: int):
    branch = get_object_or_404(_visible(request), pk=branch_id)
    return _detail(request, branch)


def _kept_branch(request, branch_id: int) -> Branch | None:
    """The branch, if the user may change it; 404 outside what they see, None to refuse."""
    branch = get_object_or_404(_visible(request), pk=branch_id)
    if not selectors.branches_changeable_by(request.user).filter(pk=branch.pk).exists():
        return None
    return branch


@login_required
def branch_create(request):
    organisations = list(registry_organisations(request.user))
    if not organisations:
        return _forbidden(request)
    form = BranchForm(request.POST or None, organisations=organisations, initial={"organisation": organisations[0]})
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        try:
            branch = services.branch_create(organisation=organisation, by=request.user, **form.changes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Branch registered: %(name)s.") % {"name": branch.name})
            return redirect("branches:detail", branch.pk)
    return render(request, "branches/branch_form.html", {"form": form})


@login_required
@require_POST
def branch_edit(request, branch_id: int):
    branch = _kept_branch(request, branch_id)
    if branch is None:
        return _forbidden(request)
    form = BranchForm(request.POST, instance=branch, organisations=[branch.organisation], prefix="branch")
    if form.is_valid():
        changes = form.changes()
        branch.refresh_from_db()  # the form wrote its values on the instance; the service compares
        try:
            history = services.branch_update(branch=branch, by=request.user, **changes)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Branch saved: %(count)d changes.") % {"count": len(history)})
            return redirect("branches:detail", branch.pk)
    branch.refresh_from_db()
    return _detail(request, branch, branch_form=form)


@login_required
@require_POST
def branch_term_renew(request, branch_id: int):
    branch = _kept_branch(request, branch_id)
    if branch is None:
        return _forbidden(request)
    form = TermForm(request.POST, prefix="term")
    if form.is_valid():
        try:
            term = services.branch_term_renew(branch=branch, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(term)s recorded.") % {"term": term.label})
            return redirect("branches:detail", branch.pk)
    return _detail(request, branch, term_form=form)


@login_required
@require_POST
def branch_targets(request, branch_id: int):
    branch = _kept_branch(request, branch_id)
    if branch is None:
        return _forbidden(request)
    form = TargetsForm(request.POST, prefix="targets")
    if form.is_valid():
        plan = services.branch_targets_set(branch=branch, by=request.user, **form.cleaned_data)
        messages.success(request, _("Targets of %(year)d saved.") % {"year": plan.year})
        return redirect("branches:detail", branch.pk)
    return _detail(request, branch, targets_form=form)


@login_required
@require_POST
def branch_assess(request, branch_id: int):
    branch = _kept_branch(request, branch_id)
    if branch is None:
        return _forbidden(request)
    plans = list(branch.year_plans.order_by("-year"))
    form = AssessmentForm(request.POST, plans=plans, today=timezone.localdate(), prefix="assessment")
    if form.is_valid():
        try:
            plan = services.branch_assess(branch=branch, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Assessment of %(year)d recorded.") % {"year": plan.year})
            return redirect("branches:detail", branch.pk)
    return _detail(request, branch, assessment_form=form)
