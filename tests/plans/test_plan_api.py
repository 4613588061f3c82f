from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from plans import api
from plans.models import Category, Item, Plan, ProgressReport
from plans.services import plan_import, plan_preview
from sanitation.core.history import history_of
from sanitation.documents.models import Circular, DocumentIssuer
from sanitation.documents.services import circular_create
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit, User

from ..factories import member

DISTRICT = Path(settings.SEEDS_DIR) / "district-center-2025-work-points.txt"
ALL_NUMBERS = [1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]


@pytest.fixture
def plan(db):
    organisations_demo.seed()
    plan = plan_import(plan_preview(DISTRICT.read_text(), issuer=Unit.objects.get(code="CD-HWZX")))
    # Deadlines from today, so statuses do not depend on the day the tests run.
    today = timezone.localdate()
    plan.items.update(deadline=today + timedelta(days=90))
    plan.items.filter(number=12).update(deadline=today - timedelta(days=1))  # overdue
    plan.items.filter(number=11).update(deadline=today + timedelta(days=5))  # due soon
    plan.items.filter(number=13).update(deadline=today + timedelta(days=30))
    return plan


@pytest.fixture
def section_staff(plan):
    """Staff of 环境卫生股, the lead unit of item 10."""
    return member(Unit.objects.get(code="CD-HWZX-HWG"), Role.UNIT_STAFF, username="hwg_staff")


def _client(user: User | None = None) -> APIClient:
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages in their English source
    if user is not None:
        client.force_login(user)
    return client


def _english(message) -> str:
    with translation.override("en"):
        return str(message)


def _numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def _item(plan: Plan, number: int) -> Item:
    return plan.items.get(number=number)


def _report(client, item, unit_code, **fields):
    data = {
        "item": item.pk,
        "unit": Unit.objects.get(code=unit_code).pk,
        "text": "按合同考核了项目公司。",
        "percent": 50,
    }
    return client.post("/api/v1/progress-reports/", {**data, **fields}, format="json")


# Plans ---------------------------------------------------------------------------------


def test_plan_list_gives_counts_and_detail_gives_chapters(plan, section_staff):
    client = _client(section_staff)
    _report(client, _item(plan, 10), "CD-HWZX-HWG", percent=100)

    rows = client.get("/api/v1/plans/").json()["results"]
    assert rows == [
        {
            "id": plan.pk,
            "title": "区环卫事务中心2025年工作要点",
            "year": 2025,
            "issuer": {"id": plan.issuer_id, "name": "城东区环卫事务中心"},
            "circular_number": None,
            "item_count": 12,
            "done_count": 1,
            "overdue_count": 1,  # item 12
        }
    ]
    detail = client.get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["item_count"] == 12
    assert detail["chapters"] == [
        {"number": 1, "title": "坚持不懈抓好理论武装", "category": "党建"},
        {"number": 2, "title": "持续提高环卫队伍素质", "category": "队伍建设"},
        {"number": 3, "title": "努力推动环卫服务质量提升", "category": "环境卫生服务"},
        {"number": 4, "title": "积极推动垃圾分类工作增效", "category": "垃圾分类"},
    ]


def test_plan_shows_its_circular_number_once_it_has_one(plan, section_staff):
    issuer = DocumentIssuer.objects.create(unit=plan.issuer, prefix="东环卫", mark="城东区环卫事务中心文件")
    circular = circular_create(issuer=issuer, title=f"关于印发《{plan.title}》的通知", body="现印发给你们。")
    Plan.objects.filter(pk=plan.pk).update(circular=circular)
    client = _client(section_staff)
    assert client.get(f"/api/v1/plans/{plan.pk}/").json()["circular_number"] is None  # a draft
    Circular.objects.filter(pk=circular.pk).update(number="东环卫〔2025〕3号")
    assert client.get("/api/v1/plans/").json()["results"][0]["circular_number"] == "东环卫〔2025〕3号"


def test_plan_filters_by_year_and_issuer(plan, section_staff):
    office = Unit.objects.get(code="CD-HWZX-BGS")
    older = Plan.objects.create(issuer=office, year=2024, title="办公室2024年工作要点")
    client = _client(section_staff)

    def titles(**params):
        response = client.get("/api/v1/plans/", params)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles() == [plan.title, older.title]
    assert titles(year=2024) == [older.title]
    assert titles(issuer=plan.issuer_id) == [plan.title]
    assert titles(issuer=office.pk, year=2025) == []


@pytest.mark.parametrize("params", [{"year": "2025年"}, {"issuer": "CD-HWZX"}, {"issuer": "99999999999999999999"}])
def test_bad_plan_filters_answer_400(plan, section_staff, params):
    response = _client(section_staff).get("/api/v1/plans/", params)
    assert response.status_code == 400 and list(response.json()) == list(params)


# Items ---------------------------------------------------------------------------------


def test_item_shows_units_sub_points_indicators_and_status(plan, section_staff):
    client = _client(section_staff)
    row = client.get(f"/api/v1/plan-items/{_item(plan, 10).pk}/").json()
    hwg = Unit.objects.get(code="CD-HWZX-HWG")
    stations = Unit.objects.filter(code__startswith="CD-HWZX-HWS").order_by("path")
    assert row["plan"] == plan.pk and row["chapter"] == {"number": 3, "title": "努力推动环卫服务质量提升"}
    assert row["label"] == "10." and row["number"] == 10 and row["title"] == "抓好城区保洁市场化项目监管考核工作"
    assert row["category"]["name"] == "环境卫生服务"
    assert row["lead_units"] == [{"id": hwg.pk, "name": "环境卫生股"}]
    assert row["assisting_units"] == [{"id": unit.pk, "name": unit.name} for unit in stations]
    assert row["lead_names"] == "环境卫生股" and row["assisting_names"] == "各环卫所"
    assert len(row["sub_points"]) == 3 and row["sub_points"][1].startswith("二是不断加强监管人员")
    assert row["indicators"] == []
    assert (row["percent"], row["status"], row["light"]) == (0, "not_started", "green")
    assert row["status_display"] == _english(api.selectors.ItemStatus.LABELS["not_started"])

    rate = client.get(f"/api/v1/plan-items/{_item(plan, 15).pk}/").json()
    deadline = (timezone.localdate() + timedelta(days=90)).isoformat()
    assert rate["indicators"] == [
        {"name": "厨余垃圾分出率", "target_value": "100.00", "unit": "%", "due_on": "2025-12-31", "actual_value": None}
    ]
    assert rate["deadline"] == deadline and rate["lead_units"] == []
    assert client.get(f"/api/v1/plan-items/{_item(plan, 11).pk}/").json()["light"] == "yellow"
    assert client.get(f"/api/v1/plan-items/{_item(plan, 12).pk}/").json()["light"] == "red"


def test_item_filters_by_plan_unit_and_category(plan, section_staff):
    client = _client(section_staff)
    other = Plan.objects.create(issuer=plan.issuer, year=2024, title="2024年工作要点")
    Item.objects.create(
        plan=other, chapter=other.chapters.create(number=1, title="党建"), number=1, title="旧", text="旧"
    )
    sorting = Unit.objects.get(code="CD-HWZX-FLZX")
    service = Category.objects.get(name="环境卫生服务")

    assert _numbers(client.get("/api/v1/plan-items/")) == [*ALL_NUMBERS, 1]
    assert _numbers(client.get("/api/v1/plan-items/", {"plan": plan.pk})) == ALL_NUMBERS
    assert _numbers(client.get("/api/v1/plan-items/", {"plan": other.pk})) == [1]
    # 分类中心 leads 6, 7 and 14 and assists 1, 2, 8 and 9.
    assert _numbers(client.get("/api/v1/plan-items/", {"plan": plan.pk, "unit": sorting.pk})) == [1, 2, 6, 7, 8, 9, 14]
    response = client.get("/api/v1/plan-items/", {"category": service.pk})
    assert _numbers(response) == [10, 11, 12, 13]
    assert [row["title"] for row in response.json()["results"]][:2] == [
        "抓好城区保洁市场化项目监管考核工作",
        "做好各项环境卫生迎检保障工作",
    ]


def test_category_filter_takes_in_sub_categories(plan, section_staff):
    sorting = Category.objects.get(name="垃圾分类")
    kitchen = Category.objects.create(name="厨余垃圾", parent=sorting)
    plan.items.filter(number=15).update(category=kitchen)
    client = _client(section_staff)
    assert _numbers(client.get("/api/v1/plan-items/", {"category": sorting.pk})) == [14, 15]
    assert _numbers(client.get("/api/v1/plan-items/", {"category": kitchen.pk})) == [15]


def test_item_status_filter_follows_reports(plan, section_staff):
    client = _client(section_staff)

    def numbers(status):
        return _numbers(client.get("/api/v1/plan-items/", {"status": status}))

    assert numbers("overdue") == [12]
    assert numbers("done") == [] and numbers("in_progress") == []
    assert _report(client, _item(plan, 10), "CD-HWZX-HWG", percent=100).status_code == 201
    assert _report(client, _item(plan, 11), "CD-HWZX-HWG", percent=40).status_code == 201
    assert numbers("done") == [10]
    assert numbers("in_progress") == [11]
    assert numbers("overdue") == [12]
    assert numbers("not_started") == [1, 2, 6, 7, 8, 9, 13, 14, 15]
    row = client.get(f"/api/v1/plan-items/{_item(plan, 10).pk}/").json()
    assert (row["percent"], row["status"], row["light"]) == (100, "done", "green")


def test_item_ordering(plan, section_staff):
    client = _client(section_staff)
    by_deadline = _numbers(client.get("/api/v1/plan-items/", {"ordering": "deadline"}))
    assert by_deadline == [12, 11, 13, 1, 2, 6, 7, 8, 9, 10, 14, 15]
    assert _numbers(client.get("/api/v1/plan-items/", {"ordering": "-deadline"}))[-3:] == [13, 11, 12]
    assert _numbers(client.get("/api/v1/plan-items/", {"ordering": "position"})) == ALL_NUMBERS


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"plan": "abc"}, "plan"),
        ({"unit": "CD-HWZX-HWG"}, "unit"),
        ({"category": "-3"}, "category"),
        ({"plan": "1e99"}, "plan"),
        ({"status": "finished"}, "status"),
        ({"ordering": "title"}, "ordering"),
    ],
)
def test_bad_item_filters_answer_400(plan, section_staff, params, field):
    response = _client(section_staff).get("/api/v1/plan-items/", params)
    assert response.status_code == 400 and list(response.json()) == [field]


def test_unknown_status_message_names_the_choices(plan, section_staff):
    response = _client(section_staff).get("/api/v1/plan-items/", {"status": "finished"})
    expected = _english(api.UNKNOWN_STATUS) % {
        "status": "finished",
        "choices": "not_started, in_progress, done, overdue",
    }
    assert response.json() == {"status": [expected]}


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_item_list_queries_do_not_grow_with_the_page(plan, section_staff):
    client = _client(section_staff)
    _report(client, _item(plan, 10), "CD-HWZX-HWG")
    assert len(client.get("/api/v1/plan-items/", {"page_size": 3}).json()["results"]) == 3
    assert _queries(client, "/api/v1/plan-items/", {"page_size": 3}) == _queries(
        client, "/api/v1/plan-items/", {"page_size": 12}
    )
    unit = Unit.objects.get(code="CD-HWZX-HWS1").pk  # a filter with distinct()
    assert _queries(client, "/api/v1/plan-items/", {"unit": unit, "page_size": 3}) == _queries(
        client, "/api/v1/plan-items/", {"unit": unit, "page_size": 12}
    )


def test_plan_and_report_list_queries_do_not_grow(plan, section_staff):
    client = _client(section_staff)
    one = _queries(client, "/api/v1/plans/", {})
    for year in (2022, 2023, 2024):
        Plan.objects.create(issuer=plan.issuer, year=year, title=f"{year}年工作要点")
    assert _queries(client, "/api/v1/plans/", {}) == one

    _report(client, _item(plan, 10), "CD-HWZX-HWG")
    one = _queries(client, "/api/v1/progress-reports/", {})
    for number in (6, 11, 12):
        _report(client, _item(plan, number), "CD-HWZX-HWG")
    assert len(client.get("/api/v1/progress-reports/").json()["results"]) == 4
    assert _queries(client, "/api/v1/progress-reports/", {}) == one


# Progress reports ----------------------------------------------------------------------


def test_lead_unit_staff_report_moves_the_item(plan, section_staff):
    client = _client(section_staff)
    item = _item(plan, 10)
    response = _report(client, item, "CD-HWZX-HWG", percent=60, month="2025-06-01")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["item"] == item.pk and body["unit"]["name"] == "环境卫生股"
    assert (body["month"], body["percent"], body["is_lead"]) == ("2025-06-01", 60, True)
    assert body["created_by"] == str(section_staff) and body["attachment_url"] is None
    item.refresh_from_db()
    assert item.percent == 60
    change = history_of(item).get(field="percent")
    assert (change.user, change.old, change.new) == (section_staff, "0", "60")

    # The same month again replaces the report.
    assert _report(client, item, "CD-HWZX-HWG", percent=80, month="2025-06").status_code == 201
    assert ProgressReport.objects.get(item=item).percent == 80
    item.refresh_from_db()
    assert item.percent == 80


def test_assisting_unit_report_does_not_move_the_item(plan):
    station = member(Unit.objects.get(code="CD-HWZX-HWS1"), Role.UNIT_STAFF, username="station")
    response = _report(_client(station), _item(plan, 10), "CD-HWZX-HWS1", percent=100)
    assert response.status_code == 201 and response.json()["is_lead"] is False
    assert _item(plan, 10).percent == 0


def test_report_for_another_unit_or_uninvolved_item_is_forbidden(plan, section_staff):
    client = _client(section_staff)
    station = _report(client, _item(plan, 10), "CD-HWZX-HWS1")  # assists item 10, not the user's unit
    assert station.status_code == 403 and station.json() == {"detail": _english(api.NOT_YOUR_UNIT)}
    uninvolved = _report(client, _item(plan, 15), "CD-HWZX-HWG")  # 环境卫生股 has no part in item 15
    assert uninvolved.status_code == 403
    assert not ProgressReport.objects.exists()
    assert not Item.objects.filter(percent__gt=0).exists()


def test_leader_reads_but_does_not_report(plan):
    leader = User.objects.get(username="leader")
    client = _client(leader)
    assert len(client.get("/api/v1/plan-items/").json()["results"]) == 12
    assert _report(client, _item(plan, 10), "CD-HWZX-HWG").status_code == 403
    assert not ProgressReport.objects.exists()


def test_report_refused_by_the_service_answers_400(plan, section_staff):
    client = _client(section_staff)
    too_much = _report(client, _item(plan, 10), "CD-HWZX-HWG", percent=150)
    assert too_much.status_code == 400 and too_much.json() == {"detail": "The percent done is between 0 and 100."}
    blank = _report(client, _item(plan, 10), "CD-HWZX-HWG", text="  ")
    assert blank.status_code == 400 and blank.json() == {"detail": "Say what was done."}
    assert _report(client, _item(plan, 10), "CD-HWZX-HWG", month="June").status_code == 400
    assert client.post("/api/v1/progress-reports/", {"item": "x"}, format="json").status_code == 400
    assert not ProgressReport.objects.exists()


def test_report_with_an_attachment(plan, section_staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = _client(section_staff)
    item = _item(plan, 10)
    data = {
        "item": item.pk,
        "unit": Unit.objects.get(code="CD-HWZX-HWG").pk,
        "text": "考核表见附件。",
        "percent": "30",
        "attachment": SimpleUploadedFile("考核表.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    }
    response = client.post("/api/v1/progress-reports/", data, format="multipart")
    assert response.status_code == 201, response.content
    report = ProgressReport.objects.get()
    assert response.json()["attachment_name"] == "考核表.pdf"
    assert response.json()["attachment_url"].endswith(f"/plans/reports/{report.pk}/attachment/")
    assert report.month == timezone.localdate().replace(day=1)

    data["attachment"] = SimpleUploadedFile("考核表.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post("/api/v1/progress-reports/", data, format="multipart")
    assert response.status_code == 400 and "(.pdf)" in response.json()["detail"]


def test_report_list_filters(plan, section_staff):
    client = _client(section_staff)
    item_10, item_11 = _item(plan, 10), _item(plan, 11)
    station = member(Unit.objects.get(code="CD-HWZX-HWS2"), Role.UNIT_STAFF, username="station2")
    _report(client, item_10, "CD-HWZX-HWG", month="2025-05-01", text="五月")
    _report(client, item_10, "CD-HWZX-HWG", month="2025-06-01", text="六月")
    _report(client, item_11, "CD-HWZX-HWG", month="2025-06-01", text="迎检六月")
    _report(_client(station), item_10, "CD-HWZX-HWS2", month="2025-06-01", text="二所六月")

    def texts(**params):
        response = client.get("/api/v1/progress-reports/", params)
        assert response.status_code == 200, response.content
        return sorted(row["text"] for row in response.json()["results"])

    assert texts() == sorted(["五月", "六月", "迎检六月", "二所六月"])
    assert texts(item=item_10.pk) == sorted(["五月", "六月", "二所六月"])
    assert texts(unit=Unit.objects.get(code="CD-HWZX-HWS2").pk) == ["二所六月"]
    assert texts(month="2025-06") == sorted(["六月", "迎检六月", "二所六月"])
    assert texts(item=item_10.pk, month="2025-05") == ["五月"]
    for params in ({"month": "2025-13"}, {"month": "June"}, {"item": "ten"}):
        assert client.get("/api/v1/progress-reports/", params).status_code == 400
    report = ProgressReport.objects.get(text="五月")
    assert client.get(f"/api/v1/progress-reports/{report.pk}/").json()["month"] == "2025-05-01"


def test_reports_cannot_be_changed_or_deleted(plan, section_staff):
    client = _client(section_staff)
    report_id = _report(client, _item(plan, 10), "CD-HWZX-HWG").json()["id"]
    url = f"/api/v1/progress-reports/{report_id}/"
    assert client.patch(url, {"percent": 100}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert ProgressReport.objects.get().percent == 50


# Other organisations and anonymous ------------------------------------------------------


def test_other_organisation_sees_nothing_and_cannot_report(plan, section_staff, clerk_a):
    reporter = _client(section_staff)
    report_id = _report(reporter, _item(plan, 10), "CD-HWZX-HWG").json()["id"]
    client = _client(clerk_a)
    for url in ("/api/v1/plans/", "/api/v1/plan-items/", "/api/v1/progress-reports/"):
        response = client.get(url)
        assert response.status_code == 200 and response.json()["results"] == []
    for url in (
        f"/api/v1/plans/{plan.pk}/",
        f"/api/v1/plan-items/{_item(plan, 10).pk}/",
        f"/api/v1/progress-reports/{report_id}/",
    ):
        assert client.get(url).status_code == 404
    own_unit = Unit.objects.get(code="A-FLB")
    response = client.post(
        "/api/v1/progress-reports/",
        {"item": _item(plan, 10).pk, "unit": own_unit.pk, "text": "x", "percent": 100},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {"item": [_english(api.NO_SUCH_ITEM)]}
    assert ProgressReport.objects.count() == 1 and _item(plan, 10).percent == 50


@pytest.mark.parametrize("url", ["/api/v1/plans/", "/api/v1/plan-items/", "/api/v1/progress-reports/"])
def test_anonymous_is_refused(plan, url):
    client = _client()
    assert client.get(url).status_code == 403
    assert client.post("/api/v1/progress-reports/", {}, format="json").status_code == 403
