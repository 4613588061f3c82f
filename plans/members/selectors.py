"""Reading the member registry: what a user may see, filtered, the renewal list and the counts."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, F, FilteredRelation, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractYear

from sanitation.organisations.models import Unit

from ..registry_access import registry_changeable_by, registry_visible_to
from .models import CouncilPosition, Member, MemberDues, MemberStatus


def members_visible_to(user) -> QuerySet[Member]:
    return registry_visible_to(Member.objects.all(), user)


def members_changeable_by(user) -> QuerySet[Member]:
    return registry_changeable_by(Member.objects.all(), user)


def member_ordered(members: QuerySet[Member]) -> QuerySet[Member]:
    """Unit members first, then by council seat (会长 first), then by name."""
    rank = Case(
        *(When(council_position=value, then=Value(index)) for index, value in enumerate(CouncilPosition.values)),
        default=Value(len(CouncilPosition.values)),
        output_field=IntegerField(),
    )
    return members.annotate(position_rank=rank).order_by("-kind", "position_rank", "name", "pk")


def member_filter(
    members: QuerySet[Member],
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    council_position: str = "",
    region: str = "",
    joined_year: int | None = None,
    unpaid_year: int | None = None,
) -> QuerySet[Member]:
    """Members matching every filter given; `q` searches names, credit code, contact and employer."""
    q = (q or "").strip()
    if q:
        members = members.filter(
            Q(name__icontains=q)
            | Q(credit_code__icontains=q.replace(" ", ""))
            | Q(contact_person__icontains=q)
            | Q(phone__icontains=q)
            | Q(email__icontains=q)
            | Q(employer__icontains=q)
        )
    if kind:
        members = members.filter(kind=kind)
    if status:
        members = members.filter(status=status)
    if council_position:
        members = members.filter(council_position=council_position)
    if region:
        members = members.filter(region__startswith=region)
    if joined_year:
        members = members.filter(joined_on__year=joined_year)
    if unpaid_year:
        members = members.filter(pk__in=renewals(members, year=unpaid_year).values("pk"))
    return members


def member_regions(members: QuerySet[Member]) -> list[str]:
    return list(members.exclude(region="").order_by("region").values_list("region", flat=True).distinct())


def renewals(members: QuerySet[Member], *, year: int) -> QuerySet[Member]:
    """Registered (在册) members who had joined by the end of the year and have not paid its
    dues in full, or have no dues for it at all; with the year's amounts annotated."""
    return (
        members.filter(status=MemberStatus.ACTIVE, joined_on__lte=date(year, 12, 31))
        .annotate(year_dues=FilteredRelation("dues", condition=Q(dues__year=year)))
        .filter(Q(year_dues__isnull=True) | Q(year_dues__paid=False))
        .annotate(
            year_amount_due=F("year_dues__amount_due"),
            year_amount_paid=F("year_dues__amount_paid"),
            year_dues_id=F("year_dues__id"),
        )
    )


@dataclass
class MemberStatistics:
    year: int
    registered: int  # 在册 at the end of the year, among those who had joined by then
    by_kind: list[dict]
    by_region: list[dict]
    by_position: list[dict]
    by_status: list[dict]
    by_year_joined: list[dict]
    new_members: list[Member]
    dues: dict


def member_statistics(members: QuerySet[Member], *, year: int) -> MemberStatistics:
    """Counts of the registry for a year. Status is today's: a member who withdrew later still
    counts as withdrawn for an earlier year."""
    registered = members.filter(status=MemberStatus.ACTIVE, joined_on__lte=date(year, 12, 31))

    def counted(queryset, field):
        return list(queryset.values(field).annotate(count=Count("pk")).order_by("-count", field))

    dues = MemberDues.objects.filter(member__in=members.values("pk"), year=year).aggregate(
        records=Count("pk"),
        paid=Count("pk", filter=Q(paid=True)),
        amount_due=Sum("amount_due"),
        amount_paid=Sum("amount_paid"),
    )
    by_year = members.annotate(year=ExtractYear("joined_on")).values("year").annotate(count=Count("pk"))
    return MemberStatistics(
        year=year,
        registered=registered.count(),
        by_kind=counted(registered, "kind"),
        by_region=counted(registered, "region"),
        by_position=counted(registered, "council_position"),
        by_status=counted(members, "status"),
        by_year_joined=list(by_year.order_by("year")),
        new_members=list(members.filter(joined_on__year=year).order_by("joined_on", "pk")),
        dues={name: value or (Decimal(0) if name.startswith("amount") else 0) for name, value in dues.items()},
    )


def new_members_count(*, organisation: Unit, year: int) -> int:
    return Member.objects.filter(organisation=organisation, joined_on__year=year).count()


def new_members_indicator(indicator, as_of: date) -> Decimal | None:
    """Provider "members.new_members": members of the plan issuer's organisation who joined in
    the plan's year (whatever their status now)."""
    plan = indicator.item.plan
    organisation = Unit.objects.filter(path=plan.issuer.organisation_path).first()
    if organisation is None:
        return None
    return Decimal(new_members_count(organisation=organisation, year=plan.year))
