"""The facility and enterprise registries in Excel: download, and upload back after a
preview. One pair of views serves both registries (the URL passes its Registry).

As in plans/excel_views.py, between the preview and the confirmation the uploaded bytes
wait in the cache under a random token that the user's session holds for that registry
and the confirm form sends back.
"""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from plans.excel_views import ExcelUploadForm
from sanitation.core import spreadsheets

from ..registry_access import may_keep_registries, registry_organisations
from . import excel, selectors
from .subject_views import Registry
from .views import forbidden, readers_only

UPLOAD_SECONDS = 60 * 60


def _organisation(request, organisations):
    """The user's organisation, or the one ?organisation= chooses among several."""
    chosen = request.GET.get("organisation") or request.POST.get("organisation")
    if chosen and chosen.isdigit():
        organisations = organisations.filter(pk=chosen)
    organisation = organisations.order_by("path").first()
    if organisation is None:
        raise Http404
    return organisation


@readers_only
def registry_export(request, *, registry: Registry):
    organisation = _organisation(request, selectors.organisations_readable_by(request.user))
    content = excel.registry_xlsx(registry.resource, organisation=organisation, title=str(registry.title))
    response = HttpResponse(content, content_type=spreadsheets.XLSX_CONTENT_TYPE)
    filename = f"{organisation.display_name}-{registry.title}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@readers_only
def registry_import(request, *, registry: Registry):
    if not may_keep_registries(request.user):
        return forbidden(request)
    organisation = _organisation(request, registry_organisations(request.user))
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, registry, organisation)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    result = upload = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        result = _import(form, registry, organisation, content, dry_run=True)
        if result is not None and result.ok:
            upload = KeptUpload(request, registry).keep(content)
    return _page(request, registry, organisation, form, result, upload)


def _confirm(request, registry: Registry, organisation):
    kept = KeptUpload(request, registry)
    content = kept.content(request.POST.get("upload", ""))
    if content is None:
        messages.error(request, _("The preview is out of date: upload the file again."))
        return redirect(f"ratings:{registry.name}-import")
    form = ExcelUploadForm()
    result = _import(form, registry, organisation, content, dry_run=False)
    if result is None or not result.ok:
        return _page(request, registry, organisation, form, result, None)
    kept.forget()
    messages.success(
        request, _("Imported from Excel: %(new)d new, %(update)d changed, %(unchanged)d unchanged.") % result.counts
    )
    return redirect(f"ratings:{registry.name}-list")


def _import(form, registry: Registry, organisation, content: bytes, *, dry_run: bool):
    try:
        return excel.registry_import(registry.resource, content, organisation=organisation, dry_run=dry_run)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None


def _page(request, registry: Registry, organisation, form, result, upload: str | None):
    context = {"registry": registry, "organisation": organisation, "form": form, "result": result, "upload": upload}
    return render(request, "ratings/excel_import.html", context, status=400 if form.errors else 200)


class KeptUpload:
    """The previewed file of one registry import: in the cache, its token in the session."""

    def __init__(self, request, registry: Registry):
        self.session = request.session
        self.session_key = f"ratings:excel-import:{registry.name}"

    @staticmethod
    def _cache_key(token: str) -> str:
        return f"ratings:excel-import:upload:{token}"

    def keep(self, content: bytes) -> str:
        self.forget()  # a newer preview replaces the older one
        token = secrets.token_urlsafe(24)
        cache.set(self._cache_key(token), content, UPLOAD_SECONDS)
        self.session[self.session_key] = token
        return token

    def content(self, token: str) -> bytes | None:
        """The file previewed under this token, if it is this session's latest."""
        if token and token == self.session.get(self.session_key):
            return cache.get(self._cache_key(token))
        return None

    def forget(self) -> None:
        if token := self.session.pop(self.session_key, None):
            cache.delete(self._cache_key(token))
