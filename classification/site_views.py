"""Site pages: the list with its filters, a site's page, and the clerks' forms. Leaders read;
organisation-wide clerks of the district add and change; other districts' sites answer 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from sanitation.core.history import history_of

from . import selectors, services
from .forms import SiteFilterForm, SiteForm

PAGE_SIZE = 50


def _forbidden(request):
    return render(request, "403.html", status=403)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _add_errors(form, error: ValidationError) -> None:
    for name, problems in error.update_error_dict({}).items():
        form.add_error(name if name in form.fields else None, problems)


@login_required
def site_list(request):
    filter_form = SiteFilterForm(
        request.GET or None,
        streets=selectors.streets_visible_to(request.user),
        communities=selectors.communities_visible_to(request.user),
    )
    sites = selectors.site_filter(selectors.sites_visible_to(request.user), **filter_form.filters())
    page = Paginator(sites.order_by("street__path", "name"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page": page,
        "query": _query_without_page(request),
        "today": timezone.localdate(),
        "can_change": selectors.streets_changeable_by(request.user).exists(),
    }
    return render(request, "classification/site_list.html", context)


@login_required
def site_detail(request, site_id: int):
    site = get_object_or_404(selectors.sites_visible_to(request.user), pk=site_id)
    context = {
        "site": site,
        "today": timezone.localdate(),
        "can_change": selectors.sites_changeable_by(request.user).filter(pk=site.pk).exists(),
        "targets": site.targets.select_related("campaign").order_by("-campaign__year"),
        "history": history_of(site),
    }
    return render(request, "classification/site_detail.html", context)


@login_required
def site_create(request):
    streets = selectors.streets_changeable_by(request.user)
    if not streets.exists():
        return _forbidden(request)
    form = SiteForm(request.POST or None, streets=streets)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(by=request.user, **form.changes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Site added: %(name)s.") % {"name": site.name})
            return redirect("classification:site-detail", site.pk)
    return render(request, "classification/site_form.html", {"form": form, "site": None})


@login_required
def site_edit(request, site_id: int):
    site = get_object_or_404(selectors.sites_visible_to(request.user), pk=site_id)
    if not selectors.sites_changeable_by(request.user).filter(pk=site.pk).exists():
        return _forbidden(request)
    form = SiteForm(request.POST or None, instance=site, streets=selectors.streets_changeable_by(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.site_update(site=site, by=request.user, **form.changes())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved: %(count)d changes.") % {"count": len(changed)})
            return redirect("classification:site-detail", site.pk)
    return render(request, "classification/site_form.html", {"form": form, "site": site})


urlpatterns = [
    path("sites/", site_list, name="site-list"),
    path("sites/new/", site_create, name="site-create"),
    path("sites/<int:site_id>/", site_detail, name="site-detail"),
    path("sites/<int:site_id>/edit/", site_edit, name="site-edit"),
]
