"""Coverage of sorting (全覆盖): by street and district on a date, and a campaign's progress by phase.

A street's sites to cover are its StreetTarget's sites in the campaign, or all its sites when the
campaign has no target row for it (or when there is no campaign). A site is covered on a date when
sorting began there by then (covered_since <= date); a demonstration site counts once it is covered.
Every function runs a constant number of queries, whatever the number of streets and sites.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from sanitation.organisations.models import Unit, UnitKind

from .models import Campaign, CampaignPhase, PhaseKind, Site, SiteKind, StreetTarget

# Each street sets up one demonstration site of each of these kinds (物业小区, 开放小区, 写字楼/机关大楼).
DEMONSTRATION_KINDS = (SiteKind.MANAGED_ESTATE, SiteKind.OPEN_ESTATE, SiteKind.OFFICE_BUILDING)
# The seed's phases: (kind, month, day, coverage target %, demonstration sites due).
SEED_PHASES = (
    (PhaseKind.MOBILISE, 6, 30, Decimal("0"), True),
    (PhaseKind.IMPLEMENT, 9, 30, Decimal("100"), False),
    (PhaseKind.ACCEPT, 11, 30, Decimal("100"), False),
)
CENT = Decimal("0.01")


def rate_of(covered: int, total: int) -> Decimal | None:
    """Covered over total in %, to two decimals; None when there is nothing to cover."""
    if not total:
        return None
    return (Decimal(covered * 100) / total).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class StreetCoverage:
    street: Unit
    total: int
    covered: int
    demonstration: dict[str, int]  # demonstration sites sorting by the date, by kind of DEMONSTRATION_KINDS
    has_target: bool = False

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.covered, self.total)

    @property
    def uncovered(self) -> int:
        return self.total - self.covered

    @property
    def missing_demonstration_kinds(self) -> list[str]:
        return [kind for kind in DEMONSTRATION_KINDS if not self.demonstration.get(kind)]

    @property
    def demonstration_rows(self) -> list[tuple[str, int]]:
        """(label, count) for each of the three kinds, for templates."""
        return [(SiteKind(kind).label, self.demonstration.get(kind, 0)) for kind in DEMONSTRATION_KINDS]

    def below(self, target_rate: Decimal) -> bool:
        # Compared exactly, not on the rounded rate: 99.996% has not reached 100%.
        return bool(self.total) and self.covered * 100 < target_rate * self.total


@dataclass(frozen=True)
class StreetProgress:
    coverage: StreetCoverage
    rate_behind: bool
    missing_kinds: list[str]  # kinds of demonstration site still missing, when they are due
    uncovered_sites: list[str]  # names of the sites to cover not yet sorting

    @property
    def street(self) -> Unit:
        return self.coverage.street

    @property
    def behind(self) -> bool:
        return self.rate_behind or bool(self.missing_kinds)

    @property
    def missing_kind_labels(self) -> list[str]:
        return [SiteKind(kind).label for kind in self.missing_kinds]


@dataclass(frozen=True)
class PhaseProgress:
    phase: CampaignPhase
    as_of: date  # the earlier of the day asked about and the deadline
    passed: bool  # the deadline lies before the day asked about
    streets: list[StreetProgress] = field(default_factory=list)

    @property
    def deadline(self) -> date:
        return self.phase.deadline

    @property
    def target_rate(self) -> Decimal:
        return self.phase.target_rate

    @property
    def behind(self) -> list[StreetProgress]:
        return [street for street in self.streets if street.behind]

    @property
    def rate(self) -> Decimal | None:
        return district_rate([street.coverage for street in self.streets])


def district_streets(district: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(kind=UnitKind.STREET, path__startswith=district.path).order_by("sort_order", "path")
    )


def district_rate(streets: list[StreetCoverage]) -> Decimal | None:
    return rate_of(sum(s.covered for s in streets), sum(s.total for s in streets))


def _coverage_on_dates(
    *, district: Unit, dates: list[date], campaign: Campaign | None
) -> dict[date, list[StreetCoverage]]:
    """Coverage by street on each date: three queries however many streets, sites and dates."""
    streets = district_streets(district)
    counts = {"total": Count("pk")}
    for i, day in enumerate(dates):
        counts[f"covered_{i}"] = Count("pk", filter=Q(covered_since__lte=day))
        for kind in DEMONSTRATION_KINDS:
            counts[f"demo_{i}_{kind}"] = Count("pk", filter=Q(is_demonstration=True, kind=kind, covered_since__lte=day))
    by_street = {
        row["street_id"]: row
        for row in Site.objects.filter(street__path__startswith=district.path)
        .order_by()
        .values("street_id")
        .annotate(**counts)
    }
    targets = {}
    if campaign is not None:
        # A deleted site stays on the target list (restoring it puts it back) but is not counted.
        live = Q(sites__deleted_at__isnull=True)
        target_counts = {"total": Count("sites", filter=live, distinct=True)}
        for i, day in enumerate(dates):
            target_counts[f"covered_{i}"] = Count(
                "sites", filter=live & Q(sites__covered_since__lte=day), distinct=True
            )
        targets = {
            row["street_id"]: row
            for row in StreetTarget.objects.filter(campaign=campaign)
            .order_by()
            .values("street_id")
            .annotate(**target_counts)
        }
    result = {}
    for i, day in enumerate(dates):
        rows = []
        for street in streets:
            sites = by_street.get(street.pk, {})
            counted = targets.get(street.pk, sites)
            rows.append(
                StreetCoverage(
                    street=street,
                    total=counted.get("total", 0),
                    covered=counted.get(f"covered_{i}", 0),
                    demonstration={kind: sites.get(f"demo_{i}_{kind}", 0) for kind in DEMONSTRATION_KINDS},
                    has_target=street.pk in targets,
                )
            )
        result[day] = rows
    return result


def coverage_by_street(*, district: Unit, on: date, campaign: Campaign | None = None) -> list[StreetCoverage]:
    """Each street of the district: sites to cover, covered by `on`, rate, demonstration sites by kind."""
    return _coverage_on_dates(district=district, dates=[on], campaign=campaign)[on]


def coverage_of_district(*, district: Unit, on: date, campaign: Campaign | None = None) -> Decimal | None:
    return district_rate(coverage_by_street(district=district, on=on, campaign=campaign))


def campaign_of(*, district: Unit, on: date) -> Campaign | None:
    """The district's campaign of the year of `on`, whose targets the coverage counts."""
    return Campaign.objects.filter(district=district, year=on.year).first()


def _uncovered_sites(
    *, campaign: Campaign, since: date, target_streets: set[int]
) -> list[tuple[int, str, date | None]]:
    """(street id, site name, covered_since) of the sites to cover not yet sorting on `since`."""
    not_yet = Q(covered_since__isnull=True) | Q(covered_since__gt=since)
    untargeted = (
        Site.objects.filter(not_yet, street__path__startswith=campaign.district.path)
        .exclude(street_id__in=target_streets)
        .values_list("street_id", "name", "covered_since")
    )
    targeted = (
        StreetTarget.sites.through.objects.filter(streettarget__campaign=campaign, site__deleted_at__isnull=True)
        .filter(Q(site__covered_since__isnull=True) | Q(site__covered_since__gt=since))
        .values_list("streettarget__street_id", "site__name", "site__covered_since")
    )
    return sorted([*untargeted, *targeted], key=lambda row: (row[0], row[1]))


def campaign_progress(*, campaign: Campaign, on: date) -> list[PhaseProgress]:
    """Per phase: where each street stood at the deadline (or on `on`, before it), who is behind and
    what is missing. Five queries for the whole campaign."""
    phases = list(campaign.phases.order_by("deadline"))
    if not phases:
        return []
    dates = sorted({min(on, phase.deadline) for phase in phases})
    coverage = _coverage_on_dates(district=campaign.district, dates=dates, campaign=campaign)
    target_streets = {row.street.pk for row in coverage[dates[0]] if row.has_target}
    uncovered: dict[int, list[tuple[str, date | None]]] = {}
    for street_id, name, since in _uncovered_sites(campaign=campaign, since=dates[0], target_streets=target_streets):
        uncovered.setdefault(street_id, []).append((name, since))
    progress = []
    for phase in phases:
        as_of = min(on, phase.deadline)
        streets = []
        for row in coverage[as_of]:
            names = [name for name, since in uncovered.get(row.street.pk, []) if since is None or since > as_of]
            streets.append(
                StreetProgress(
                    coverage=row,
                    rate_behind=row.below(phase.target_rate),
                    missing_kinds=row.missing_demonstration_kinds if phase.demonstration_sites_due else [],
                    uncovered_sites=names,
                )
            )
        progress.append(PhaseProgress(phase=phase, as_of=as_of, passed=phase.deadline < on, streets=streets))
    return progress
