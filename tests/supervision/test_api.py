"""/api/v1/inspections/, rectifications/, assessment-schemes/, problem-types/ and scores/: a clerk
records an inspection from the field, the street answers, the clerk closes or sends back; scoping,
validation, the ranking and query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from rest_framework.test import APIClient

from supervision import api, inspections, photos, rectifications
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import (
    AssessmentScheme,
    Inspection,
    InspectionKind,
    Photo,
    Rectification,
    RectificationEvent,
    RectificationState,
    SourceKind,
    StreetSourceScore,
)
from tests.factories import SiteFactory

from .conftest import scheme_build

ON = datetime.date(2026, 11, 18)  # a Wednesday; its week is 16–22 November
WEEK = ("2026-11-16", "2026-11-22")


def at(day: datetime.date = ON, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def png_upload(name="现场.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 40, 40)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def jpeg_file(name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 30)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def estate(sites):
    return sites[0]  # A第1街道花园, a managed estate of 花园物业 (all six criteria: 100 points)


@pytest.fixture
def criteria(scheme) -> dict:
    return {criterion.name: criterion for criterion in scheme.criteria.all()}


def record(site, clerk, problem_types, codes=(), day=ON, hour=10, when=None) -> Inspection:
    problems = [ProblemInput(problem_type=problem_types[code], note=f"{code}说明") for code in codes]
    return inspection_record(site=site, recorded_by=clerk, inspected_at=when or at(day, hour), problems=problems)


def just_now() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=5)


# The field story -------------------------------------------------------------------------------


def test_clerk_records_an_inspection_with_two_problems_and_a_staged_photo(
    clerk, scheme, estate, criteria, problem_types
):
    client = client_of(clerk)
    uploaded = client.post("/api/v1/inspections/photos/", {"photo": png_upload()}, format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    photo = uploaded.json()
    assert set(photo) == {"id", "url", "thumbnail_url", "width", "height"}
    assert photo["url"] == "http://testserver" + reverse("supervision:photo", kwargs={"pk": photo["id"]})
    assert photo["thumbnail_url"] == "http://testserver" + reverse(
        "supervision:photo-thumbnail", kwargs={"pk": photo["id"]}
    )
    assert (photo["width"], photo["height"]) == (80, 60)

    body = {
        "site": estate.pk,
        "kind": "unannounced",
        "inspected_at": at().isoformat(),
        "note": "晚间投放时段暗访",
        "latitude": "30.2741234567",  # a phone sends more decimals than are kept
        "longitude": 120.1551,
        "accuracy_m": 12.6,
        "scores": [{"criterion": criteria["宣传动员"].pk, "score": "12"}],
        "problems": [
            {"problem_type": problem_types["mixed-disposal"].pk, "note": "厨余桶内有塑料袋", "photos": [photo["id"]]},
            {"problem_type": problem_types["damaged-bins"].pk, "severity": "serious", "note": "桶盖破损"},
        ],
    }
    response = client.post("/api/v1/inspections/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["site"], data["street"]["name"], data["kind"]) == (
        {"id": estate.pk, "name": "A第1街道花园"},
        "A第1街道",
        "unannounced",
    )
    assert (data["latitude"], data["longitude"], data["location_accuracy_m"]) == ("30.274123", "120.155100", 13)
    assert (data["score"], data["max_score"], data["percent"], data["problem_count"]) == ("87.0", "100.0", "87.00", 2)
    assert data["inspectors"] == [{"id": clerk.pk, "name": "李督查"}]
    assert [(row["criterion_name"], row["score"], row["entered"]) for row in data["criterion_scores"]] == [
        ("宣传动员", "12.0", True),
        ("设施投放", "15.0", False),
        ("标识指引", "15.0", False),
        ("台账建立", "15.0", False),
        ("示范创建", "10.0", False),
        ("分类效果", "20.0", False),
    ]
    first, second = data["problems"]
    assert (first["problem_type_name"], first["severity"], first["criterion_name"], first["deduction"]) == (
        "混投",
        "general",
        "分类效果",
        "5.0",
    )
    assert [p["url"] for p in first["photos"]] == [photo["url"]]
    assert second["photos"] == [] and second["severity"] == "serious"
    assert first["rectification"]["state"] == second["rectification"]["state"] == "pending"
    assert (first["rectification"]["deadline"], second["rectification"]["deadline"]) == ("2026-11-25", "2026-11-21")
    assert Photo.objects.get(pk=photo["id"]).problem_id == first["id"]

    # The same inspection, read back.
    again = client.get(f"/api/v1/inspections/{data['id']}/").json()
    assert again == data


def test_street_answers_and_the_clerk_closes_one_and_sends_one_back(
    clerk, street_user, scheme, estate, problem_types, english
):
    inspection = record(estate, clerk, problem_types, codes=["mixed-disposal", "overflowing"], when=just_now())
    street = client_of(street_user)
    listed = results(street.get("/api/v1/rectifications/"))
    assert [(row["problem"]["problem_type_name"], row["state"], row["unit"]["name"]) for row in listed] == [
        ("混投", "pending", "A第1街道"),
        ("满溢", "pending", "A第1街道"),
    ]
    first, second = (row["id"] for row in listed)
    assert listed[0]["problem"]["inspection"] == inspection.pk
    assert [event["action"] for event in listed[0]["events"]] == ["open"]

    photo = street.post("/api/v1/rectifications/photos/", {"photo": png_upload("整改后.png")}, format="multipart")
    assert photo.status_code == 201
    answered = street.post(
        f"/api/v1/rectifications/{first}/answer/",
        {"text": "已重新分拣", "photos": [photo.json()["id"]], "version": 1},
        format="json",
    )
    assert answered.status_code == 200, answered.content
    assert (answered.json()["state"], answered.json()["version"]) == ("awaiting_review", 2)
    assert street.post(f"/api/v1/rectifications/{second}/start/", {}, format="json").json()["state"] == "in_progress"
    assert street.post(f"/api/v1/rectifications/{second}/answer/", {"text": "已清运"}).json()["state"] == (
        "awaiting_review"
    )
    # An answer without text is refused in the service's words.
    refused = street.post(f"/api/v1/rectifications/{second}/answer/", {"text": " "}, format="json")
    assert refused.status_code == 400

    office = client_of(clerk)
    closed = office.post(f"/api/v1/rectifications/{first}/close/", {"text": "复查合格"}, format="json")
    assert closed.status_code == 200, closed.content
    data = closed.json()
    assert data["state"] == "closed" and data["closed_at"] is not None
    history = [(e["action"], e["from_state"], e["to_state"], e["text"], e["actor"]["name"]) for e in data["events"]]
    assert history == [
        ("open", "", "pending", "mixed-disposal说明", "李督查"),
        ("answer", "pending", "awaiting_review", "已重新分拣", "周干事"),
        ("close", "awaiting_review", "closed", "复查合格", "李督查"),
    ]
    assert len(data["events"][1]["photos"]) == 1
    assert data["events"][1]["photos"][0]["id"] == photo.json()["id"]

    deadline = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    sent_back = office.post(
        f"/api/v1/rectifications/{second}/send_back/", {"text": "仍有满溢", "deadline": deadline}, format="json"
    )
    assert sent_back.status_code == 200, sent_back.content
    assert (sent_back.json()["state"], sent_back.json()["deadline"]) == ("in_progress", deadline)
    # Closing it now is not a transition the workflow allows: 400 with the service's message.
    again = office.post(f"/api/v1/rectifications/{second}/close/", {}, format="json")
    assert again.status_code == 400
    # The response speaks the request's language (Chinese by default), whatever the test activated.
    with translation.override("zh-hans"):
        refused = str(rectifications.TRANSITION_NOT_ALLOWED) % {"state": RectificationState.IN_PROGRESS.label}
    assert again.json()["detail"] == refused
    # A form posted against an older version is a conflict, not an overwrite.
    stale = street.post(f"/api/v1/rectifications/{second}/answer/", {"text": "再改", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["detail"] == str(rectifications.STALE)

    # The inspection shows each problem's rectification as it is now.
    shown = office.get(f"/api/v1/inspections/{inspection.pk}/").json()
    assert [problem["rectification"]["state"] for problem in shown["problems"]] == ["closed", "in_progress"]


def test_unit_may_not_review_and_leader_may_not_answer(
    clerk, street_user, leader, scheme, estate, problem_types, english
):
    record(estate, clerk, problem_types, codes=["mixed-disposal"])
    rectification = Rectification.objects.get()
    rectifications.rectification_answer(rectification=rectification, by=street_user, text="已改")
    closing = client_of(street_user).post(f"/api/v1/rectifications/{rectification.pk}/close/", {}, format="json")
    assert closing.status_code == 403
    assert closing.json()["detail"] == str(api.NOT_YOURS_TO_REVIEW)
    leader_client = client_of(leader)
    assert len(results(leader_client.get("/api/v1/rectifications/"))) == 1  # leaders read …
    answer = leader_client.post(f"/api/v1/rectifications/{rectification.pk}/answer/", {"text": "x"}, format="json")
    assert answer.status_code == 403  # … and do not act
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (RectificationState.AWAITING_REVIEW, 2)
    assert rectification.events.count() == 2


# Scoping ---------------------------------------------------------------------------------------


def test_another_districts_clerk_sees_nothing(clerk, outsider, scheme, estate, problem_types):
    inspection = record(estate, clerk, problem_types, codes=["mixed-disposal"])
    rectification = Rectification.objects.get()
    client = client_of(outsider)
    assert client.get("/api/v1/inspections/").json()["count"] == 0
    assert client.get(f"/api/v1/inspections/{inspection.pk}/").status_code == 404
    assert client.get("/api/v1/rectifications/").json()["count"] == 0
    assert client.get(f"/api/v1/rectifications/{rectification.pk}/").status_code == 404
    for name in ("start", "answer", "close", "send_back"):
        response = client.post(f"/api/v1/rectifications/{rectification.pk}/{name}/", {"text": "x"}, format="json")
        assert response.status_code == 404, name
    assert client.get("/api/v1/assessment-schemes/").json()["count"] == 0
    assert client.get(f"/api/v1/assessment-schemes/{scheme.pk}/").status_code == 404
    assert client.get("/api/v1/scores/", {"district": scheme.district_id}).status_code == 404
    # Nor may it record an inspection of the district's site: reported as no such site.
    response = client.post("/api/v1/inspections/", {"site": estate.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"site": [str(api.NO_SUCH_SITE)]}
    assert Inspection.objects.count() == 1
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.PENDING
    assert APIClient().get("/api/v1/inspections/").status_code == 403


def test_a_street_sees_only_what_is_addressed_to_it(
    clerk, street_user, other_street_user, scheme, sites, problem_types
):
    ours, theirs = sites[0], sites[3]  # A第1街道花园, A第2街道花园
    record(ours, clerk, problem_types, codes=["mixed-disposal"])
    record(theirs, clerk, problem_types, codes=["overflowing"], hour=11)
    mine = results(client_of(street_user).get("/api/v1/rectifications/"))
    assert [row["site"]["name"] for row in mine] == ["A第1街道花园"]
    assert [row["site"]["name"] for row in results(client_of(street_user).get("/api/v1/inspections/"))] == [
        "A第1街道花园"
    ]
    other = client_of(other_street_user)
    assert [row["site"]["name"] for row in results(other.get("/api/v1/rectifications/"))] == ["A第2街道花园"]
    response = other.post(f"/api/v1/rectifications/{mine[0]['id']}/answer/", {"text": "不是我们的"}, format="json")
    assert response.status_code == 404
    assert Rectification.objects.get(pk=mine[0]["id"]).state == RectificationState.PENDING


def test_a_street_with_nothing_addressed_to_it_sees_nothing(clerk, other_street_user, scheme, estate, problem_types):
    record(estate, clerk, problem_types, codes=["mixed-disposal", "overflowing"])
    client = client_of(other_street_user)
    assert client.get("/api/v1/rectifications/").json()["count"] == 0
    assert client.get("/api/v1/inspections/").json()["count"] == 0


def test_only_clerks_record_inspections(street_user, leader, scheme, estate, problem_types):
    for user in (street_user, leader):
        response = client_of(user).post("/api/v1/inspections/", {"site": estate.pk}, format="json")
        assert response.status_code == 403
        assert response.json()["detail"] == str(api.NOT_AN_INSPECTOR)
    assert client_of(leader).post("/api/v1/inspections/photos/", {"photo": png_upload()}).status_code == 403
    assert not Inspection.objects.exists() and not Photo.objects.exists()


# Refusals --------------------------------------------------------------------------------------


def test_a_text_file_posted_as_a_photo_is_refused_with_the_message(clerk, scheme):
    client = client_of(clerk)
    fake = SimpleUploadedFile("现场.jpg", b"this is not a photo at all", content_type="image/jpeg")
    response = client.post("/api/v1/inspections/photos/", {"photo": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": str(photos.NOT_AN_IMAGE)}
    missing = client.post("/api/v1/inspections/photos/", {}, format="multipart")
    assert missing.status_code == 400
    assert missing.json() == {"photo": [str(api.NO_PHOTO)]}
    assert not Photo.objects.exists()


def test_inspection_input_is_checked_and_nothing_is_saved(
    clerk, second_clerk, scheme, estate, criteria, problem_types, english
):
    client = client_of(clerk)
    theirs = client_of(second_clerk).post("/api/v1/inspections/photos/", {"photo": jpeg_file("b.jpg")}).json()
    mine = client.post("/api/v1/inspections/photos/", {"photo": jpeg_file("a.jpg")}).json()
    mixed = problem_types["mixed-disposal"].pk

    def post(**changes):
        return client.post("/api/v1/inspections/", {"site": estate.pk, **changes}, format="json")

    too_high = post(scores=[{"criterion": criteria["示范创建"].pk, "score": "11"}])
    assert too_high.status_code == 400
    assert too_high.json()["detail"] == str(inspections.SCORE_OUT_OF_RANGE) % {"name": "示范创建", "points": "10"}
    assert post(scores=[{"criterion": criteria["示范创建"].pk, "score": "abc"}]).status_code == 400
    twice = post(scores=[{"criterion": criteria["示范创建"].pk, "score": 1}] * 2)
    assert twice.json() == {"scores": [str(api.REPEATED_CRITERION)]}
    other = post(problems=[{"problem_type": mixed, "photos": [theirs["id"]]}])
    assert (other.status_code, other.json()) == (400, {"detail": str(photos.NOT_STAGED)})
    doubled = post(problems=[{"problem_type": mixed, "photos": [mine["id"]]}] * 2)
    assert doubled.json() == {"problems": [str(api.REPEATED_PHOTO)]}
    assert post(problems=[{"problem_type": 999999}]).status_code == 400
    assert post(problems=[{"problem_type": mixed, "severity": "fatal"}]).status_code == 400
    assert post(kind="picnic").status_code == 400
    assert post(latitude=91).status_code == 400
    future = post(inspected_at=(timezone.now() + datetime.timedelta(hours=2)).isoformat())
    assert future.json() == {"detail": str(inspections.IN_THE_FUTURE)}
    assert client.post("/api/v1/inspections/", {"site": "somewhere"}, format="json").status_code == 400
    assert client.post("/api/v1/inspections/", {"site": 10**30}, format="json").status_code == 400
    assert not Inspection.objects.exists()
    assert Photo.objects.filter(problem__isnull=False).count() == 0


def test_no_scheme_in_force_is_a_clear_400(clerk, estate, english):
    response = client_of(clerk).post("/api/v1/inspections/", {"site": estate.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(str(inspections.NO_SCHEME_IN_FORCE).split("%")[0])


def test_bad_filters_answer_400(clerk, scheme):
    client = client_of(clerk)
    bad = [
        ("/api/v1/inspections/", {"kind": "castle"}),
        ("/api/v1/inspections/", {"street": "one"}),
        ("/api/v1/inspections/", {"site": 0}),
        ("/api/v1/inspections/", {"date_from": "2026-13-01"}),
        ("/api/v1/inspections/", {"date_from": "2026-11-20", "date_to": "2026-11-01"}),
        ("/api/v1/rectifications/", {"state": "lost"}),
        ("/api/v1/rectifications/", {"open": "maybe"}),
        ("/api/v1/rectifications/", {"overdue": "later"}),
        ("/api/v1/rectifications/", {"unit": "x"}),
        ("/api/v1/assessment-schemes/", {"year": "next"}),
        ("/api/v1/assessment-schemes/", {"status": "dreaming"}),
        ("/api/v1/scores/", {"period": "decade"}),
        ("/api/v1/scores/", {"date": "yesterday"}),
        ("/api/v1/scores/", {"start": "2026-11-01"}),
        ("/api/v1/scores/", {"start": "2026-11-30", "end": "2026-11-01"}),
        ("/api/v1/scores/", {"start": "2026-11-01", "end": "2026-11-30", "period": "week"}),
        ("/api/v1/scores/", {"district": "CD"}),
    ]
    for url, params in bad:
        assert client.get(url, params).status_code == 400, (url, params)
    dates = client.get("/api/v1/inspections/", {"date_from": "2026-11-20", "date_to": "2026-11-01"}).json()
    assert dates == {"date_to": [str(api.DATE_FROM_AFTER_TO)]}
    assert client.get("/api/v1/scores/", {"district": 10**9}).status_code == 404


# Filters ---------------------------------------------------------------------------------------


def test_inspection_filters(clerk, scheme, sites, problem_types):
    estate, school, other_estate = sites[0], sites[1], sites[3]
    record(estate, clerk, problem_types, day=datetime.date(2026, 11, 16))
    record(school, clerk, problem_types, day=datetime.date(2026, 11, 17))
    inspection_record(
        site=other_estate, recorded_by=clerk, inspected_at=at(datetime.date(2026, 11, 18)), kind=InspectionKind.SPECIAL
    )
    client = client_of(clerk)

    def names(**params):
        return [row["site"]["name"] for row in results(client.get("/api/v1/inspections/", params))]

    assert names() == ["A第2街道花园", "A第1街道小学", "A第1街道花园"]  # newest first
    assert names(street=estate.street_id) == ["A第1街道小学", "A第1街道花园"]
    assert names(site=school.pk) == ["A第1街道小学"]
    assert names(kind="special") == ["A第2街道花园"]
    assert names(date_from="2026-11-17") == ["A第2街道花园", "A第1街道小学"]
    assert names(date_from="2026-11-17", date_to="2026-11-17") == ["A第1街道小学"]
    assert names(date_to="2026-11-16") == ["A第1街道花园"]


def test_rectification_filters(clerk, street_user, scheme, sites, problem_types, streets):
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=20)
    record(sites[0], clerk, problem_types, codes=["mixed-loading"], day=long_ago)  # serious: 3 days, late
    record(sites[1], clerk, problem_types, codes=["missing-signs"], day=today, hour=0)  # minor: 15 days
    record(sites[3], clerk, problem_types, codes=["overflowing"], day=today, hour=0)  # A第2街道, general: 7
    late, overflow, signs = Rectification.objects.order_by("deadline", "id")
    assert [r.problem.problem_type.code for r in (late, overflow, signs)] == [
        "mixed-loading",
        "overflowing",
        "missing-signs",
    ]
    assert late.deadline == long_ago + datetime.timedelta(days=3)
    rectifications.rectification_answer(rectification=signs, by=street_user, text="已重新张贴")
    rectifications.rectification_close(rectification=signs, by=clerk)
    client = client_of(clerk)

    def ids(**params):
        return [row["id"] for row in results(client.get("/api/v1/rectifications/", params))]

    assert ids() == [late.pk, overflow.pk, signs.pk]  # due dates first
    assert ids(open="true") == [late.pk, overflow.pk]
    assert ids(open="false") == [signs.pk]
    assert ids(state="closed") == [signs.pk]
    # Late already, though the nightly run has not marked it 逾期 yet.
    assert ids(overdue="true") == [late.pk]
    assert ids(overdue="false") == [overflow.pk, signs.pk]
    assert ids(unit=streets[1].pk) == ids(street=streets[1].pk) == [overflow.pk]
    rectifications.rectifications_mark_overdue(today=today)
    assert ids(state="overdue") == ids(overdue="true") == [late.pk]


def test_schemes_with_sources_criteria_and_rules(clerk, street_user, scheme, district, problem_types):
    draft = scheme_build(district, version=2, status="draft", in_force_from=None)
    client = client_of(clerk)
    listed = results(client.get("/api/v1/assessment-schemes/"))
    assert [(row["version"], row["status"]) for row in listed] == [(2, "draft"), (1, "in_force")]
    assert [row["id"] for row in results(client.get("/api/v1/assessment-schemes/", {"status": "in_force"}))] == [
        scheme.pk
    ]
    assert results(client.get("/api/v1/assessment-schemes/", {"year": 2025})) == []
    assert len(results(client.get("/api/v1/assessment-schemes/", {"year": 2026}))) == 2
    data = client.get(f"/api/v1/assessment-schemes/{scheme.pk}/").json()
    assert (data["title"], data["district"]["name"], data["in_force_from"]) == (
        "A区2026年生活垃圾分类工作考核办法",
        "A区",
        "2026-01-01",
    )
    assert [(s["kind"], s["name"], s["weight"]) for s in data["sources"]] == [
        ("inspection", "日常督查", "60.00"),
        ("third_party", "第三方测评", "30.00"),
        ("public_opinion", "群众评议", "10.00"),
    ]
    assert [(c["name"], c["points"]) for c in data["criteria"]] == [
        ("宣传动员", "15.0"),
        ("设施投放", "20.0"),
        ("标识指引", "15.0"),
        ("台账建立", "15.0"),
        ("示范创建", "10.0"),
        ("分类效果", "25.0"),
    ]
    assert data["criteria"][4]["site_kinds"] == ["managed_estate", "open_estate", "office_building"]
    rules = {(r["problem_type"]["code"], r["criterion_name"], r["points"]) for r in data["deduction_rules"]}
    assert ("mixed-loading", "分类效果", "10.0") in rules and len(rules) == 7
    # Streets read the rules they are scored by.
    assert client_of(street_user).get(f"/api/v1/assessment-schemes/{draft.pk}/").status_code == 200
    types = client.get("/api/v1/problem-types/").json()
    assert [t["name"] for t in types][:3] == ["混投", "混装", "混运"] and len(types) == 12


# Scores ----------------------------------------------------------------------------------------


def test_scores_rank_the_streets_of_the_week_with_their_numbers(clerk, street_user, scheme, sites, problem_types):
    first, second, third = sites[0], sites[3], sites[6]  # the estates of A第1/2/3街道
    record(first, clerk, problem_types)
    record(second, clerk, problem_types, codes=["mixed-disposal"])
    record(third, clerk, problem_types, codes=["mixed-loading", "damaged-bins", "missing-signs"])
    record(third, clerk, problem_types, day=ON + datetime.timedelta(days=7))  # next week: does not count
    third_party = scheme.sources.get(kind=SourceKind.THIRD_PARTY)
    StreetSourceScore.objects.create(
        source=third_party,
        street=third.street,
        period_start=ON.replace(day=16),
        period_end=ON.replace(day=22),
        score=90,
    )
    client = client_of(clerk)
    data = client.get("/api/v1/scores/", {"period": "week", "date": ON.isoformat()}).json()
    assert (data["district"]["name"], data["period"], data["start"], data["end"]) == ("A区", "week", *WEEK)
    assert data["scheme"] == {"id": scheme.pk, "title": "A区2026年生活垃圾分类工作考核办法"}
    rows = [
        (r["street_name"], r["inspections"], r["sites_inspected"], r["inspection_score"], r["total"], r["rank"])
        for r in data["results"]
    ]
    assert rows == [
        ("A第1街道", 1, 1, "100.00", "100.00", 1),
        ("A第2街道", 1, 1, "95.00", "95.00", 2),
        ("A第3街道", 1, 1, "80.00", "83.33", 3),  # (60 × 80 + 30 × 90) ÷ 90
    ]
    assert [r["listing"] for r in data["results"]] == ["red", "red", "black"]
    assert [(s["name"], s["weight"], s["score"]) for s in data["results"][2]["sources"]] == [
        ("日常督查", "60.00", "80.00"),
        ("第三方测评", "30.00", "90.00"),
        ("群众评议", "10.00", None),
    ]
    # The same by dates, and the street sees its district's ranking too (its district by default).
    by_dates = client_of(street_user).get("/api/v1/scores/", {"start": WEEK[0], "end": WEEK[1]}).json()
    assert by_dates["period"] is None and by_dates["results"] == data["results"]
    month = client.get("/api/v1/scores/", {"period": "month", "date": ON.isoformat()}).json()
    assert (month["start"], month["end"]) == ("2026-11-01", "2026-11-30")
    assert [r["inspections"] for r in month["results"]] == [1, 1, 2]


def test_scores_default_to_this_week_of_the_users_district(clerk, scheme, sites):
    data = client_of(clerk).get("/api/v1/scores/").json()
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    assert (data["district"]["id"], data["start"]) == (scheme.district_id, monday.isoformat())
    assert [(r["street_name"], r["total"], r["rank"]) for r in data["results"]] == [
        ("A第1街道", None, None),
        ("A第2街道", None, None),
        ("A第3街道", None, None),
    ]


# Query counts ----------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def _field_day(clerk, street_user, sites, problem_types, day: datetime.date) -> None:
    """Each site inspected with two problems and a photo; each first rectification answered with a photo."""
    for hour, site in enumerate(sites):
        photo = photos.photo_accept(upload=jpeg_file(f"{site.pk}.jpg"), by=clerk)
        inspection_record(
            site=site,
            recorded_by=clerk,
            inspected_at=at(day, 8 + hour),
            problems=[
                ProblemInput(problem_type=problem_types["mixed-disposal"], photos=[photo]),
                ProblemInput(problem_type=problem_types["overflowing"]),
            ],
        )
    for rectification in Rectification.objects.filter(problem__inspection__inspected_at__date=day)[::2]:
        photo = photos.photo_accept(upload=jpeg_file("answer.jpg"), by=street_user)
        rectifications.rectification_answer(rectification=rectification, by=street_user, text="已改", photos=[photo])


def test_list_queries_do_not_grow(clerk, street_user, scheme, district, streets, sites, problem_types):
    ours = [site for site in sites if site.street_id == streets[0].pk]
    _field_day(clerk, street_user, ours[:1], problem_types, ON)
    client = client_of(clerk)
    first = Inspection.objects.get()
    urls = [
        "/api/v1/inspections/",
        f"/api/v1/inspections/{first.pk}/",
        "/api/v1/rectifications/",
        "/api/v1/rectifications/?open=true&overdue=false",
        f"/api/v1/rectifications/{Rectification.objects.first().pk}/",
        "/api/v1/assessment-schemes/",
        "/api/v1/problem-types/",
        f"/api/v1/scores/?period=week&date={ON}",
    ]
    client.get(urls[0])  # the user's memberships are then cached on the forced user, as in every later request
    small = [_count(client, url) for url in urls]

    more = [*ours, *(SiteFactory(street=streets[0], name=f"新小区{n}") for n in range(4))]
    _field_day(clerk, street_user, more, problem_types, ON + datetime.timedelta(days=1))
    for version in (2, 3):
        scheme_build(district, version=version, status="draft", in_force_from=None)
    assert Inspection.objects.count() == 1 + len(more)
    assert RectificationEvent.objects.filter(photos__isnull=False).count() >= 4
    assert AssessmentScheme.objects.count() == 3
    assert [_count(client, url) for url in urls] == small
    assert Decimal(first.percent) == Decimal("92.00")
