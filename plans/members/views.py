"""Member pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..registry_access import may_read_registries


@login_required
def registries(request):
    """The registries' front page: where each registry starts, and what needs doing."""
    if not may_read_registries(request.user):
        return render(request, "403.html", status=403)
    return render(request, "members/registries.html", {})
