import hashlib
import logging
from io import BytesIO

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of
from sanitation.organisations.access import scope_by_organisation

from . import selectors, services
from .forms import CircularFilterForm, CircularForm
from .models import DocumentIssuer, IssuedCircularError
from .rendering import render_pdf

logger = logging.getLogger(__name__)
PAGE_SIZE = 30


@login_required
def circular_list(request):
    visible_issuers = scope_by_organisation(DocumentIssuer.objects.select_related("unit"), request.user)
    filter_form = CircularFilterForm(request.GET or None, issuers=visible_issuers)
    circulars = selectors.circular_filter(selectors.circulars_visible_to(request.user), **filter_form.filters())
    page = Paginator(circulars, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/circular_list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "can_write": selectors.issuers_for(request.user).exists(),
            "query": request.GET.copy().urlencode() if "page" not in request.GET else "",
        },
    )


@login_required
def circular_detail(request, pk: int):
    circular = get_object_or_404(selectors.circulars_visible_to(request.user).select_related("supersedes"), pk=pk)
    can_change = selectors.circulars_changeable_by(request.user).filter(pk=pk).exists()
    corrections = selectors.circulars_visible_to(request.user).filter(supersedes=circular)
    return render(
        request,
        "documents/circular_detail.html",
        {"circular": circular, "can_change": can_change, "corrections": corrections, "history": history_of(circular)},
    )


@xframe_options_sameorigin  # the detail page previews it in a frame
@csp_replace({"frame-ancestors": ["'self'"], "object-src": None})  # and Chrome's PDF viewer is a plugin
@login_required
def circular_pdf(request, pk: int):
    circular = get_object_or_404(selectors.circulars_visible_to(request.user), pk=pk)
    inline = request.GET.get("inline") == "1"
    if not circular.is_issued:
        data = render_pdf(circular.content())  # a draft's preview, never stored
    else:
        with circular.pdf.open("rb") as stored:
            data = stored.read()
        if hashlib.sha256(data).hexdigest() != circular.pdf_sha256:
            logger.error("The stored PDF of %s does not match its SHA-256", circular.number)
            return HttpResponseServerError(_("The stored file of this circular is damaged. Tell your administrator."))
    return FileResponse(
        BytesIO(data), as_attachment=not inline, filename=circular.download_name(), content_type="application/pdf"
    )


def _form_page(request, form, circular=None):
    return render(request, "documents/circular_form.html", {"form": form, "circular": circular})


@login_required
def circular_create(request):
    issuers = selectors.issuers_for(request.user)
    if not issuers.exists():
        raise Http404
    form = CircularForm(request.POST or None, issuers=issuers)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "issuer"}
        circular = services.circular_create(issuer=form.cleaned_data["issuer"], user=request.user, **fields)
        messages.success(request, _("Draft saved."))
        return redirect("documents:circular-detail", circular.pk)
    return _form_page(request, form)


@login_required
def circular_edit(request, pk: int):
    circular = get_object_or_404(selectors.circulars_changeable_by(request.user), pk=pk)
    if circular.is_issued:
        messages.error(request, _("An issued circular cannot be changed; make a correction instead."))
        return redirect("documents:circular-detail", circular.pk)
    form = CircularForm(request.POST or None, instance=circular, issuers=selectors.issuers_for(request.user))
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "issuer"}
        try:
            services.circular_update(circular, user=request.user, **fields)
        except IssuedCircularError:  # issued by someone else while this form was open
            messages.error(request, _("An issued circular cannot be changed; make a correction instead."))
        else:
            messages.success(request, _("Draft saved."))
        return redirect("documents:circular-detail", circular.pk)
    return _form_page(request, form, circular)


@require_POST
@login_required
def circular_issue(request, pk: int):
    circular = get_object_or_404(selectors.circulars_changeable_by(request.user), pk=pk)
    try:
        circular = services.circular_issue(circular.pk, user=request.user)
    except IssuedCircularError:
        messages.error(request, _("This circular has been issued already."))
    else:
        messages.success(request, _("Issued as %(number)s.") % {"number": circular.number})
    return redirect("documents:circular-detail", circular.pk)


@require_POST
@login_required
def circular_correct(request, pk: int):
    circular = get_object_or_404(selectors.circulars_changeable_by(request.user), pk=pk)
    if not circular.is_issued:
        return redirect("documents:circular-edit", circular.pk)
    correction = services.circular_correct(circular, user=request.user)
    messages.success(request, _("A correction has been drafted. Edit it, then issue it with a new number."))
    return redirect("documents:circular-edit", correction.pk)
