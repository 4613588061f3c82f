"""The branch registry as an Excel file: download it, and upload it back after a preview.

As plans/excel_views.py: between the preview and the confirmation the file waits in the
cache under a random token that the user's session holds and the confirm form sends back.
"""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sanitation.core import spreadsheets
from sanitation.organisations.models import Unit

from ..excel_views import ExcelUploadForm
from ..registry_access import may_read_registries, registry_organisations
from . import excel, selectors
from .forms import BranchFilterForm

UPLOAD_SECONDS = 60 * 60
SESSION_KEY = "branches:excel-import"


class BranchUploadForm(ExcelUploadForm):
    organisation = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("Organisation"))

    def __init__(self, *args, organisations: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        # Only someone keeping several organisations' registries chooses which one.
        if len(organisations) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = Unit.objects.filter(pk__in=[o.pk for o in organisations])


@login_required
def branches_export(request):
    if not may_read_registries(request.user):
        return render(request, "403.html", status=403)
    branches = selectors.branches_visible_to(request.user)
    filter_form = BranchFilterForm(request.GET or None, years=[])
    branches = selectors.with_terms(selectors.branch_filter(branches, **filter_form.filters()))
    response = HttpResponse(excel.branches_xlsx(branches), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    filename = f"分支机构-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def branches_import(request):
    organisations = list(registry_organisations(request.user).order_by("sort_order", "name"))
    if not organisations:
        return render(request, "403.html", status=403)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, organisations)
    form = BranchUploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    result = upload = None
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        content = form.cleaned_data["file"].read()
        result = _import(form, organisation, content, user=request.user, dry_run=True)
        if result is not None and result.ok:
            upload = _keep(request, organisation, content)
    return _page(request, form, result, upload)


def _confirm(request, organisations: list[Unit]):
    kept = _kept(request, organisations)
    if kept is None:
        messages.error(request, _("The preview is out of date: upload the file again."))
        return redirect("branches:import")
    organisation, content = kept
    form = BranchUploadForm(organisations=organisations)
    result = _import(form, organisation, content, user=request.user, dry_run=False)
    if result is None or not result.ok:
        return _page(request, form, result, None)
    _forget(request)
    messages.success(
        request,
        _("Imported from Excel: %(new)d new branches, %(update)d changed, %(unchanged)d unchanged.") % result.counts,
    )
    return redirect("branches:list")


def _import(form, organisation: Unit, content: bytes, **options) -> excel.BranchImportResult | None:
    try:
        return excel.branches_import(organisation, content, **options)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None


def _page(request, form, result, upload: str | None):
    return render(request, "branches/excel_import.html", {"form": form, "result": result, "upload": upload})


def _cache_key(token: str) -> str:
    return f"branches:excel-import:upload:{token}"


def _keep(request, organisation: Unit, content: bytes) -> str:
    _forget(request)  # a newer preview replaces the older one
    token = secrets.token_urlsafe(24)
    cache.set(_cache_key(token), content, UPLOAD_SECONDS)
    request.session[SESSION_KEY] = {"token": token, "organisation": organisation.pk}
    return token


def _kept(request, organisations: list[Unit]) -> tuple[Unit, bytes] | None:
    kept = request.session.get(SESSION_KEY) or {}
    token = request.POST.get("upload", "")
    if not token or token != kept.get("token"):
        return None
    organisation = next((o for o in organisations if o.pk == kept.get("organisation")), None)
    content = cache.get(_cache_key(token))
    if organisation is None or content is None:
        return None
    return organisation, content


def _forget(request) -> None:
    kept = request.session.pop(SESSION_KEY, None)
    if kept:
        cache.delete(_cache_key(kept["token"]))
