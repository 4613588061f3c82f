from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from .access import units_visible_to
from .models import Membership


@login_required
def unit_tree(request):
    units = units_visible_to(request.user).annotate(member_count=Count("memberships"))
    return render(request, "organisations/unit_tree.html", {"units": units})


@login_required
def unit_detail(request, pk: int):
    unit = get_object_or_404(units_visible_to(request.user).select_related("parent"), pk=pk)
    children = unit.children.order_by("sort_order", "path")
    memberships = Membership.objects.filter(unit=unit).select_related("user").order_by("role", "user__username")
    return render(
        request,
        "organisations/unit_detail.html",
        {"unit": unit, "children": children, "memberships": memberships},
    )
