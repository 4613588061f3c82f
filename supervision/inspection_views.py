"""The clerk's inspection pages: the phone form, the list and one inspection, photo upload and
download, and the printable QR sheets that open a site's form from its bin.

The form works without a script (a multipart post with the photos); the script
(static/js/inspection_form.js) uploads each photo as it is taken, keeps a draft on the phone
and adds problem groups without a reload. Photos are only ever served through
`access.photos_visible_to`, never from the media directory.
"""

import atexit
import io
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from classification.indicators import district_of
from classification.selectors import streets_visible_to
from sanitation.core.history import history_of
from sanitation.organisations.access import units_visible_to, user_roles
from sanitation.organisations.models import Unit, UnitKind

from . import access, photos, rotation
from .inspection_forms import (
    MAX_PROBLEMS,
    PROBLEM_PREFIX,
    TOO_MANY_PROBLEMS,
    InspectionFilterForm,
    InspectionForm,
    ProblemForm,
    photo_ids_parse,
    problem_indices,
)
from .inspections import NO_SCHEME_IN_FORCE, ProblemInput, inspection_record
from .models import OPEN_STATES, CriterionScore, Inspection, Photo, Problem, ProblemType
from .schemes import criteria_for, deduction_rules_of, scheme_in_force
from .scores import period_span

PAGE_SIZE = 50
SPARE_PROBLEM_GROUPS = 2  # offered to a browser without the script, which cannot add groups
CLEAR_DRAFT_SESSION_KEY = "supervision_clear_draft"
PHOTO_REFUSED = gettext_lazy("%(name)s: %(problem)s")
NO_PHOTO = gettext_lazy("No photo was sent.")
MAY_NOT_UPLOAD = gettext_lazy("You may not upload photos.")


def draft_key(user, site) -> str:
    """Where the phone keeps the unsaved form of a site (one per user, if a phone is shared)."""
    return f"inspection-draft:{user.pk}:{site.pk}"


# The inspection form ---------------------------------------------------------------------------


class _InspectionPage:
    """What the form of a site needs: the scheme in force today, its criteria for the site's kind,
    the problem types with what each costs, and the district's other clerks."""

    def __init__(self, request, site):
        self.request = request
        self.site = site
        self.today = timezone.localdate()
        district = district_of(site.street)
        self.scheme = scheme_in_force(district=district, on=self.today) if district else None
        self.problem_types = list(ProblemType.objects.filter(is_active=True))
        if self.scheme is None:
            self.criteria, self.rules, self.fellow_clerks = [], {}, []
            return
        self.criteria = criteria_for(scheme=self.scheme, site_kind=site.kind)
        counted = {criterion.pk for criterion in self.criteria}
        # Only the rules on criteria that count for this kind of site take anything off.
        self.rules = {
            type_id: rule
            for type_id, rule in deduction_rules_of(scheme=self.scheme).items()
            if rule.criterion_id in counted
        }
        self.fellow_clerks = [u for u in rotation.district_clerks(district=district) if u.pk != request.user.pk]

    def form(self, data=None) -> InspectionForm:
        return InspectionForm(
            data, criteria=self.criteria, problem_types=self.problem_types, fellow_clerks=self.fellow_clerks
        )

    def problem_form(self, index, data=None) -> ProblemForm:
        return ProblemForm(data, prefix=f"{PROBLEM_PREFIX}-{index}", problem_types=self.problem_types, rules=self.rules)

    def render(self, form, problem_forms):
        taken = [int(f.prefix.split("-")[1]) for f in problem_forms]
        start = max(taken, default=-1) + 1
        last = (
            Inspection.objects.filter(site=self.site).only("pk", "inspected_at", "percent", "site_id").first()
            if self.scheme
            else None
        )
        context = {
            "site": self.site,
            "scheme": self.scheme,
            "no_scheme_message": NO_SCHEME_IN_FORCE % {"date": self.today.isoformat()},
            "form": form,
            "problem_forms": problem_forms,
            "spare_forms": [self.problem_form(start + n) for n in range(SPARE_PROBLEM_GROUPS)],
            "template_form": self.problem_form("__n__"),
            "next_index": start + SPARE_PROBLEM_GROUPS,
            "draft_key": draft_key(self.request.user, self.site),
            "last_inspection": last,
            "open_rectifications": self.site.rectifications.filter(state__in=OPEN_STATES).count(),
            "score_errors": any(field.errors for _criterion, field in form.score_fields()),
        }
        return render(self.request, "supervision/inspect.html", context)


def _stage_posted_photos(request, data, indices) -> tuple[dict[int, list[Photo]], dict[int, list[str]]]:
    """Accept the files posted without the script and check the ids the script staged.

    Returns, per group, its staged photos (kept in `data` as ids, so a form shown again keeps
    them) and the messages of the photos refused or no longer available.
    """
    user = request.user
    ids_of: dict[int, list[int] | None] = {}
    refused: dict[int, list[str]] = {}
    for index in indices:
        name = f"{PROBLEM_PREFIX}-{index}-photo_ids"
        try:
            ids_of[index] = photo_ids_parse(data.get(name, ""))
        except ValueError:
            ids_of[index] = None  # the form reports it
        for upload in request.FILES.getlist(f"{PROBLEM_PREFIX}-{index}-photos"):
            try:
                photo = photos.photo_accept(upload=upload, by=user)
            except ValidationError as error:
                refused.setdefault(index, []).extend(
                    str(PHOTO_REFUSED % {"name": upload.name, "problem": message}) for message in error.messages
                )
            else:
                if ids_of[index] is None:
                    ids_of[index] = []
                ids_of[index].append(photo.pk)
    wanted = [pk for ids in ids_of.values() if ids for pk in ids]
    staged = {photo.pk: photo for photo in photos.staged_photos(user=user).filter(pk__in=wanted).order_by()}
    photos_of: dict[int, list[Photo]] = {}
    for index, ids in ids_of.items():
        if ids is None:
            photos_of[index] = []
            continue
        kept = [staged[pk] for pk in ids if pk in staged]
        if len(kept) != len(ids):
            refused.setdefault(index, []).append(str(photos.NOT_STAGED))
        photos_of[index] = kept
        data[f"{PROBLEM_PREFIX}-{index}-photo_ids"] = ",".join(str(photo.pk) for photo in kept)
    return photos_of, refused


@login_required
def inspect(request, site_id: int):
    site = get_object_or_404(access.sites_inspectable_by(request.user).select_related("street"), pk=site_id)
    page = _InspectionPage(request, site)
    if page.scheme is None or request.method != "POST":
        return page.render(page.form(), [])

    data = request.POST.copy()
    indices = problem_indices(data, request.FILES)
    form = page.form(data)
    if len(indices) > MAX_PROBLEMS:
        form.add_error(None, TOO_MANY_PROBLEMS % {"count": MAX_PROBLEMS})
        indices = indices[:MAX_PROBLEMS]
    photos_of, refused = _stage_posted_photos(request, data, indices)
    problem_forms = [page.problem_form(index, data) for index in indices]
    # Groups left empty (a spare one, or one added and not used) are not problems.
    problem_forms = [f for f in problem_forms if not f.is_blank or refused.get(_index_of(f))]
    for problem_form in problem_forms:
        problem_form.staged_photos = photos_of.get(_index_of(problem_form), [])
        for message in refused.get(_index_of(problem_form), []):
            problem_form.add_error("photos", message)

    valid = form.is_valid() & all(f.is_valid() for f in problem_forms)
    if not valid:
        return page.render(form, problem_forms)

    problems = [
        ProblemInput(
            problem_type=f.chosen_type(),
            note=f.cleaned_data["note"],
            severity=f.cleaned_data["severity"] or None,
            photos=f.staged_photos,
        )
        for f in problem_forms
    ]
    # A problem chip tapped without the script (which makes a group for it): one problem as usual.
    grouped = {problem.problem_type.pk for problem in problems}
    problems += [ProblemInput(problem_type=t) for t in form.chosen_types() if t.pk not in grouped]
    try:
        inspection = inspection_record(
            site=site,
            recorded_by=request.user,
            inspected_at=form.inspected_at(),
            kind=form.cleaned_data["kind"],
            inspectors=form.chosen_inspectors(),
            scores=form.scores(),
            problems=problems,
            note=form.cleaned_data["note"],
            submission_key=form.cleaned_data.get("submission_key"),
            **form.location(),
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return page.render(form, problem_forms)

    request.session[CLEAR_DRAFT_SESSION_KEY] = draft_key(request.user, site)
    count = inspection.problem_count
    messages.success(
        request,
        ngettext(
            "Inspection of %(site)s saved: %(percent)s%%, %(count)d problem sent for rectification.",
            "Inspection of %(site)s saved: %(percent)s%%, %(count)d problems sent for rectification.",
            count,
        )
        % {"site": site.name, "percent": inspection.percent, "count": count},
    )
    return redirect("supervision:inspection-detail", inspection.pk)


def _index_of(problem_form: ProblemForm) -> int:
    return int(problem_form.prefix.split("-")[1])


# The list and one inspection -------------------------------------------------------------------


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def inspection_filter(inspections, *, street=None, kind="", date_from=None, date_to=None, has_problems=None):
    if street is not None:
        inspections = inspections.filter(street=street)
    if kind:
        inspections = inspections.filter(kind=kind)
    if date_from is not None:
        inspections = inspections.filter(inspected_at__gte=period_span(date_from, date_from)[0])
    if date_to is not None:
        inspections = inspections.filter(inspected_at__lt=period_span(date_to, date_to)[1])
    if has_problems is not None:
        inspections = inspections.filter(problem_count__gt=0) if has_problems else inspections.filter(problem_count=0)
    return inspections


def _listed_inspections(user):
    """The user's inspections, with the streets in scope also named by id: PostgreSQL then counts a
    district's (the pager's count) from the partial index inspection_live_street alone; from the
    scope's join on the unit path alone it scans the whole table (bench/pages.py)."""
    inspections = access.inspections_visible_to(user)
    if user.is_superuser:
        return inspections
    return inspections.filter(street__in=list(units_visible_to(user).values_list("pk", flat=True)))


@login_required
def inspection_list(request):
    filter_form = InspectionFilterForm(request.GET or None, streets=streets_visible_to(request.user))
    inspections = inspection_filter(_listed_inspections(request.user), **filter_form.filters())
    inspections = inspections.select_related("site", "street", "recorded_by").order_by("-inspected_at", "-id")
    page = Paginator(inspections, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page": page,
        "query": _query_without_page(request),
        "can_inspect": access.sites_inspectable_by(request.user).exists(),
    }
    return render(request, "supervision/inspection_list.html", context)


@login_required
def inspection_detail(request, pk: int):
    inspection = get_object_or_404(
        access.inspections_visible_to(request.user)
        .select_related("site", "street", "scheme", "recorded_by")
        .prefetch_related(
            "inspectors",
            Prefetch("criterion_scores", queryset=CriterionScore.objects.select_related("criterion")),
            Prefetch(
                "problems",
                queryset=Problem.objects.select_related("problem_type", "criterion", "rectification").prefetch_related(
                    Prefetch("photos", queryset=Photo.objects.order_by("uploaded_at", "id"))
                ),
            ),
        ),
        pk=pk,
    )
    clear_draft = request.session.pop(CLEAR_DRAFT_SESSION_KEY, "")
    context = {
        "inspection": inspection,
        "site": inspection.site,
        "problems": inspection.problems.all(),
        "criterion_scores": inspection.criterion_scores.all(),
        "can_inspect": access.sites_inspectable_by(request.user).filter(pk=inspection.site_id).exists(),
        "clear_draft": clear_draft,
        "history": history_of(inspection),
    }
    return render(request, "supervision/inspection_detail.html", context)


# Photos --------------------------------------------------------------------------------------


@login_required
@require_POST
def photo_upload(request):
    """Stage one photo for a form being filled in: {id, thumbnail_url}, or 400 {error}."""
    # Photos go with an inspection (clerks) or a rectification's answer (units); leaders only read.
    if not user_roles(request.user) & (access.INSPECTING_ROLES | access.ANSWERING_ROLES):
        return JsonResponse({"error": str(MAY_NOT_UPLOAD)}, status=403)
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"error": str(NO_PHOTO)}, status=400)
    try:
        photo = photos.photo_accept(upload=upload, by=request.user)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"id": photo.pk, "thumbnail_url": reverse("supervision:photo-thumbnail", args=[photo.pk])})


def _photo_response(request, pk: int, field: str):
    photo = get_object_or_404(access.photos_visible_to(request.user), pk=pk)
    response = FileResponse(getattr(photo, field).open("rb"), content_type="image/jpeg")
    # Private: the photos are scoped per user; a shared cache must not keep them.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def photo(request, pk: int):
    return _photo_response(request, pk, "image")


@login_required
def photo_thumbnail(request, pk: int):
    return _photo_response(request, pk, "thumbnail")


# QR sheets -----------------------------------------------------------------------------------

QR_PER_PAGE = 12  # 3 × 4 on A4: each cut out and stuck on a bin point


def _inspectable_streets(user):
    sites = access.sites_inspectable_by(user)
    return (
        Unit.objects.filter(kind=UnitKind.STREET, street_sites__in=sites)
        .annotate(site_count=Count("street_sites"))
        .order_by("sort_order", "path")
    )


@login_required
def qr_streets(request):
    return render(request, "supervision/qr_streets.html", {"streets": _inspectable_streets(request.user)})


@login_required
def qr_sheet(request, street_id: int):
    street = get_object_or_404(_inspectable_streets(request.user), pk=street_id)
    sites = access.sites_inspectable_by(request.user).filter(street=street).order_by("name", "pk")
    data = qr_sheet_pdf(street=street, sites=sites, url_of=lambda site: _inspect_url(request, site))
    filename = _("QR codes %(street)s.pdf") % {"street": street.name}
    return FileResponse(io.BytesIO(data), content_type="application/pdf", filename=filename)


def _inspect_url(request, site) -> str:
    return request.build_absolute_uri(reverse("supervision:inspect", args=[site.pk]))


def qr_sheet_html(*, street, sites, url_of) -> str:
    import segno

    cards = [
        {
            "site": site,
            "url": url_of(site),
            # Vector, so the code prints sharp at any size; the border is the quiet zone readers need.
            "svg": segno.make(url_of(site), error="m").svg_inline(omitsize=True, border=2),
        }
        for site in sites
    ]
    pages = [cards[start : start + QR_PER_PAGE] for start in range(0, len(cards), QR_PER_PAGE)]
    return render_to_string(
        "supervision/qr_sheet.pdf.html", {"street": street, "pages": pages, "printed_on": timezone.localdate()}
    )


def qr_sheet_pdf(*, street, sites, url_of) -> bytes:
    """The sheet as PDF. Each page is its own grid: WeasyPrint lays a long grid out in quadratic
    time, twelve cards at a time it stays linear (about 20 ms a card)."""
    return _qr_renderer().render(qr_sheet_html(street=street, sites=sites, url_of=url_of))


class _QrRenderer:
    """One font configuration and stylesheet per process, as for circulars; rendering is serialised
    because WeasyPrint's font configuration is not made for concurrent use."""

    def __init__(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from sanitation.documents import fonts, pdf_writing

        pdf_writing.install()
        self._lock = threading.Lock()
        self.font_config = FontConfiguration()
        self.fetcher = _font_cache_fetcher()
        # The sheet's own layout is in its template; here only the faces, read once per process.
        self.stylesheet = CSS(
            string=f"{fonts.font_face_css()}\nbody {{ font-family: {fonts.family_list('heading1')}; }}",
            font_config=self.font_config,
            url_fetcher=self.fetcher,
        )

    def render(self, html: str) -> bytes:
        from weasyprint import HTML

        with self._lock:
            document = HTML(string=html, url_fetcher=self.fetcher).render(
                stylesheets=[self.stylesheet], font_config=self.font_config
            )
            return document.write_pdf()


def _font_cache_fetcher():
    """A URL fetcher that reads the cut fonts and nothing else: no network, no other file."""
    from weasyprint.urls import URLFetcher

    root = Path(settings.DOCUMENT_FONT_CACHE).resolve()

    class FontCacheFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file" or not Path(unquote(parsed.path)).resolve().is_relative_to(root):
                raise ValueError(f"Refused to fetch {url}")
            return super().fetch(url, headers)

    return FontCacheFetcher(allowed_protocols=("file",))


_renderer: _QrRenderer | None = None
_renderer_lock = threading.Lock()


def _qr_renderer() -> _QrRenderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = _QrRenderer()
        return _renderer


@atexit.register
def _drop_renderer() -> None:
    # WeasyPrint's FontConfiguration cleans up in __del__, which fails at interpreter teardown.
    global _renderer
    _renderer = None


urlpatterns = [
    path("sites/<int:site_id>/inspect/", inspect, name="inspect"),
    path("inspections/", inspection_list, name="inspection-list"),
    path("inspections/<int:pk>/", inspection_detail, name="inspection-detail"),
    path("photos/upload/", photo_upload, name="photo-upload"),
    path("photos/<int:pk>/", photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", photo_thumbnail, name="photo-thumbnail"),
    path("qr/", qr_streets, name="qr-streets"),
    path("qr/<int:street_id>/", qr_sheet, name="qr-sheet"),
]
