"""A plan's items as an Excel file: download them, and upload them back after a preview.

Between the preview and the confirmation the uploaded bytes wait in the cache under a
random token that the user's session holds for that plan, and the confirm form sends back.
Not in a hidden field: a 5 MB file is 6.7 MB of base64, past Django's 2.5 MB limit on form
fields, and sent twice. Not in the session itself: it is stored in the database and read
on every request. The token ties the confirmation to the preview this user saw.
"""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sanitation.core import spreadsheets

from . import excel, selectors
from .models import Plan

UPLOAD_SECONDS = 60 * 60


class ExcelUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx, at most 5 MB)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(spreadsheets.NOT_XLSX)
        if upload.size > spreadsheets.MAX_BYTES:
            raise forms.ValidationError(spreadsheets.TOO_LARGE % {"megabytes": spreadsheets.MAX_BYTES // (1024 * 1024)})
        return upload


@login_required
def plan_items_export(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_visible_to(request.user), pk=plan_id)
    response = HttpResponse(excel.plan_items_xlsx(plan), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{plan.title}.xlsx")
    return response


@login_required
def plan_items_import(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_changeable_by(request.user).select_related("issuer"), pk=plan_id)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, plan)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    result = upload = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        result = _import(form, plan, content, user=request.user, dry_run=True)
        if result is not None and result.ok:
            upload = _keep(request, plan, content)
    return _page(request, plan, form, result, upload)


def _confirm(request, plan: Plan):
    content = _kept(request, plan)
    if content is None:
        messages.error(request, _("The preview is out of date: upload the file again."))
        return redirect("plans:plan-items-import", plan.pk)
    form = ExcelUploadForm()
    result = _import(form, plan, content, user=request.user, dry_run=False)
    if result is None or not result.ok:
        return _page(request, plan, form, result, None)
    _forget(request, plan)
    counts = result.counts
    messages.success(
        request,
        _("Imported from Excel: %(new)d new items, %(update)d changed, %(unchanged)d unchanged.") % counts,
    )
    return redirect("plans:board", plan.pk)


def _import(form: ExcelUploadForm, plan: Plan, content: bytes, **options) -> excel.ItemImportResult | None:
    try:
        return excel.plan_items_import(plan, content, **options)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None


def _page(request, plan: Plan, form: ExcelUploadForm, result, upload: str | None):
    context = {"plan": plan, "form": form, "result": result, "upload": upload}
    return render(request, "plans/excel_import.html", context)


def _session_key(plan: Plan) -> str:
    return f"plans:excel-import:{plan.pk}"


def _cache_key(token: str) -> str:
    return f"plans:excel-import:upload:{token}"


def _keep(request, plan: Plan, content: bytes) -> str:
    _forget(request, plan)  # a newer preview of the plan replaces the older one
    token = secrets.token_urlsafe(24)
    cache.set(_cache_key(token), content, UPLOAD_SECONDS)
    request.session[_session_key(plan)] = token
    return token


def _kept(request, plan: Plan) -> bytes | None:
    token = request.POST.get("upload", "")
    if not token or token != request.session.get(_session_key(plan)):
        return None
    return cache.get(_cache_key(token))


def _forget(request, plan: Plan) -> None:
    token = request.session.pop(_session_key(plan), None)
    if token:
        cache.delete(_cache_key(token))


urlpatterns = [
    path("<int:plan_id>/items.xlsx", plan_items_export, name="plan-items-export"),
    path("<int:plan_id>/import-excel/", plan_items_import, name="plan-items-import"),
]
