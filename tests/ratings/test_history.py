"""History and soft deletion in the rating programmes: registry entries, rounds and applications
record who did what (pages, services, admin); their pages show it (in Chinese, constant queries,
404 to another organisation); a deleted facility, enterprise or application counts nowhere any
more while the published list that named it still opens unchanged; restoring brings it back."""

import hashlib
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from plans.ratings import selectors, services
from plans.ratings.models import ApplicationStatus, Enterprise, Facility, RatingApplication, RatingRound
from sanitation.core.deletion import restore, soft_delete
from sanitation.core.history import history_of, record
from sanitation.core.models import ChangeAction
from sanitation.documents.models import Circular
from sanitation.organisations.models import Role, UnitKind, User

from ..factories import UnitFactory, member
from .conftest import TODAY, make_facility, rated

NORTH = "江北市生活垃圾焚烧发电厂"  # rated AA in the published 2024 round, and in the open 2026 round
EAST = "东滨市生活垃圾焚烧发电厂"  # rated A in the published 2024 round only


@pytest.fixture
def secretary(demo):
    return User.objects.get(username="secretariat")


@pytest.fixture
def keeper(client, secretary, on_demo_day):
    client.force_login(secretary)
    return client


@pytest.fixture
def outsider(demo):
    """The secretariat of another association: none of CUEA's registries exist for them."""
    association = UnitFactory(code="XA", name="另一协会", kind=UnitKind.ASSOCIATION)
    department = UnitFactory(code="XA-ZHB", name="综合部", kind=UnitKind.DEPARTMENT, parent=association)
    return member(department, Role.SECRETARIAT, username="xa_secretariat")


def lines(obj) -> list[tuple]:
    return [(line.action, line.field, line.old, line.new) for line in history_of(obj)]


def open_round() -> RatingRound:
    return RatingRound.objects.get(year=2026, scheme__programme="facility")


def published_round() -> RatingRound:
    return RatingRound.objects.get(year=2024, scheme__programme="facility")


# Lines ----------------------------------------------------------------------------------------------


def test_registering_and_editing_a_facility_on_its_pages(keeper, secretary):
    fields = {
        "name": "西山市生活垃圾焚烧发电厂",
        "kind": "incineration",
        "province": "山西省",
        "city": "西山市",
        "capacity": "900",
        "operator_name": "西山环保能源有限公司",
        "operator_credit_code": "",
    }
    assert keeper.post(reverse("ratings:facility-create"), fields).status_code == 302
    facility = Facility.objects.get(name=fields["name"])
    assert lines(facility) == [(ChangeAction.CREATED, "", "", fields["name"])]
    keeper.post(reverse("ratings:facility-edit", args=[facility.pk]), fields | {"capacity": "1200.5", "city": "西山"})
    changed = {line.field: (line.old, line.new, line.user) for line in history_of(facility).filter(action="changed")}
    assert changed == {"city": ("西山市", "西山", secretary), "capacity": ("900", "1200.5", secretary)}
    # Saved again unchanged: no line.
    keeper.post(reverse("ratings:facility-edit", args=[facility.pk]), fields | {"capacity": "1200.5", "city": "西山"})
    assert history_of(facility).count() == 3


def test_an_application_records_its_scores_rating_and_revocation(demo, secretary):
    application = open_round().applications.get(facility__name="北岭市生活垃圾焚烧发电厂")
    assert lines(application)[-1][0] == ChangeAction.CREATED
    criteria = list(application.round.scheme.criteria.all())
    points = dict(zip(criteria, (14, 23, 22, 14, 9, 9), strict=True))
    services.expert_scores_record(application=application, expert="张教授", scores=points, user=secretary)
    services.application_rate(application=application, on=date(2026, 11, 1), user=secretary)
    services.rating_revoke(application=application, reason="发现数据造假", user=secretary)
    by_field = {}
    for line in reversed(history_of(application)):
        by_field.setdefault(line.field, []).append((line.old, line.new))
    given = (
        "垃圾接收与贮存 14, 焚烧工艺与运行 23, 烟气净化与排放 22, "
        "飞灰与炉渣处置 14, 渗滤液与臭气控制 9, 安全与运营管理 9"
    )
    assert by_field["scores"] == [("", f"张教授: {given}")]
    assert by_field["status"] == [("submitted", "reviewing"), ("reviewing", "rated"), ("rated", "revoked")]
    assert by_field["total"] == [("", "91")] and by_field["grade"] == [("", "AAA")]
    assert by_field["valid_until"] == [("", "2029-10-31")]
    assert by_field["revocation_reason"] == [("", "发现数据造假")]
    assert all(line.user == secretary for line in history_of(application) if line.action == "changed")


def test_publishing_a_round_is_an_issued_line_with_its_number(association, rating_round, secretary):
    plant = make_facility(association, "江北市焚烧厂")
    rated(rating_round, plant, (36, 36, 18))
    circular = services.round_publish(rating_round=rating_round, user=secretary)
    services.round_publish(rating_round=rating_round, user=secretary)  # again: the same, no second line
    issued = history_of(rating_round).filter(action=ChangeAction.ISSUED)
    assert [(line.field, line.new, line.user) for line in issued] == [("circular", circular.number, secretary)]
    assert history_of(rating_round).filter(action=ChangeAction.CREATED).exists()


# Pages -----------------------------------------------------------------------------------------------


def test_pages_show_the_history_in_chinese(client, secretary, on_demo_day):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(secretary)
    facility = Facility.objects.get(name=EAST)
    services.facility_save(facility, by=secretary)  # nothing changed: no line
    facility.capacity = 650
    services.facility_save(facility, by=secretary)
    application = open_round().applications.get(facility__name=NORTH)
    pages = {
        reverse("ratings:facility-detail", args=[facility.pk]): "处理能力（吨/日）",
        reverse("ratings:application-detail", args=[application.pk]): "等级",
        reverse("ratings:round-detail", args=[open_round().pk]): "修改记录",
    }
    for url, label in pages.items():
        page = client.get(url).content.decode()
        history = page[page.index('id="history"') :]
        assert "修改记录" in history and label in history, url
    facility_page = client.get(reverse("ratings:facility-detail", args=[facility.pk])).content.decode()
    assert "650" in facility_page[facility_page.index('id="history"') :] and "王秘书" in facility_page


def test_another_organisation_sees_no_page_and_no_history(client, outsider):
    client.force_login(outsider)
    application = open_round().applications.get(facility__name=NORTH)
    for url in (
        reverse("ratings:facility-detail", args=[application.facility_id]),
        reverse("ratings:application-detail", args=[application.pk]),
        reverse("ratings:round-detail", args=[application.round_id]),
        reverse("ratings:enterprise-detail", args=[Enterprise.objects.first().pk]),
    ):
        assert client.get(url).status_code == 404, url


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_take_the_same_queries_however_long_the_history(keeper, secretary):
    application = open_round().applications.get(facility__name=NORTH)
    urls = [
        reverse("ratings:application-detail", args=[application.pk]),
        reverse("ratings:facility-detail", args=[application.facility_id]),
        reverse("ratings:round-detail", args=[application.round_id]),
    ]
    keeper.get(urls[0])
    few = [_queries(keeper, url) for url in urls]
    for n in range(20):
        editor = User.objects.create(username=f"editor{n}")
        for obj in (application, application.facility, application.round):
            record(obj, by=editor, field="status", old=str(n), new=str(n + 1))
    assert [_queries(keeper, url) for url in urls] == few


# Soft deletion --------------------------------------------------------------------------------------


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_deleted_facility_counts_nowhere_but_its_published_list_still_opens(keeper, secretary):
    facility = Facility.objects.get(name=EAST)
    circular = published_round().circular
    expiring = list(selectors.ratings_expiring(organisation=facility.organisation, today=TODAY))
    assert facility.pk in [rating.facility_id for rating in expiring]
    soft_delete(facility, by=secretary)

    left = selectors.ratings_expiring(organisation=facility.organisation, today=TODAY)
    assert [rating.facility_id for rating in left] == [r.facility_id for r in expiring if r.facility_id != facility.pk]
    assert keeper.get(reverse("ratings:facility-detail", args=[facility.pk])).status_code == 404
    assert EAST not in keeper.get(reverse("ratings:facility-list")).content.decode()
    assert EAST not in keeper.get(reverse("ratings:expiring")).content.decode()
    assert EAST not in keeper.get(reverse("ratings:round-detail", args=[published_round().pk])).content.decode()
    assert EAST not in str(_api(secretary).get("/api/v1/facility-ratings/").json())
    overview = keeper.get(reverse("ratings:overview")).context
    assert overview["expiring_count"] == len(expiring) - 1
    published = next(r for r in overview["programmes"][0][2] if r.pk == published_round().pk)
    assert published.application_count == 2 and published.rated_count == 1

    # The published list is what it was: the page opens, its text and its PDF name the facility.
    assert keeper.get(reverse("documents:circular-detail", args=[circular.pk])).status_code == 200
    assert EAST in Circular.objects.get(pk=circular.pk).body
    pdf = keeper.get(reverse("documents:circular-pdf", args=[circular.pk]))
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == circular.pdf_sha256

    # The name is free for a new entry.
    make_facility(facility.organisation, EAST)
    assert Facility.all_objects.filter(name=EAST).count() == 2


def test_admin_delete_of_a_facility_is_soft_and_restorable(client, secretary, demo):
    admin_user = User.objects.create_superuser("root", password="x")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(admin_user)
    facility = Facility.objects.get(name=EAST)
    url = reverse("admin:ratings_facility_delete", args=[facility.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    stored = Facility.all_objects.get(pk=facility.pk)
    assert stored.deleted_by == admin_user and lines(stored)[0][0] == ChangeAction.DELETED
    assert not RatingApplication.objects.filter(facility=facility).exists()
    assert RatingApplication.all_objects.filter(facility=facility).count() == 1  # kept, with it

    twin = make_facility(facility.organisation, EAST)
    changelist = reverse("admin:ratings_facility_changelist")
    response = client.post(changelist, {"action": "restore_checked", "_selected_action": [facility.pk]}, follow=True)
    assert "is not restored" in response.content.decode() and not Facility.objects.filter(pk=facility.pk).exists()
    soft_delete(twin)
    client.post(changelist, {"action": "restore_checked", "_selected_action": [facility.pk]})
    assert Facility.objects.filter(pk=facility.pk).exists() and lines(facility)[0][0] == ChangeAction.RESTORED
    assert RatingApplication.objects.filter(facility=facility).count() == 1


def test_a_deleted_application_leaves_its_round_and_may_be_made_again(keeper, secretary):
    rating_round = open_round()
    application = rating_round.applications.get(facility__name=NORTH)
    before = next(r for r in selectors.rounds_by_programme(RatingRound.objects.all())["facility"] if r == rating_round)
    soft_delete(application, by=secretary)

    after = next(r for r in selectors.rounds_by_programme(RatingRound.objects.all())["facility"] if r == rating_round)
    assert (after.application_count, after.rated_count) == (before.application_count - 1, before.rated_count - 1)
    page = keeper.get(reverse("ratings:round-detail", args=[rating_round.pk])).content.decode()
    assert f"application-{application.pk}" not in page
    assert keeper.get(reverse("ratings:application-detail", args=[application.pk])).status_code == 404
    history = [rating.pk for rating in selectors.rating_history(application.facility)]
    assert application.pk not in history
    # The facility may apply again in the round (the deleted application no longer holds its place).
    response = keeper.post(
        reverse("ratings:application-add", args=[rating_round.pk]),
        {"subject": application.facility_id, "submitted_on": "2026-11-20"},
    )
    assert response.status_code == 302
    again = rating_round.applications.get(facility=application.facility_id)
    assert again.pk != application.pk and again.status == ApplicationStatus.SUBMITTED
    assert RatingApplication.all_objects.filter(round=rating_round, facility=application.facility_id).count() == 2


def test_admin_delete_of_an_application_is_soft(client, demo):
    admin_user = User.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    application = open_round().applications.get(facility__name=NORTH)
    url = reverse("admin:ratings_ratingapplication_delete", args=[application.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert RatingApplication.all_objects.get(pk=application.pk).deleted_by == admin_user
    assert not RatingApplication.objects.filter(pk=application.pk).exists()


def test_a_deleted_enterprise_leaves_the_lists_and_the_api(keeper, secretary):
    enterprise = Enterprise.objects.get(name="北京洁城环境服务有限公司")
    api = _api(secretary)
    before = api.get("/api/v1/credit-ratings/", {"year": 2024}).json()["count"]
    soft_delete(enterprise, by=secretary)
    assert api.get("/api/v1/credit-ratings/", {"year": 2024}).json()["count"] == before - 1
    assert enterprise.name not in keeper.get(reverse("ratings:enterprise-list")).content.decode()
    expired = selectors.ratings_expired(organisation=enterprise.organisation, today=TODAY)
    assert enterprise.pk not in [rating.enterprise_id for rating in expired]
    restore(Enterprise.all_objects.get(pk=enterprise.pk), by=secretary)
    assert api.get("/api/v1/credit-ratings/", {"year": 2024}).json()["count"] == before


def test_admin_of_another_association_sees_no_deleted_record_of_ours(client, outsider, secretary):
    soft_delete(Facility.objects.get(name=EAST), by=secretary)
    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["view_facility", "delete_facility"]))
    client.force_login(outsider)
    page = client.get(reverse("admin:ratings_facility_changelist"), {"deleted": "yes"})
    assert page.status_code == 200 and EAST not in page.content.decode()
