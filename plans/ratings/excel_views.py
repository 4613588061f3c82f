"""The facility and enterprise registries in Excel: download, and upload back after a
preview (the flow: sanitation/core/excel_uploads.py). One pair of views serves both
registries (the URL passes its Registry).
"""

from functools import partial

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sanitation.core import spreadsheets
from sanitation.core.excel_uploads import previewed_import

from ..registry_access import may_keep_registries, registry_organisations
from . import excel, selectors
from .subject_views import Registry
from .views import forbidden, readers_only


def _organisation(request, organisations):
    """The user's organisation, or the one ?organisation= chooses among several."""
    chosen = request.GET.get("organisation") or request.POST.get("organisation")
    if chosen and chosen.isdecimal() and len(chosen) <= 18:  # not isdigit: int() refuses "²"
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
    return previewed_import(
        request,
        name=f"ratings:{registry.name}:{organisation.pk}",
        run=partial(excel.registry_import, registry.resource, organisation=organisation),
        template="ratings/excel_import.html",
        context={"registry": registry, "organisation": organisation},
        success=_("Imported from Excel: %(new)d new, %(update)d changed, %(unchanged)d unchanged."),
        done=reverse(f"ratings:{registry.name}-list"),
        refused_status=400,  # as the other ratings forms answer a refused form
    )
