from datetime import date

from plans.members import demo, selectors
from plans.members.models import CouncilPosition, Member, MemberDues, MemberKind, MemberStatus
from sanitation.core.credit_code import credit_code_validate


def _snapshot():
    return (
        list(Member.objects.order_by("pk").values()),
        list(MemberDues.objects.order_by("pk").values()),
    )


def test_demo_seed_is_idempotent_and_deterministic(demo_members):
    first = _snapshot()
    assert demo.seed() == {"members": 0, "dues": 0}
    assert _snapshot() == first


def test_demo_members_cover_kinds_regions_seats_and_years(demo_members):
    members = Member.objects.filter(organisation=demo_members)
    units = members.filter(kind=MemberKind.UNIT)
    assert units.count() == 28 and members.filter(kind=MemberKind.INDIVIDUAL).count() == 8
    for code in units.values_list("credit_code", flat=True):
        credit_code_validate(code)
    assert len(set(units.values_list("region", flat=True))) == 8
    assert set(units.values_list("council_position", flat=True)) == set(CouncilPosition.values)
    years = {joined.year for joined in members.values_list("joined_on", flat=True)}
    assert min(years) == 2015 and max(years) == 2026
    assert set(members.values_list("status", flat=True)) == set(MemberStatus.values)


def test_demo_dues_2025_paid_2026_partly(demo_members):
    assert not MemberDues.objects.filter(year=2025, paid=False).exists()
    dues_2026 = MemberDues.objects.filter(year=2026)
    paid = dues_2026.filter(paid=True).count()
    assert 0.6 < paid / dues_2026.count() < 0.85
    renewals = selectors.renewals(Member.objects.all(), year=2026)
    names = set(renewals.values_list("name", flat=True))
    assert "京环城市服务集团有限公司" in names  # the president has paid half
    assert Member.objects.get(name="马丽娟").joined_on <= date(2026, 12, 31)
    assert not renewals.exclude(status=MemberStatus.ACTIVE).exists()
    assert renewals.filter(year_dues__isnull=True).exists()  # no 2026 dues at all
