"""A plan's items as an Excel file: download them, and upload them back after a preview
(the flow, and why the file waits in the cache meanwhile: sanitation/core/excel_uploads.py)."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sanitation.core import spreadsheets
from sanitation.core.excel_uploads import ExcelUploadForm, previewed_import

from . import excel, selectors


@login_required
def plan_items_export(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_visible_to(request.user), pk=plan_id)
    response = HttpResponse(excel.plan_items_xlsx(plan), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{plan.title}.xlsx")
    return response


@login_required
def plan_items_import(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_changeable_by(request.user).select_related("issuer"), pk=plan_id)
    return previewed_import(
        request,
        name=f"plans:{plan.pk}",
        form_class=ExcelUploadForm,
        run=partial(excel.plan_items_import, plan, user=request.user),
        template="plans/excel_import.html",
        context={"plan": plan},
        success=_("Imported from Excel: %(new)d new items, %(update)d changed, %(unchanged)d unchanged."),
        done=reverse("plans:board", args=[plan.pk]),
    )


urlpatterns = [
    path("<int:plan_id>/items.xlsx", plan_items_export, name="plan-items-export"),
    path("<int:plan_id>/import-excel/", plan_items_import, name="plan-items-import"),
]
