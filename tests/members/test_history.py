"""A member's history: the lines the pages, the services and the Excel sheet write, shown on the
member's page (in Chinese, constant queries, 404 to another organisation). Members are never
deleted: there is no page, service or admin for it."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from plans.members import services
from plans.members.models import Member, MemberKind, OrganisationType
from sanitation.core.history import history_of, record
from sanitation.core.models import ChangeAction
from sanitation.organisations.models import Role, UnitKind, User

from ..factories import UnitFactory, member

VALID_CODE = "91350100M000100Y43"


@pytest.fixture
def target(association, secretary):
    return services.member_create(
        organisation=association,
        by=secretary,
        kind=MemberKind.UNIT,
        name="闽清环境服务有限公司",
        credit_code=VALID_CODE,
        organisation_type=OrganisationType.ENTERPRISE,
        joined_on=date(2026, 2, 1),
    )


def test_creation_edits_and_payments_are_lines_of_the_member(target, secretary):
    services.member_update(target, by=secretary, region="福建省福州市", contact_person="林先生")
    services.dues_pay(member=target, year=2026, amount=Decimal("3000"), paid_on=date(2026, 3, 1), by=secretary)
    assert [(line.action, line.field, line.old, line.new, line.user) for line in reversed(history_of(target))] == [
        (ChangeAction.CREATED, "", "", "闽清环境服务有限公司", secretary),
        (ChangeAction.CHANGED, "region", "", "福建省福州市", secretary),
        (ChangeAction.CHANGED, "contact_person", "", "林先生", secretary),
        (ChangeAction.CHANGED, "dues", "", "2026: +3000.00 (2026-03-01), 3000.00", secretary),
    ]
    # The status keeps its own history, with the date it takes effect and why.
    services.member_status_change(member=target, status="suspended", on=date(2026, 4, 1), reason="欠费", by=secretary)
    assert target.status_changes.first().reason == "欠费" and not history_of(target).filter(field="status").exists()


def test_page_shows_the_history_in_chinese(client, target, secretary):
    services.member_update(target, by=secretary, region="福建省福州市", council_position="director")
    services.dues_pay(member=target, year=2026, amount=Decimal("500"), paid_on=date(2026, 3, 1), by=secretary)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(secretary)
    page = client.get(reverse("members:member-detail", args=[target.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in history and "地区" in history and "福建省福州市" in history
    assert "会费" in history and "王秘书" in history
    assert "理事" in history  # the council seat by its name, not its code
    assert "director" not in history


def test_another_organisation_gets_404_and_no_history(client, target):
    other = UnitFactory(code="XM", name="另一协会", kind=UnitKind.ASSOCIATION)
    outsider = member(UnitFactory(code="XM-ZHB", kind=UnitKind.DEPARTMENT, parent=other), Role.SECRETARIAT)
    client.force_login(outsider)
    assert client.get(reverse("members:member-detail", args=[target.pk])).status_code == 404
    form = {"year": 2026, "amount": "1", "paid_on": "2026-01-05"}
    assert client.post(reverse("members:dues-pay", args=[target.pk]), form).status_code == 404
    assert not history_of(target).filter(field="dues").exists()


def test_page_takes_the_same_queries_however_long_the_history(client, target, secretary):
    client.force_login(secretary)
    url = reverse("members:member-detail", args=[target.pk])
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(20):
        record(target, by=User.objects.create(username=f"editor{n}"), field="region", old=str(n), new=str(n + 1))
    assert queries() == few


def test_members_have_no_delete_path(target):
    assert Member not in admin.site._registry
    for name in ("members:member-delete", "members:delete"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[target.pk])
    assert not hasattr(services, "member_delete")
