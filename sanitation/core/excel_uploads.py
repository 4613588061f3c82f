"""Excel imports that show what they would change before they write: the upload form, and
the page every import shares — upload, preview (a dry run), confirm (the real run).

Between the preview and the confirmation the uploaded bytes wait in the cache under a
random token that the user's session holds for that import, and the confirm form sends back.
Not in a hidden field: a 5 MB file is 6.7 MB of base64, past Django's 2.5 MB limit on form
fields, and sent twice. Not in the session itself: it is stored in the database and read
on every request. The token ties the confirmation to the preview this user saw.
"""

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from sanitation.organisations.models import Unit

from . import spreadsheets

UPLOAD_SECONDS = 60 * 60
OUT_OF_DATE = _("The preview is out of date: upload the file again.")


class ExcelUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx, at most 5 MB)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(spreadsheets.NOT_XLSX)
        if upload.size > spreadsheets.MAX_BYTES:
            raise forms.ValidationError(spreadsheets.TOO_LARGE % {"megabytes": spreadsheets.MAX_BYTES // (1024 * 1024)})
        return upload


class OrganisationUploadForm(ExcelUploadForm):
    """For a registry: the file, and whose registry it goes into."""

    organisation = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Organisation"))

    def __init__(self, *args, organisations: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        # Only someone keeping several organisations' registries chooses which one.
        if len(organisations) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = Unit.objects.filter(pk__in=[unit.pk for unit in organisations])


class PreviewedUpload:
    """The file one user previewed for one import (`name`), kept until they confirm it."""

    def __init__(self, request, name: str):
        self.request = request
        self.session_key = f"excel-import:{name}"

    @staticmethod
    def _cache_key(token: str) -> str:
        return f"excel-import:upload:{token}"

    def keep(self, content: bytes) -> str:
        self.forget()  # a newer preview replaces the older one
        token = secrets.token_urlsafe(24)
        cache.set(self._cache_key(token), content, UPLOAD_SECONDS)
        self.request.session[self.session_key] = token
        return token

    def take(self) -> bytes | None:
        """The previewed file, if the confirm form sends back this session's latest token."""
        token = self.request.POST.get("upload", "")
        if token and token == self.request.session.get(self.session_key):
            return cache.get(self._cache_key(token))
        return None

    def forget(self) -> None:
        if token := self.request.session.pop(self.session_key, None):
            cache.delete(self._cache_key(token))


def previewed_import(
    request,
    *,
    name: str,
    run: Callable[..., Any],
    template: str,
    context: dict,
    success: str,
    done: str,
    form_class: Callable[..., forms.Form] = ExcelUploadForm,
    refused_status: int = 200,
) -> HttpResponse:
    """The import page. An upload is previewed with `run(content, dry_run=True)`; "confirm"
    imports the previewed file with `run(content, dry_run=False)`, says `success` with the
    counts and goes to `done`. `run` raises ExcelFileError for an unfit file and returns a
    result with `ok`, `counts`, `rows` and `errors`. `name` keeps previews of different
    imports apart; a page whose form was refused answers `refused_status`."""
    upload = PreviewedUpload(request, name)
    token = None
    if request.method == "POST" and "confirm" in request.POST:
        content = upload.take()
        if content is None:
            messages.error(request, OUT_OF_DATE)
            return redirect(request.path)
        form = form_class()
        result = _run(run, form, content, dry_run=False)
        if result is not None and result.ok:
            upload.forget()
            messages.success(request, success % result.counts)
            return redirect(done)
    else:
        form = form_class(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            content = form.cleaned_data["file"].read()
            result = _run(run, form, content, dry_run=True)
            if result is not None and result.ok:
                token = upload.keep(content)
    context = {**context, "form": form, "result": result, "upload": token}
    return render(request, template, context, status=refused_status if form.errors else 200)


def organisation_import(request, organisations: list[Unit], *, name: str, run: Callable[..., Any], **page):
    """previewed_import into one of the user's organisations: `run(organisation, content, dry_run=…)`.

    With several, the upload form chooses and the confirm form repeats the choice; the file
    is kept under the organisation, so a confirmation naming another one finds none."""
    if not organisations:
        return render(request, "403.html", status=403)
    chosen = request.POST.get("organisation", "")
    organisation = next((unit for unit in organisations if str(unit.pk) == chosen), organisations[0])
    return previewed_import(
        request,
        name=f"{name}:{organisation.pk}",
        form_class=partial(OrganisationUploadForm, organisations=organisations),
        run=partial(run, organisation),
        context={"organisation": organisation},
        **page,
    )


def _run(run: Callable[..., Any], form: forms.Form, content: bytes, *, dry_run: bool):
    try:
        return run(content, dry_run=dry_run)
    except spreadsheets.ExcelFileError as error:
        form.add_error(None, str(error))
        return None
