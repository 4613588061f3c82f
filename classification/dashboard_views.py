"""The sorting dashboard (/sorting/): the user's district in charts drawn on the server, each with its table."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from sanitation.core.forms import date_kept
from sanitation.organisations.access import organisations_of
from sanitation.organisations.models import Unit, UnitKind

from . import charts, rates
from .campaign import DEMONSTRATION_KINDS, campaign_of, campaign_progress, coverage_by_street
from .ledgers import collection_records_visible_to, facilities_visible_to
from .models import SiteKind
from .selectors import sites_visible_to, streets_visible_to


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    month: date  # first day of the month the street rates are for

    @property
    def month_end(self) -> date:
        following = date(self.month.year + self.month.month // 12, self.month.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)


def _month(value: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date_kept(date(year, month, 1))
    except ValueError:
        return None


def dashboard_period(params, *, today: date) -> Period:
    """?from=&to= (default: this year so far) and ?month=YYYY-MM (default: the month of `to`)."""
    end = _date(params.get("to")) or today
    start = _date(params.get("from")) or date(end.year, 1, 1)
    return Period(start=start, end=end, month=_month(params.get("month")) or end.replace(day=1))


def _date(value: str | None) -> date | None:
    try:
        return date_kept(parse_date(value or ""))
    except ValueError:  # well formed but no such day
        return None


def district_for(user) -> Unit:
    """The district the user works for: the root of their organisation (for a superuser, the first district)."""
    district = organisations_of(user).filter(kind=UnitKind.DISTRICT).order_by("path").first()
    if district is None:
        raise Http404(_("You do not work for a district."))
    return district


def _street_rows(*, user, district: Unit, period: Period) -> tuple[list[dict], list[dict]]:
    """Per visible street: coverage, month rates, facilities per 1,000 households, demonstration sites;
    and, when the year has a campaign, each phase with the streets behind it."""
    visible = set(streets_visible_to(user).filter(path__startswith=district.path).values_list("pk", flat=True))
    campaign = campaign_of(district=district, on=period.end)
    coverage = [
        row
        for row in coverage_by_street(district=district, on=period.end, campaign=campaign)
        if row.street.pk in visible
    ]
    records = collection_records_visible_to(user).filter(street__path__startswith=district.path)
    month = rates.records_in_period(records, start=period.month, end=period.month_end)
    month_rates = {rate.key: rate for rate in rates.separation_rates(month, by="street")}
    sites = sites_visible_to(user).filter(street__path__startswith=district.path)
    households = rates.households_by_street(sites)
    facilities = rates.household_facilities_by_street(
        facilities_visible_to(user).filter(street__path__startswith=district.path), on=period.end
    )
    streets = []
    for row in coverage:
        street_id = row.street.pk
        streets.append(
            {
                "name": row.street.display_name,
                "coverage": row,
                "rate": month_rates.get(street_id),
                "households": households.get(street_id, 0),
                "facilities": facilities.get(street_id, 0),
                "per_thousand": rates.per_thousand(facilities.get(street_id, 0), households.get(street_id, 0)),
                "demonstration": [row.demonstration.get(kind, 0) for kind in DEMONSTRATION_KINDS],
            }
        )
    phases = []
    if campaign is not None:
        for phase in campaign_progress(campaign=campaign, on=period.end):
            behind = [street for street in phase.behind if street.street.pk in visible]
            phases.append({"progress": phase, "behind": behind})
    return streets, phases


def _charts(*, streets: list[dict], months: list, district_rate, phases: list[dict], period: Period) -> dict[str, str]:
    targets = [
        (f"{p['progress'].phase.get_kind_display()} {p['progress'].deadline:%m-%d}", p["progress"].target_rate)
        for p in phases
        if p["progress"].target_rate
    ]
    composition = [
        (_("Recyclables"), district_rate.recyclable_t if district_rate else Decimal("0")),
        (_("Hazardous waste"), district_rate.hazardous_t if district_rate else Decimal("0")),
        (_("Kitchen waste"), district_rate.kitchen_t if district_rate else Decimal("0")),
        (_("Other waste"), district_rate.other_t if district_rate else Decimal("0")),
    ]
    drawn = {
        "coverage": charts.horizontal_bar_chart(
            title=_("Coverage by street on %(date)s") % {"date": f"{period.end:%Y-%m-%d}"},
            bars=[(s["name"], s["coverage"].rate) for s in streets],
            targets=targets,
            maximum=100,
        ),
        "months": charts.line_chart(
            title=_("Kitchen-waste separation rate by month"),
            points=[(rate.label, rate.separation_rate) for rate in months],
        ),
        "street_rates": charts.horizontal_bar_chart(
            title=_("Separation rate by street, %(month)s") % {"month": f"{period.month:%Y-%m}"},
            bars=[(s["name"], s["rate"].separation_rate if s["rate"] else None) for s in streets],
        ),
        "composition": charts.stacked_bar_chart(
            title=_("Composition of waste collected"), parts=composition, colours=charts.CATEGORY_COLOURS
        ),
        "facilities": charts.bar_chart(
            title=_("Containers and drop-off points per 1,000 households"),
            bars=[(s["name"], s["per_thousand"]) for s in streets],
        ),
        "demonstration": charts.bar_chart(
            title=_("Demonstration sites per street"),
            bars=[(s["name"], sum(s["demonstration"])) for s in streets],
            target=(_("Required"), len(DEMONSTRATION_KINDS)),
        ),
    }
    # Built from escaped text only (see charts.py).
    return {name: mark_safe(svg) for name, svg in drawn.items()}


@login_required
def dashboard(request):
    district = district_for(request.user)
    period = dashboard_period(request.GET, today=timezone.localdate())
    streets, phases = _street_rows(user=request.user, district=district, period=period)
    records = collection_records_visible_to(request.user).filter(street__path__startswith=district.path)
    in_period = rates.records_in_period(records, start=period.start, end=period.end)
    months = rates.separation_rates(in_period, by="month")
    district_rates = rates.separation_rates(in_period, by="district")
    district_rate = district_rates[0] if district_rates else None
    context = {
        "district": district,
        "period": period,
        "streets": streets,
        "phases": phases,
        "months": months,
        "district_rate": district_rate,
        "demonstration_kinds": [SiteKind(kind).label for kind in DEMONSTRATION_KINDS],
        "charts": _charts(streets=streets, months=months, district_rate=district_rate, phases=phases, period=period),
    }
    return render(request, "classification/dashboard.html", context)


urlpatterns = [path("", dashboard, name="dashboard")]
