"""Scores pages: the streets' ranking for a period with the red and black lists (红黑榜), and the
subsidy allocation (奖补资金) with its working line by line. Each user sees the district(s) of the
organisation they work for."""

import datetime
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy

from sanitation.organisations.access import organisations_of
from sanitation.organisations.models import Unit, UnitKind

from . import scores, subsidies
from .models import SourceKind, SubsidyRule
from .review_forms import PeriodForm
from .schemes import scheme_in_force

NO_DISTRICT = gettext_lazy("You do not work for a district, so there is nothing to rank.")
NO_SCHEME = gettext_lazy("The district has no assessment scheme in force on %(day)s.")
NO_SUBSIDY_RULE = gettext_lazy("The district has no subsidy rule for %(year)s.")


def _districts_of(user) -> QuerySet[Unit]:
    """The districts in the organisations the user works for (rankings are published district-wide)."""
    roots = list(organisations_of(user))
    if not roots:
        return Unit.objects.none()
    return (
        Unit.objects.filter(kind=UnitKind.DISTRICT)
        .filter(reduce(or_, (Q(path__startswith=root.path) for root in roots)))
        .order_by("path")
    )


def _period_context(request, *, default_kind: str) -> dict:
    form = PeriodForm(request.GET or None, districts=_districts_of(request.user), default_kind=default_kind)
    kind, day, district = form.choice()
    start, end = scores.period_bounds(kind, day)
    link = {"kind": kind}
    if district is not None and len(form.districts) > 1:
        link["district"] = district.pk
    return {
        "form": form,
        "kind": kind,
        "kind_label": scores.PERIOD_KINDS[kind],
        "district": district,
        "start": start,
        "end": end,
        "previous": urlencode({**link, "day": (start - datetime.timedelta(days=1)).isoformat()}),
        "next": urlencode({**link, "day": (end + datetime.timedelta(days=1)).isoformat()}),
        "problems": [],
    }


@login_required
def score_ranking(request):
    context = _period_context(request, default_kind="week")
    district, start, end = context["district"], context["start"], context["end"]
    context |= {"scheme": None, "other_sources": [], "rows": [], "red": [], "black": []}
    if district is None:
        context["problems"].append(NO_DISTRICT)
        return render(request, "supervision/scores.html", context)
    scheme = scheme_in_force(district=district, on=end)
    if scheme is None:
        # The inspections still rank the streets; sources and lists exist only by a scheme.
        context["problems"].append(NO_SCHEME % {"day": end.isoformat()})
        other_sources = []
    else:
        other_sources = [source for source in scheme.sources.all() if source.kind != SourceKind.INSPECTION]
    try:
        ranking = scores.street_scores(district=district, start=start, end=end, scheme=scheme)
    except ValidationError as error:
        context["problems"].extend(error.messages)
        ranking = []
    rows = [{"score": row, "others": [row.source_scores.get(source) for source in other_sources]} for row in ranking]
    red, black = scores.red_black_lists(ranking)
    context |= {"scheme": scheme, "other_sources": other_sources, "rows": rows, "red": red, "black": black}
    return render(request, "supervision/scores.html", context)


@login_required
def subsidy_allocation(request):
    # Subsidies follow the quarterly review (季讲评), so a quarter is what the page opens on.
    context = _period_context(request, default_kind="quarter")
    district, start, end = context["district"], context["start"], context["end"]
    context |= {"rule": None, "allocation": None, "awards": []}
    if district is None:
        context["problems"].append(NO_DISTRICT)
        return render(request, "supervision/subsidies.html", context)
    rule = SubsidyRule.objects.filter(district=district, year=end.year).first()
    if rule is None:
        context["problems"].append(NO_SUBSIDY_RULE % {"year": end.year})
        return render(request, "supervision/subsidies.html", context)
    money = subsidies.money  # amounts look the same in the table as in the working beside them
    context |= {
        "rule": rule,
        "pool": money(rule.pool),
        "black_list_deduction": money(rule.black_list_deduction),
        "awards": [(award, money(award.amount)) for award in rule.awards.all()],
    }
    try:
        allocation = subsidies.subsidy_allocate(rule=rule, start=start, end=end)
    except ValidationError as error:
        context["problems"].extend(error.messages)
        return render(request, "supervision/subsidies.html", context)
    context["allocation"] = allocation
    context["total"] = money(allocation.total)
    context["lines"] = [
        {
            "line": line,
            "pool_share": money(line.pool_share),
            "award": money(line.award),
            "deduction": money(line.deduction),
            "total": money(line.total),
        }
        for line in allocation.lines
    ]
    return render(request, "supervision/subsidies.html", context)


urlpatterns = [
    path("scores/", score_ranking, name="scores"),
    path("subsidies/", subsidy_allocation, name="subsidies"),
]
