"""The branch registry as an Excel file: download it, and upload it back after a preview
(the flow: sanitation/core/excel_uploads.py)."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sanitation.core import spreadsheets
from sanitation.core.excel_uploads import organisation_import

from ..registry_access import may_read_registries, registry_organisations
from . import excel, selectors
from .forms import BranchFilterForm


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
    return organisation_import(
        request,
        list(registry_organisations(request.user).order_by("sort_order", "name")),
        name="branches",
        run=partial(excel.branches_import, user=request.user),
        template="branches/excel_import.html",
        success=_("Imported from Excel: %(new)d new branches, %(update)d changed, %(unchanged)d unchanged."),
        done=reverse("branches:list"),
    )
