"""The member registry as an Excel file: download it, and upload it back after a preview
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
from .forms import MemberFilterForm


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
    return organisation_import(
        request,
        list(registry_organisations(request.user)),
        name="members",
        run=partial(excel.members_import, user=request.user),
        template="members/excel_import.html",
        success=_("Imported from Excel: %(new)d new members, %(update)d changed, %(unchanged)d unchanged."),
        done=reverse("members:member-list"),
    )
