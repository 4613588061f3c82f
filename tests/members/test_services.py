from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans import indicators
from plans.members import services
from plans.members.models import Member, MemberKind, OrganisationType
from plans.models import Chapter, Indicator, Item, Plan
from sanitation.core.history import history_of
from sanitation.organisations.models import Unit

VALID_CODE = "91350100M000100Y43"


def _unit_fields(**fields) -> dict:
    values = {
        "kind": MemberKind.UNIT,
        "name": "闽清环境服务有限公司",
        "credit_code": VALID_CODE,
        "organisation_type": OrganisationType.ENTERPRISE,
        "joined_on": date(2026, 2, 1),
    }
    return values | fields


def test_credit_code_is_checked_and_unique_per_organisation(association, district_a):
    with pytest.raises(ValidationError) as error:
        services.member_create(organisation=association, **_unit_fields(credit_code="91350100M000100Y44"))
    assert "it should end in 3" in " ".join(error.value.message_dict["credit_code"])
    services.member_create(organisation=association, **_unit_fields())
    with pytest.raises(ValidationError) as error:
        services.member_create(organisation=association, **_unit_fields(name="另一家"))
    assert "already has this unified social credit code" in str(error.value)
    services.member_create(organisation=district_a, **_unit_fields())  # another organisation's registry
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(organisation=association, **_unit_fields(name="绕过检查"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(organisation=association, **_unit_fields(credit_code="", name="无代码"))


def test_update_writes_history_and_refuses_status(association, secretary):
    target = services.member_create(organisation=association, by=secretary, **_unit_fields())
    changes = services.member_update(target, by=secretary, region="福建省福州市", name=target.name)
    assert [(c.field, c.old, c.new, c.user) for c in changes] == [("region", "", "福建省福州市", secretary)]
    assert services.member_update(target, by=secretary, region="福建省福州市") == []
    with pytest.raises(ValueError):
        services.member_update(target, status="withdrawn")
    with pytest.raises(ValidationError):
        services.member_update(target, credit_code="123")
    target.refresh_from_db()
    assert target.credit_code == VALID_CODE


def test_payments_add_up_to_the_amount_due(association, secretary):
    target = services.member_create(organisation=association, **_unit_fields())
    first = services.dues_pay(member=target, year=2026, amount=Decimal("3000"), paid_on=date(2026, 3, 1), by=secretary)
    assert (first.amount_due, first.paid) == (Decimal("5000"), False)
    second = services.dues_pay(member=target, year=2026, amount=Decimal("2000"), paid_on=date(2026, 4, 1))
    assert (second.pk, second.amount_paid, second.paid, second.paid_on) == (
        first.pk,
        Decimal("5000"),
        True,
        date(2026, 4, 1),
    )
    assert history_of(target).filter(field="dues").count() == 2


def _indicator(issuer: Unit, year: int) -> Indicator:
    plan = Plan.objects.create(issuer=issuer, year=year, title=f"{year}年重点工作")
    chapter = Chapter.objects.create(plan=plan, number=4, title="大力发展会员")
    item = Item.objects.create(plan=plan, chapter=chapter, number=1, title="发展会员", text="吸引更多单位加入协会。")
    return Indicator.objects.create(item=item, name="新发展会员", target_value=5, provider="members.new_members")


def test_new_members_indicator_counts_the_issuers_organisation(demo_members, district_a):
    assert ("members.new_members", "New members this year") in [
        (key, str(label)) for key, label in indicators.provider_choices()
    ]
    services.member_create(organisation=district_a, **_unit_fields())  # another organisation's member
    indicator = indicators.indicator_refresh(_indicator(Unit.objects.get(code="CUEA-ZHB"), 2026))
    assert indicator.actual_value == Decimal("3.00")
    assert indicators.indicator_refresh(_indicator(demo_members, 2019)).actual_value == Decimal("3.00")
    assert indicators.indicator_refresh(_indicator(district_a, 2026)).actual_value == Decimal("1.00")
