from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.members import services
from plans.members.demo import credit_code
from plans.members.models import (
    CouncilPosition,
    IndividualCategory,
    Member,
    MemberDues,
    MemberKind,
    MemberStatus,
    OrganisationType,
)
from sanitation.core.history import history_of
from sanitation.core.models import Change
from sanitation.organisations.models import Role

from ..factories import member

VALID_CODE = "91350100M000100Y43"


def _login(client, user):
    client.force_login(user)
    return client


def _unit_member(organisation, index: int, **fields) -> Member:
    values = {
        "kind": MemberKind.UNIT,
        "name": f"测试会员单位{index:03d}",
        "credit_code": credit_code(500 + index, OrganisationType.ENTERPRISE, "110105"),
        "organisation_type": OrganisationType.ENTERPRISE,
        "region": "北京市",
        "contact_person": f"联系人{index}",
        "joined_on": date(2020, 1, 1),
    }
    return services.member_create(organisation=organisation, **(values | fields))


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/members/list/", "/members/renewals/", "/members/statistics/", "/members/export.xlsx"]
)
def test_readers_only_on_the_lists(client, demo_members, association_staff, clerk_a, path):
    for outsider in (association_staff, clerk_a):
        response = _login(client, outsider).get(path)
        assert response.status_code == 403, (outsider, path)
    assert client.get("/members/import/").status_code == 403


def test_outsiders_get_404_on_a_member_and_nothing_changes(client, demo_members, association_staff, clerk_a):
    target = Member.objects.get(name="刘振华")
    for outsider in (association_staff, clerk_a):
        _login(client, outsider)
        assert client.get(f"/members/{target.pk}/").status_code == 404
        assert client.get(f"/members/{target.pk}/edit/").status_code == 404
        pay = {"year": 2026, "amount": "100", "paid_on": "2026-01-05"}
        assert client.post(f"/members/{target.pk}/dues/pay/", pay).status_code == 404
        status = {"status": "withdrawn", "changed_on": "2026-01-05", "reason": "x"}
        assert client.post(f"/members/{target.pk}/status/", status).status_code == 404
    target.refresh_from_db()
    assert target.status == MemberStatus.ACTIVE and not target.dues.filter(year=2026, amount_paid=100).exists()


def test_another_organisations_secretariat_sees_none_of_the_members(client, demo_members, district_a):
    from sanitation.organisations.models import Unit

    other = member(Unit.objects.get(code="A"), Role.SECRETARIAT, username="a_secretary")
    _login(client, other)
    response = client.get("/members/list/")
    assert response.status_code == 200 and "京环城市服务集团有限公司" not in response.content.decode()
    target = Member.objects.get(name="刘振华")
    assert client.get(f"/members/{target.pk}/").status_code == 404


def test_leader_reads_but_does_not_keep(client, demo_members, association_leader):
    target = Member.objects.get(name="刘振华")
    _login(client, association_leader)
    page = client.get(f"/members/{target.pk}/").content.decode()
    assert "刘振华" in page and "Record payment" not in page and "Change status" not in page
    assert client.get(f"/members/{target.pk}/edit/").status_code == 403
    assert client.get("/members/new/").status_code == 403
    response = client.post(f"/members/{target.pk}/dues/pay/", {"year": 2026, "amount": "1", "paid_on": "2026-01-05"})
    assert response.status_code == 403 and not Change.objects.filter(field="dues").exists()


# The list ------------------------------------------------------------------------------------


def _listed(client, **params) -> tuple[int, str]:
    response = client.get("/members/list/", params)
    assert response.status_code == 200
    return response.context["page"].paginator.count, response.content.decode()


def test_list_searches_and_filters(client, demo_members, secretary):
    _login(client, secretary)
    count, page = _listed(client, q="赵建国")  # the president's contact person
    assert count == 1 and "京环城市服务集团有限公司" in page
    code = Member.objects.get(name="沪清环境科技股份有限公司").credit_code
    count, page = _listed(client, q=code.lower())
    assert count == 1 and "沪清环境科技股份有限公司" in page
    count, page = _listed(client, kind="individual")
    assert count == 8 and "刘振华" in page and "京环城市服务集团有限公司" not in page
    count, page = _listed(client, council_position="president")
    assert count == 1 and "京环城市服务集团有限公司" in page
    count, page = _listed(client, region="广东省广州市", status="active")
    assert "穗洁环卫服务有限公司" in page and "京环城市服务集团有限公司" not in page
    assert count == Member.objects.filter(region="广东省广州市", status="active").count() > 1
    assert _listed(client, joined_year=2026)[0] == 3
    assert _listed(client, status="withdrawn")[0] == 1
    assert _listed(client, q="清华大学")[0] == 1  # an individual's employer


def test_list_is_paginated_and_queries_do_not_grow(client, association, secretary):
    for index in range(3):
        _unit_member(association, index)
    _login(client, secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/members/list/")
        assert response.status_code == 200
        return len(context.captured_queries)

    few = queries()
    for index in range(3, 40):
        _unit_member(association, index)
    assert queries() == few
    page = client.get("/members/list/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in page and "测试会员单位039" in page


# Detail, create, edit, status ---------------------------------------------------------------


def test_detail_shows_dues_and_status_history(client, demo_members, secretary):
    suspended = Member.objects.get(status=MemberStatus.SUSPENDED)
    page = _login(client, secretary).get(f"/members/{suspended.pk}/").content.decode()
    assert suspended.credit_code in page and "长期未参加协会活动" in page and "2026-03-01" in page
    assert "2025" in page and "Record payment" in page


def test_secretary_adds_a_member_with_a_checked_credit_code(client, association, secretary):
    _login(client, secretary)
    form = {
        "kind": "unit",
        "name": "闽清环境服务有限公司",
        "credit_code": "91350100M000100Y4X",
        "organisation_type": "enterprise",
        "region": "福建省福州市",
        "council_position": "director",
        "joined_on": "2026-05-01",
    }
    response = client.post("/members/new/", form)
    assert response.status_code == 200 and "it should end in 3" in response.content.decode()
    assert not Member.objects.exists()
    response = client.post("/members/new/", form | {"credit_code": "91350100m000100y43 "})
    created = Member.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/members/{created.pk}/"
    assert created.credit_code == VALID_CODE and created.organisation == association
    assert created.status == MemberStatus.ACTIVE and created.status_changes.get().user == secretary
    response = client.post("/members/new/", form | {"credit_code": VALID_CODE, "name": "另一家"})
    assert "already has this unified social credit code" in response.content.decode()
    assert Member.objects.count() == 1


def test_kind_decides_what_is_required(client, association, secretary):
    _login(client, secretary)
    form = {"kind": "individual", "name": "周专家", "council_position": "member", "joined_on": "2026-05-01"}
    page = client.post("/members/new/", form).content.decode()
    assert "An individual member needs this." in page
    form |= {"credit_code": VALID_CODE, "category": "expert"}
    page = client.post("/members/new/", form).content.decode()
    assert "Individual members have no credit code" in page
    form["credit_code"] = ""
    assert client.post("/members/new/", form).status_code == 302
    assert Member.objects.get().category == IndividualCategory.EXPERT


def test_edit_records_every_change(client, association, secretary):
    target = _unit_member(association, 1)
    _login(client, secretary)
    response = client.get(f"/members/{target.pk}/edit/")
    form = {name: value for name, value in response.context["form"].initial.items() if value is not None}
    form |= {"joined_on": "2020-01-01", "contact_person": "新联系人", "council_position": "director"}
    response = client.post(f"/members/{target.pk}/edit/", form)
    assert response.status_code == 302
    changes = {change.field: (change.old, change.new) for change in history_of(target).exclude(action="created")}
    assert changes == {"contact_person": ("联系人1", "新联系人"), "council_position": ("member", "director")}
    page = client.get(f"/members/{target.pk}/").content.decode()
    assert "新联系人" in page and "Council member" in page


def test_status_change_keeps_date_reason_and_who(client, association, secretary):
    target = _unit_member(association, 1)
    _login(client, secretary)
    form = {"status": "suspended", "changed_on": "2026-04-01", "reason": "未按期缴纳会费"}
    assert client.post(f"/members/{target.pk}/status/", form).status_code == 302
    target.refresh_from_db()
    assert (target.status, target.status_since) == (MemberStatus.SUSPENDED, date(2026, 4, 1))
    change = target.status_changes.first()
    assert (change.old_status, change.new_status, change.reason, change.user) == (
        "active",
        "suspended",
        "未按期缴纳会费",
        secretary,
    )
    response = client.post(f"/members/{target.pk}/status/", form, follow=True)
    assert "already has this status" in response.content.decode()
    assert target.status_changes.count() == 2


# Renewals and payments ------------------------------------------------------------------------


def test_renewal_list_names_the_unpaid_and_records_a_payment(client, demo_members, secretary):
    _login(client, secretary)
    page = client.get("/members/renewals/", {"year": 2026}).content.decode()
    president = Member.objects.get(council_position=CouncilPosition.PRESIDENT)
    paid = MemberDues.objects.filter(year=2026, paid=True).select_related("member").first().member
    assert president.name in page and paid.name not in page
    assert "No dues recorded for this year" in page
    assert Member.objects.get(status=MemberStatus.WITHDRAWN).name not in page
    assert "25000.00" in page  # the president paid half of 50000
    form = {"year": 2026, "amount": "25000", "paid_on": "2026-11-01", "back": "renewals"}
    response = client.post(f"/members/{president.pk}/dues/pay/", form, follow=True)
    assert response.redirect_chain[-1][0] == "/members/renewals/?year=2026"
    assert "Payment recorded" in response.content.decode()
    assert f'href="/members/{president.pk}/"' not in response.content.decode()
    dues = president.dues.get(year=2026)
    assert (dues.paid, dues.amount_paid, dues.paid_on) == (True, Decimal("50000"), date(2026, 11, 1))
    assert history_of(president).get(field="dues").user == secretary


def test_payment_without_dues_creates_them_at_the_standard_amount(association, secretary):
    target = _unit_member(association, 1, council_position=CouncilPosition.VICE_PRESIDENT)
    dues = services.dues_pay(member=target, year=2026, amount=Decimal("10000"), paid_on=date(2026, 1, 2), by=secretary)
    assert (dues.amount_due, dues.amount_paid, dues.paid) == (Decimal("30000"), Decimal("10000"), False)
    with pytest.raises(services.MemberError):
        services.dues_pay(member=target, year=2026, amount=Decimal("0"), paid_on=date(2026, 1, 2))
    tomorrow = timezone.localdate().replace(year=timezone.localdate().year + 1)
    with pytest.raises(services.MemberError):
        services.dues_pay(member=target, year=2026, amount=Decimal("1"), paid_on=tomorrow)


def test_renewal_list_queries_do_not_grow(client, association, secretary):
    for index in range(2):
        _unit_member(association, index)
    _login(client, secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/members/renewals/", {"year": 2026})
        assert response.status_code == 200
        return len(context.captured_queries)

    few = queries()
    for index in range(2, 12):
        target = _unit_member(association, index)
        MemberDues.objects.create(member=target, year=2026, amount_due=5000)
    assert queries() == few
    assert client.get("/members/renewals/", {"year": 2026}).content.decode().count('class="renewal-row"') == 12


# Statistics -------------------------------------------------------------------------------------


def test_statistics_count_by_kind_region_and_year(client, demo_members, secretary):
    _login(client, secretary)
    response = client.get("/members/statistics/", {"year": 2026})
    statistics = response.context["statistics"]
    assert statistics.registered == 34 and len(statistics.new_members) == 3
    assert {row["label"]: row["count"] for row in response.context["by_kind"]} == {
        "Unit member": 26,
        "Individual member": 8,
    }
    assert sum(row["count"] for row in response.context["by_region"]) == 34
    assert {row["year"] for row in statistics.by_year_joined} == set(range(2015, 2027))
    page = response.content.decode()
    assert 'id="new-count">3<' in page
    older = client.get("/members/statistics/", {"year": 2016}).context["statistics"]
    assert len(older.new_members) == 3 and older.registered < 34


def test_every_page_renders_in_the_default_language(demo_members, secretary):
    from django.test import Client

    client = Client()  # no language cookie: the site's Chinese
    client.force_login(secretary)
    target = Member.objects.get(status=MemberStatus.SUSPENDED)
    for path in (
        "/members/list/?kind=unit&page=2",
        f"/members/{target.pk}/",
        f"/members/{target.pk}/edit/",
        "/members/new/",
        "/members/renewals/?year=2026",
        "/members/statistics/?year=2026",
        "/members/import/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'lang="zh-CN"' in response.content.decode()
    assert target.name in client.get(f"/members/{target.pk}/").content.decode()


def test_year_defaults_to_this_year(client, demo_members, secretary):
    _login(client, secretary)
    this_year = timezone.localdate().year
    assert client.get("/members/renewals/").context["year"] == this_year
    assert client.get("/members/statistics/", {"year": "soon"}).context["year"] == this_year


def test_statistics_queries_do_not_grow(client, association, secretary):
    for index in range(2):
        _unit_member(association, index)
    _login(client, secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/members/statistics/", {"year": 2020})
        assert response.status_code == 200
        return len(context.captured_queries)

    few = queries()
    for index in range(2, 12):
        _unit_member(association, index, region=f"省{index}")
    assert queries() == few
    assert client.get("/members/statistics/", {"year": 2020}).context["statistics"].registered == 12
