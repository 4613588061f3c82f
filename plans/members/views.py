"""Member pages: the list, a member's page, the forms of the secretariat, the renewal list
and the statistics. Readers of registries read; keepers (secretariat, administrators) write;
anyone else gets 403 on the lists and 404 on a member's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of

from ..registry_access import may_keep_registries, may_read_registries, registry_organisations
from . import selectors, services
from .forms import DuesPaymentForm, MemberFilterForm, MemberForm, StatusChangeForm, YearForm
from .models import CouncilPosition, MemberKind, MemberStatus

PAGE_SIZE = 30
RENEWALS_PAGE_SIZE = 50


def _forbidden(request):
    return render(request, "403.html", status=403)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def member_list(request):
    if not may_read_registries(request.user):
        return _forbidden(request)
    members = selectors.members_visible_to(request.user)
    filter_form = MemberFilterForm(request.GET or None, regions=selectors.member_regions(members))
    found = selectors.member_ordered(selectors.member_filter(members, **filter_form.filters()))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page": page,
        "query": _query_without_page(request),
        "can_keep": may_keep_registries(request.user),
    }
    return render(request, "members/member_list.html", context)


@login_required
def member_detail(request, member_id: int):
    member = get_object_or_404(selectors.members_visible_to(request.user).select_related("organisation"), pk=member_id)
    can_keep = selectors.members_changeable_by(request.user).filter(pk=member.pk).exists()
    today = timezone.localdate()
    context = {
        "member": member,
        "can_keep": can_keep,
        "dues": member.dues.select_related("recorded_by").order_by("-year"),
        "status_changes": member.status_changes.select_related("user"),
        "history": history_of(member),
        "status_form": StatusChangeForm(initial={"changed_on": today}),
        "payment_form": DuesPaymentForm(initial={"year": today.year, "paid_on": today}),
    }
    return render(request, "members/member_detail.html", context)


def _add_errors(form, error: ValidationError) -> None:
    for name, problems in error.update_error_dict({}).items():
        form.add_error(name if name in form.fields else None, problems)


@login_required
def member_create(request):
    organisations = registry_organisations(request.user)
    if not organisations.exists():
        return _forbidden(request)
    form = MemberForm(request.POST or None, organisations=organisations, organisation=organisations.first())
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations.first()
        try:
            member = services.member_create(organisation=organisation, by=request.user, **form.changes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Member added: %(name)s.") % {"name": member.name})
            return redirect("members:member-detail", member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": None})


@login_required
def member_edit(request, member_id: int):
    member = get_object_or_404(selectors.members_visible_to(request.user).select_related("organisation"), pk=member_id)
    if not selectors.members_changeable_by(request.user).filter(pk=member.pk).exists():
        return _forbidden(request)
    form = MemberForm(request.POST or None, instance=member, organisation=member.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.member_update(member, by=request.user, **form.changes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved: %(count)d changes.") % {"count": len(changes)})
            return redirect("members:member-detail", member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


def _changeable(request, member_id: int):
    """The member if the user keeps it; 404 for one the user cannot see, 403 for a reader."""
    member = get_object_or_404(selectors.members_visible_to(request.user), pk=member_id)
    if not selectors.members_changeable_by(request.user).filter(pk=member.pk).exists():
        return None
    return member


@login_required
@require_POST
def member_status(request, member_id: int):
    member = _changeable(request, member_id)
    if member is None:
        return _forbidden(request)
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("members:member-detail", member.pk)
    data = form.cleaned_data
    try:
        services.member_status_change(
            member=member, status=data["status"], on=data["changed_on"], reason=data["reason"], by=request.user
        )
    except services.MemberError as error:
        messages.error(request, str(error))
    else:
        label = MemberStatus(data["status"]).label
        messages.success(request, _("Status changed to %(status)s.") % {"status": label})
    return redirect("members:member-detail", member.pk)


@login_required
@require_POST
def dues_pay(request, member_id: int):
    member = _changeable(request, member_id)
    if member is None:
        return _forbidden(request)
    form = DuesPaymentForm(request.POST)
    year = form.data.get("year", "")
    if form.is_valid():
        data = form.cleaned_data
        year = data["year"]
        try:
            services.dues_pay(member=member, year=year, amount=data["amount"], paid_on=data["paid_on"], by=request.user)
        except services.MemberError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Payment recorded: %(name)s, %(year)d, %(amount)s.")
                % {"name": member.name, "year": year, "amount": f"{data['amount']:.2f}"},
            )
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    if request.POST.get("back") == "renewals":
        return redirect(f"{reverse('members:renewals')}?year={year}")
    return redirect("members:member-detail", member.pk)


@login_required
def renewal_list(request):
    if not may_read_registries(request.user):
        return _forbidden(request)
    year = YearForm.year_of(request.GET)
    members = selectors.renewals(selectors.members_visible_to(request.user), year=year)
    page = Paginator(selectors.member_ordered(members), RENEWALS_PAGE_SIZE).get_page(request.GET.get("page"))
    for member in page:
        member.due = member.year_amount_due if member.year_dues_id else services.dues_standard(member)
        member.outstanding = max(member.due - (member.year_amount_paid or 0), 0)
    context = {
        "year": year,
        "page": page,
        "query": _query_without_page(request),
        "can_keep": may_keep_registries(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "members/renewals.html", context)


def _labelled(rows: list[dict], field: str, choices) -> list[dict]:
    labels = dict(choices)
    return [{"label": labels.get(row[field], row[field]) or "—", "count": row["count"]} for row in rows]


@login_required
def member_statistics(request):
    if not may_read_registries(request.user):
        return _forbidden(request)
    year = YearForm.year_of(request.GET)
    statistics = selectors.member_statistics(selectors.members_visible_to(request.user), year=year)
    context = {
        "year": year,
        "statistics": statistics,
        "by_kind": _labelled(statistics.by_kind, "kind", MemberKind.choices),
        "by_region": _labelled(statistics.by_region, "region", []),
        "by_position": _labelled(statistics.by_position, "council_position", CouncilPosition.choices),
        "by_status": _labelled(statistics.by_status, "status", MemberStatus.choices),
    }
    return render(request, "members/statistics.html", context)
