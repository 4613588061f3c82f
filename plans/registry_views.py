"""The registries' front page: each registry, and what needs doing in it now."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from sanitation.organisations.access import organisations_of

from .branches.selectors import branches_visible_to, terms_ending
from .members.selectors import members_visible_to, renewals
from .ratings.selectors import ratings_expired, ratings_expiring
from .registry_access import may_keep_registries, may_read_registries


@login_required
def registries(request):
    if not may_read_registries(request.user):
        return render(request, "403.html", status=403)
    today = timezone.localdate()
    organisations = list(organisations_of(request.user))
    context = {
        "year": today.year,
        "members": members_visible_to(request.user).count(),
        "unpaid": renewals(members_visible_to(request.user), year=today.year).count(),
        "terms_due": terms_ending(branches_visible_to(request.user), today=today).count(),
        "expiring": sum(ratings_expiring(organisation=o, today=today).count() for o in organisations),
        "expired": sum(ratings_expired(organisation=o, today=today).count() for o in organisations),
        "can_keep": may_keep_registries(request.user),
    }
    return render(request, "registries.html", context)
