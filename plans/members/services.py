"""Writing the member registry: members, their status and their dues, every change with who
made it (the member's history in core.Change; its status changes in MemberStatusChange)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.history import record, record_changes
from sanitation.core.models import Change
from sanitation.organisations.models import Unit

from ..history import created_record
from .models import CouncilPosition, Member, MemberDues, MemberKind, MemberStatus, MemberStatusChange

EDITABLE_FIELDS = (
    "kind",
    "name",
    "credit_code",
    "organisation_type",
    "region",
    "contact_person",
    "phone",
    "email",
    "council_position",
    "category",
    "title",
    "speciality",
    "employer",
    "joined_on",
)
# The yearly dues a member owes when no other amount was agreed, by council seat (yuan).
STANDARD_DUES = {
    CouncilPosition.PRESIDENT: Decimal("50000"),
    CouncilPosition.VICE_PRESIDENT: Decimal("30000"),
    CouncilPosition.EXECUTIVE_DIRECTOR: Decimal("20000"),
    CouncilPosition.DIRECTOR: Decimal("10000"),
    CouncilPosition.MEMBER: Decimal("5000"),
}
INDIVIDUAL_DUES = Decimal("500")

STATUS_UNCHANGED = _("The member already has this status.")
PAYMENT_NOT_POSITIVE = _("A payment must be more than zero.")
PAYMENT_IN_FUTURE = _("A payment cannot be dated in the future.")


class MemberError(ValueError):
    """The change cannot be made; the message says why, for the user."""


def dues_standard(member: Member) -> Decimal:
    if member.kind == MemberKind.INDIVIDUAL:
        return INDIVIDUAL_DUES
    return STANDARD_DUES.get(member.council_position, STANDARD_DUES[CouncilPosition.MEMBER])


@transaction.atomic
def member_create(*, organisation: Unit, by=None, status: str = MemberStatus.ACTIVE, **fields) -> Member:
    member = Member(organisation=organisation, status=status, **fields)
    member.full_clean()
    members_add(members=[member], by=by)
    return member


def members_add(*, members: list[Member], by=None) -> list[Member]:
    """Save new, already validated members with the first line of their status history."""
    for member in members:
        member.status_since = member.status_since or member.joined_on
    created = Member.objects.bulk_create(members)
    MemberStatusChange.objects.bulk_create(
        MemberStatusChange(member=member, new_status=member.status, changed_on=member.joined_on, user=by)
        for member in created
    )
    created_record(created, by=by)
    return created


@transaction.atomic
def member_update(member: Member, *, by=None, **changes) -> list[Change]:
    """Change a member's fields (not its status: see member_status_change) and record each change."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    diffs = {}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable member field")
        old = getattr(member, name)
        if old != value:
            setattr(member, name, value)
            diffs[name] = (old, value)
    if not diffs:
        return []
    member.full_clean()
    member.save()
    return record_changes(member, diffs, by=by)


@transaction.atomic
def member_status_change(*, member: Member, status: str, on: date, reason: str = "", by=None) -> MemberStatusChange:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == status:
        raise MemberError(STATUS_UNCHANGED)
    change = MemberStatusChange.objects.create(
        member=member, old_status=member.status, new_status=status, changed_on=on, reason=reason.strip(), user=by
    )
    member.status, member.status_since = status, on
    member.save(update_fields=["status", "status_since"])
    return change


@transaction.atomic
def dues_pay(*, member: Member, year: int, amount: Decimal, paid_on: date, by=None) -> MemberDues:
    """Record a payment of the year's dues; payments add up until the amount due is met. A year
    without dues yet gets the member's standard amount due."""
    if amount <= 0:
        raise MemberError(PAYMENT_NOT_POSITIVE)
    if paid_on > timezone.localdate():
        raise MemberError(PAYMENT_IN_FUTURE)
    dues, _created = MemberDues.objects.select_for_update().get_or_create(
        member=member, year=year, defaults={"amount_due": dues_standard(member)}
    )
    dues.amount_paid = (dues.amount_paid or Decimal(0)) + amount
    dues.paid_on = paid_on
    dues.paid = dues.amount_paid >= dues.amount_due
    dues.recorded_by = by
    dues.save()
    record(member, by=by, field="dues", new=f"{year}: +{amount:.2f} ({paid_on:%Y-%m-%d}), {dues.amount_paid:.2f}")
    return dues
