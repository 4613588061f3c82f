"""The member registry as an Excel file: download it, and upload it back after a preview.

As in plans/excel_views.py, the uploaded bytes wait in the cache between the preview and the
confirmation, under a random token the user's session holds and the confirm form sends back.
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
from .forms import MemberFilterForm

UPLOAD_SECONDS = 60 * 60
SESSION_KEY = "members:excel-import"


class MemberUploadForm(ExcelUploadForm):
    organisation = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("Organisation"))

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        # Only someone keeping several organisations' registries chooses which one.
        if len(organisations) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations


@login_required
def members_export(request):
    if not may_read_registries(request.user):
        return render(request, "403.html", status=403)
    members = selectors.members_visible_to(request.user)
    filter_form = MemberFilterForm(request.GET or None, regions=selectors.member_regions(members))
    members = selectors.member_ordered(selectors.member_filter(members, **filter_form.filters()))
    response = HttpResponse(excel.members_xlsx(members), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    filename = f"会员名单-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def members_import(request):
    organisations = list(registry_organisations(request.user))
    if not organisations:
        return render(request, "403.html", status=403)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, organisations)
    form = MemberUploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    result = upload = organisation = None
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        content = form.cleaned_data["file"].read()
        result = _import(form, organisation, content, user=request.user, dry_run=True)
        if result is not None and result.ok:
            upload = _keep(request, organisation, content)
    return _page(request, form, result, upload, organisation)


def _confirm(request, organisations: list[Unit]):
    kept = _kept(request, organisations)
    if kept is None:
        messages.error(request, _("The preview is out of date: upload the file again."))
        return redirect("members:import")
    organisation, content = kept
    form = MemberUploadForm(organisations=organisations)
    result = _import(form, organisation, content, user=request.user, dry_run=False)
    if result is None or not result.ok:
        return _page(request, form, result, None, organisation)
    _forget(request)
    messages.success(
        request,
        _("Imported from Excel: %(new)d new members, %(update)d changed, %(unchanged)d unchanged.") % result.counts,
    )
    return redirect("members:member-list")


def _import(form, organisation: Unit, content: bytes, **options) -> excel.MemberImportResult | None:
    try:
        return excel.members_import(organisation, content, **options)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None


def _page(request, form, result, upload: str | None, organisation: Unit | None):
    context = {"form": form, "result": result, "upload": upload, "organisation": organisation}
    return render(request, "members/excel_import.html", context)


def _cache_key(token: str) -> str:
    return f"members:excel-import:upload:{token}"


def _keep(request, organisation: Unit, content: bytes) -> str:
    _forget(request)  # a newer preview replaces the older one
    token = secrets.token_urlsafe(24)
    cache.set(_cache_key(token), content, UPLOAD_SECONDS)
    request.session[SESSION_KEY] = {"token": token, "organisation": organisation.pk}
    return token


def _kept(request, organisations: list[Unit]) -> tuple[Unit, bytes] | None:
    kept = request.session.get(SESSION_KEY) or {}
    token = request.POST.get("upload", "")
    organisation = next((unit for unit in organisations if unit.pk == kept.get("organisation")), None)
    if not token or token != kept.get("token") or organisation is None:
        return None
    content = cache.get(_cache_key(token))
    return None if content is None else (organisation, content)


def _forget(request) -> None:
    kept = request.session.pop(SESSION_KEY, None)
    if kept:
        cache.delete(_cache_key(kept["token"]))
