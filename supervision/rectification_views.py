"""Rectification pages: a unit's open rectifications (a clerk's: the district's), one
rectification with its whole history, and the forms that move it on. The unit starts and
answers; a clerk closes or sends back. Outside the user's scope a rectification is 404."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from classification.selectors import streets_visible_to
from sanitation.core.history import history_of

from . import access, photos, rectifications
from .models import OPEN_STATES, Photo, Rectification, RectificationState
from .review_forms import (
    ALL,
    OPEN,
    RectificationActForm,
    RectificationAnswerForm,
    RectificationCloseForm,
    RectificationFilterForm,
    RectificationSendBackForm,
    RectificationStartForm,
)

PAGE_SIZE = 50
PHOTO_REFUSED = gettext_lazy("%(name)s: %(problem)s")
STAGED_GONE = gettext_lazy("The photos uploaded earlier are no longer available; please add them again.")
# Late states: the deadline passed, whether or not the nightly task has marked them yet.
LATE_STATES = (RectificationState.PENDING, RectificationState.IN_PROGRESS, RectificationState.OVERDUE)


@dataclass(frozen=True)
class Action:
    form: type[RectificationActForm]
    door: Any  # access function: the rectifications the user may move this way
    service: Any
    # The states in which the page offers the form (the service's own lists).
    offered_in: tuple[str, ...]
    title: str
    button: str
    done: str


ACTIONS = {
    "start": Action(
        RectificationStartForm,
        access.rectifications_answerable_by,
        rectifications.rectification_start,
        rectifications.STARTABLE,
        gettext_lazy("Start rectifying"),
        gettext_lazy("We are on it"),
        gettext_lazy("Marked as being rectified."),
    ),
    "answer": Action(
        RectificationAnswerForm,
        access.rectifications_answerable_by,
        rectifications.rectification_answer,
        rectifications.ANSWERABLE,
        gettext_lazy("Report it rectified"),
        gettext_lazy("Send the answer"),
        gettext_lazy("Answer sent; the rectification awaits re-inspection."),
    ),
    "close": Action(
        RectificationCloseForm,
        access.rectifications_reviewable_by,
        rectifications.rectification_close,
        rectifications.REVIEWABLE,
        gettext_lazy("Close after re-inspection"),
        gettext_lazy("Close it"),
        gettext_lazy("Rectification closed."),
    ),
    "send_back": Action(
        RectificationSendBackForm,
        access.rectifications_reviewable_by,
        rectifications.rectification_send_back,
        rectifications.REVIEWABLE,
        gettext_lazy("Send back"),
        gettext_lazy("Send it back"),
        gettext_lazy("Rectification sent back to the unit."),
    ),
}


def _forbidden(request):
    return render(request, "403.html", status=403)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def rectification_list(request):
    filter_form = RectificationFilterForm(request.GET or None, streets=streets_visible_to(request.user))
    chosen = filter_form.filters()
    found = access.rectifications_visible_to(request.user)
    if chosen["state"] == OPEN:
        found = found.filter(state__in=OPEN_STATES)
    elif chosen["state"] != ALL:
        found = found.filter(state=chosen["state"])
    if chosen["street"] is not None:
        found = found.filter(unit=chosen["street"])
    found = found.select_related("site", "unit", "problem__problem_type").order_by("deadline", "id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page": page,
        "query": _query_without_page(request),
        "today": timezone.localdate(),
        "late_states": LATE_STATES,
    }
    return render(request, "supervision/rectification_list.html", context)


def _visible(user, pk: int) -> Rectification:
    return get_object_or_404(
        access.rectifications_visible_to(user).select_related(
            "site__street", "unit", "problem__problem_type", "problem__inspection__recorded_by"
        ),
        pk=pk,
    )


def _detail(request, rectification: Rectification, *, posted: tuple[str, RectificationActForm] | None = None):
    """The page, with the forms the user may use now; `posted` is a form that failed, kept as typed."""
    user = request.user
    can_answer = access.rectifications_answerable_by(user).filter(pk=rectification.pk).exists()
    can_review = access.rectifications_reviewable_by(user).filter(pk=rectification.pk).exists()
    allowed = {"start": can_answer, "answer": can_answer, "close": can_review, "send_back": can_review}
    forms = []
    for name, action in ACTIONS.items():
        if not allowed[name] or rectification.state not in action.offered_in:
            continue
        if posted and posted[0] == name:
            form = posted[1]
        else:
            form = action.form(initial={"version": rectification.version}, prefix=name)
        forms.append({"name": name, "form": form, "title": action.title, "button": action.button})
    events = list(
        rectification.events.select_related("actor").prefetch_related(
            Prefetch("photos", queryset=Photo.objects.order_by("uploaded_at", "id"))
        )
    )
    today = timezone.localdate()
    context = {
        "rectification": rectification,
        "problem": rectification.problem,
        "inspection": rectification.problem.inspection,
        "problem_photos": rectification.problem.photos.all(),
        "events": events,
        "forms": forms,
        "is_late": rectification.state in LATE_STATES and rectification.deadline < today,
        "today": today,
        # The events are the workflow (states, answers, photos); these are the record's own changes
        # (an edit in the admin, a deletion and its restoration).
        "timeline": _timeline(events, history_of(rectification)),
    }
    return render(request, "supervision/rectification_detail.html", context)


def _timeline(events, changes) -> list[dict]:
    """One history, oldest first: the workflow's events (states, answers, photos) and the record's
    own changes (an edit in the admin, a deletion and its restoration) between them by time."""
    entries = [{"event": event, "at": event.at} for event in events]
    entries += [{"change": change, "at": change.at} for change in changes]
    return sorted(entries, key=lambda entry: entry["at"])


@login_required
def rectification_detail(request, pk: int):
    return _detail(request, _visible(request.user, pk))


def _photos_of(form: RectificationActForm, user, prefix: str) -> list[Photo] | None:
    """The photos of a posted form: those kept from an earlier attempt and the new uploads, each
    checked by photo_accept. None when one is refused: the form then carries the message and
    remembers the accepted ones, so the user only adds what was refused."""
    kept: list[Photo] = []
    ids = form.staged_ids()
    if ids:
        try:
            kept = list(photos.photos_staged_by(user=user, ids=ids))
        except ValidationError:
            form.add_error("photos", STAGED_GONE)
    refused = bool(ids) and not kept
    for upload in form.cleaned_data.get("photos") or []:
        try:
            kept.append(photos.photo_accept(upload=upload, by=user))
        except ValidationError as error:
            refused = True
            for problem in error.messages:
                form.add_error("photos", PHOTO_REFUSED % {"name": upload.name, "problem": problem})
    form.kept_photos = kept
    form.data = form.data.copy()
    form.data[f"{prefix}-staged"] = ",".join(str(photo.pk) for photo in kept)
    return None if refused else kept


@login_required
@require_POST
def rectification_act(request, pk: int, action: str):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    rectification = _visible(request.user, pk)
    if not spec.door(request.user).filter(pk=rectification.pk).exists():
        return _forbidden(request)
    form = spec.form(request.POST, request.FILES, prefix=action)
    valid = form.is_valid()
    # Photos are taken in even when the text is missing, so that fixing the text does not
    # mean taking the photos again.
    chosen = _photos_of(form, request.user, action) if form.has_photos else []
    if not valid or chosen is None:
        return _detail(request, rectification, posted=(action, form))
    arguments = form.arguments()
    if form.has_photos:
        arguments["photos"] = chosen
    try:
        spec.service(
            rectification=rectification,
            by=request.user,
            expected_version=form.cleaned_data["version"],
            **arguments,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        # The page shows what changed meanwhile; what the user typed stays in the form, now
        # against the current version, so sending it again is a decision taken on fresh facts.
        rectification = _visible(request.user, pk)
        form.data = form.data.copy()
        form.data[f"{action}-version"] = str(rectification.version)
        return _detail(request, rectification, posted=(action, form))
    messages.success(request, str(spec.done))
    return redirect("supervision:rectification-detail", rectification.pk)


urlpatterns = [
    path("rectifications/", rectification_list, name="rectification-list"),
    path("rectifications/<int:pk>/", rectification_detail, name="rectification-detail"),
    path("rectifications/<int:pk>/<str:action>/", rectification_act, name="rectification-act"),
]
