"""Each ledger as an Excel file: download it (filtered as on its page), and upload it back
after a preview.

As in plans/excel_views.py, the uploaded bytes wait in the cache between the preview and the
confirmation, under a random token the user's session holds and the confirm form sends back.
The whole upload flow is in this module (_keep, _kept, _forget) so that it can move to the
shared helper when there is one.
"""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from plans.excel_views import ExcelUploadForm
from sanitation.core import spreadsheets

from . import excel, ledgers
from .ledger_views import PAGES, ledger_rows

UPLOAD_SECONDS = 60 * 60
LEDGERS = tuple(excel.SHEETS)


def _sheet(ledger: str) -> excel.LedgerSheet:
    if ledger not in excel.SHEETS:
        raise Http404
    return excel.SHEETS[ledger]


@login_required
def ledger_export(request, ledger: str):
    sheet = _sheet(ledger)
    _form, rows = ledger_rows(request, PAGES[ledger])
    response = HttpResponse(excel.ledger_xlsx(ledger, rows), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    filename = f"{sheet.title}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def ledger_import(request, ledger: str):
    sheet = _sheet(ledger)
    if not ledgers.ledger_streets(request.user, change=True).exists():
        return render(request, "403.html", status=403)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, sheet)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    result = upload = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        result = _import(form, sheet, content, user=request.user, dry_run=True)
        if result is not None and result.ok:
            upload = _keep(request, sheet, content)
    return _page(request, sheet, form, result, upload)


def _confirm(request, sheet: excel.LedgerSheet):
    content = _kept(request, sheet)
    if content is None:
        messages.error(request, _("The preview is out of date: upload the file again."))
        return redirect("classification:ledger-import", sheet.slug)
    form = ExcelUploadForm()
    result = _import(form, sheet, content, user=request.user, dry_run=False)
    if result is None or not result.ok:
        return _page(request, sheet, form, result, None)
    _forget(request, sheet)
    counts = {"new": result.new, "replaced": result.replaced}
    messages.success(request, _("Imported from Excel: %(new)d new rows, %(replaced)d replaced.") % counts)
    return redirect(f"classification:ledger-{sheet.slug}")


def _import(form, sheet: excel.LedgerSheet, content: bytes, **options) -> excel.LedgerImportResult | None:
    try:
        return excel.ledger_import(sheet, content, **options)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None


def _page(request, sheet: excel.LedgerSheet, form, result, upload: str | None):
    context = {"sheet": sheet, "ledger": PAGES[sheet.slug], "form": form, "result": result, "upload": upload}
    return render(request, "classification/excel_import.html", context)


def _session_key(sheet: excel.LedgerSheet) -> str:
    return f"classification:excel-import:{sheet.slug}"


def _cache_key(token: str) -> str:
    return f"classification:excel-import:upload:{token}"


def _keep(request, sheet: excel.LedgerSheet, content: bytes) -> str:
    _forget(request, sheet)  # a newer preview of the ledger replaces the older one
    token = secrets.token_urlsafe(24)
    cache.set(_cache_key(token), content, UPLOAD_SECONDS)
    request.session[_session_key(sheet)] = token
    return token


def _kept(request, sheet: excel.LedgerSheet) -> bytes | None:
    token = request.POST.get("upload", "")
    if not token or token != request.session.get(_session_key(sheet)):
        return None
    return cache.get(_cache_key(token))


def _forget(request, sheet: excel.LedgerSheet) -> None:
    token = request.session.pop(_session_key(sheet), None)
    if token:
        cache.delete(_cache_key(token))


urlpatterns = [
    path("ledgers/<slug:ledger>/export/", ledger_export, name="ledger-export"),
    path("ledgers/<slug:ledger>/import/", ledger_import, name="ledger-import"),
]
