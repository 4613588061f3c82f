"""Rating pages: the programmes' overview, a round with its applications, one application
with its experts' scores, rating and revocation, publishing a round's list, and the
ratings about to expire. Readers of the registries read; their keepers (the secretariat)
change. Another organisation's round or application does not exist (404)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sanitation.core.history import history_of

from ..registry_access import may_keep_registries, may_read_registries, registry_organisations
from . import selectors, services
from .forms import ApplicationForm, RevokeForm, RoundForm, ScoresForm
from .models import ApplicationStatus, Programme, RatingApplication, RatingRound, RatingScheme
from .services import RatingError


def forbidden(request):
    return render(request, "403.html", status=403)


def readers_only(view):
    """For the pages of a whole registry: refused (403) to those who may not read registries."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_read_registries(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapped


def keepers_only(view):
    """For changes to one record: who may not read registries meets the record's door (404);
    a reader who does not keep them is refused (403) — for a record of their own organisation
    only: another organisation's record does not exist for them (404)."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if may_read_registries(request.user) and not may_keep_registries(request.user):
            if not _record_visible(request.user, kwargs):
                raise Http404
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapped


def _record_visible(user, kwargs: dict) -> bool:
    if "round_id" in kwargs:
        return selectors.rounds_visible_to(user).filter(pk=kwargs["round_id"]).exists()
    if "application_id" in kwargs:
        return selectors.applications_visible_to(user).filter(pk=kwargs["application_id"]).exists()
    return True  # nothing addressed (a new round): the refusal says nothing about a record


def _errors(request, error: RatingError) -> None:
    for problem in error.problems:
        messages.error(request, problem)


@readers_only
def overview(request):
    today = timezone.localdate()
    organisations = selectors.organisations_readable_by(request.user)
    rounds = selectors.rounds_by_programme(selectors.rounds_visible_to(request.user))
    can_keep = may_keep_registries(request.user)
    context = {
        "programmes": [(value, label, rounds[value]) for value, label in Programme.choices],
        "expiring_count": selectors.ratings_expiring(organisation=organisations, today=today).count(),
        "expired_count": selectors.ratings_expired(organisation=organisations, today=today).count(),
        "can_keep": can_keep,
        "round_form": RoundForm(schemes=_keepable_schemes(request.user)) if can_keep else None,
    }
    return render(request, "ratings/overview.html", context)


def _keepable_schemes(user):
    return RatingScheme.objects.filter(organisation__in=registry_organisations(user))


@keepers_only
def round_create(request):
    if not may_keep_registries(request.user):
        return forbidden(request)
    form = RoundForm(request.POST, schemes=_keepable_schemes(request.user))
    if form.is_valid():
        try:
            rating_round = services.round_open(**form.cleaned_data, by=request.user)
        except ValidationError as error:  # a round of that scheme and year exists
            for problem in error.messages:
                messages.error(request, problem)
        else:
            messages.success(request, _("Round opened: %(title)s.") % {"title": rating_round.title})
            return redirect("ratings:round-detail", rating_round.pk)
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("ratings:overview")


def _keeps(changeable, record) -> bool:
    """Whether the record is among those the user may change (its organisation's keeper)."""
    return changeable.filter(pk=record.pk).exists()


def _candidates(rating_round: RatingRound, user):
    """Registry entries of the round's organisation that may still apply in it."""
    scheme = rating_round.scheme
    facilities = scheme.programme == Programme.FACILITY
    subjects = (selectors.facilities_changeable_by if facilities else selectors.enterprises_changeable_by)(user)
    # Through the applications' manager: a deleted application does not keep its subject out.
    applied = RatingApplication.objects.filter(
        round=rating_round, **{"facility" if facilities else "enterprise": OuterRef("pk")}
    )
    subjects = subjects.exclude(Exists(applied))
    if facilities and scheme.facility_kind:
        subjects = subjects.filter(kind=scheme.facility_kind)
    return subjects.filter(organisation=rating_round.organisation_id).order_by("name")


def _round_page(request, rating_round: RatingRound, application_form=None, status=200):
    can_keep = not rating_round.is_published and _keeps(selectors.rounds_changeable_by(request.user), rating_round)
    facilities = rating_round.scheme.programme == Programme.FACILITY
    if can_keep and application_form is None:
        label = _("Facility") if facilities else _("Enterprise")
        application_form = ApplicationForm(subjects=_candidates(rating_round, request.user), label=label)
    context = {
        "round": rating_round,
        "scheme": rating_round.scheme,
        "facilities": facilities,
        "applications": selectors.round_applications(rating_round),
        "thresholds": rating_round.scheme.thresholds.order_by("-min_total"),
        "can_keep": can_keep,
        "application_form": application_form if can_keep else None,
        "changes": history_of(rating_round),
    }
    return render(request, "ratings/round_detail.html", context, status=status)


@login_required
def round_detail(request, round_id: int):
    return _round_page(request, get_object_or_404(selectors.rounds_visible_to(request.user), pk=round_id))


@keepers_only
def application_add(request, round_id: int):
    rating_round = get_object_or_404(selectors.rounds_changeable_by(request.user), pk=round_id)
    facilities = rating_round.scheme.programme == Programme.FACILITY
    form = ApplicationForm(
        request.POST,
        subjects=_candidates(rating_round, request.user),
        label=_("Facility") if facilities else _("Enterprise"),
    )
    if not form.is_valid():
        return _round_page(request, rating_round, form, status=400)
    subject = form.cleaned_data["subject"]
    try:
        services.application_submit(
            rating_round=rating_round,
            facility=subject if facilities else None,
            enterprise=None if facilities else subject,
            submitted_on=form.cleaned_data["submitted_on"],
            user=request.user,
        )
    except RatingError as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(name)s applied.") % {"name": subject.name})
    return redirect("ratings:round-detail", rating_round.pk)


@keepers_only
def round_publish(request, round_id: int):
    rating_round = get_object_or_404(selectors.rounds_changeable_by(request.user), pk=round_id)
    try:
        circular = services.round_publish(rating_round=rating_round, user=request.user)
    except RatingError as error:
        _errors(request, error)
        return redirect("ratings:round-detail", rating_round.pk)
    messages.success(request, _("The list is published as %(number)s.") % {"number": circular.number})
    return redirect("documents:circular-detail", circular.pk)


# One application -------------------------------------------------------------------------


def _application_page(request, application: RatingApplication, scores_form=None, revoke_form=None, status=200):
    rating_round = application.round
    criteria = list(rating_round.scheme.criteria.all())
    can_keep = _keeps(selectors.applications_changeable_by(request.user), application)
    scorable = can_keep and not rating_round.is_published and application.status in services.SCORABLE
    revocable = can_keep and application.status in (ApplicationStatus.RATED, *services.PENDING)
    sheet = selectors.score_sheet(application)
    context = {
        "application": application,
        "round": rating_round,
        "subject": application.subject,
        "criteria": criteria,
        "sheet": sheet,
        "scores_form": (scores_form or ScoresForm(criteria=criteria)) if scorable else None,
        # Scoring again puts a rated application back under review, to be rated again.
        "can_rate": scorable and bool(sheet) and application.status in services.PENDING,
        "revoke_form": (revoke_form or RevokeForm()) if revocable else None,
        "changes": history_of(application),
    }
    return render(request, "ratings/application_detail.html", context, status=status)


def _application(request, application_id: int, *, change: bool = False) -> RatingApplication:
    door = selectors.applications_changeable_by if change else selectors.applications_visible_to
    return get_object_or_404(door(request.user), pk=application_id)


@login_required
def application_detail(request, application_id: int):
    return _application_page(request, _application(request, application_id))


@keepers_only
def application_scores(request, application_id: int):
    application = _application(request, application_id, change=True)
    form = ScoresForm(request.POST, criteria=list(application.round.scheme.criteria.all()))
    if form.is_valid():
        try:
            services.expert_scores_record(
                application=application, expert=form.cleaned_data["expert"], scores=form.scores(), user=request.user
            )
        except RatingError as error:
            for problem in error.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, _("Scores of %(expert)s saved.") % {"expert": form.cleaned_data["expert"]})
            return redirect("ratings:application-detail", application.pk)
    return _application_page(request, application, scores_form=form, status=400)


@keepers_only
def application_rate(request, application_id: int):
    application = _application(request, application_id, change=True)
    try:
        application = services.application_rate(application=application, user=request.user)
    except RatingError as error:
        _errors(request, error)
    else:
        if application.grade:
            message = _("Rated %(grade)s with %(total)s points.")
        else:
            message = _("Not passed with %(total)s points.")
        messages.success(request, message % {"grade": application.grade, "total": application.total})
    return redirect("ratings:application-detail", application.pk)


@keepers_only
def application_revoke(request, application_id: int):
    application = _application(request, application_id, change=True)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.rating_revoke(application=application, reason=form.cleaned_data["reason"], user=request.user)
        except RatingError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Revoked."))
        return redirect("ratings:application-detail", application.pk)
    return _application_page(request, application, revoke_form=form, status=400)


@readers_only
def expiring(request):
    today = timezone.localdate()
    organisations = selectors.organisations_readable_by(request.user)
    context = {
        "today": today,
        "days": selectors.EXPIRING_DAYS,
        "expiring": selectors.ratings_expiring(organisation=organisations, today=today).order_by("valid_until", "pk"),
        "expired": selectors.ratings_expired(organisation=organisations, today=today).order_by("-valid_until", "pk"),
    }
    return render(request, "ratings/expiring.html", context)
