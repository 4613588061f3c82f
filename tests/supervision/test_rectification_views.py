"""Rectification pages: a unit's open list, a rectification's page with its history, and the
forms that move it (start, answer with photos, close, send back); scoping, stale forms and
query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from supervision import photos, rectifications
from supervision.models import (
    Inspection,
    Photo,
    Problem,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
)

State = RectificationState
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _english(english, client, settings, tmp_path):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.MEDIA_ROOT = tmp_path


def _jpeg(name: str = "after.jpg", size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 160, 60)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _rectification(site, problem_type, *, by, scheme, deadline, state=State.PENDING, note="") -> Rectification:
    inspection = Inspection.objects.create(
        site=site,
        street=site.street,
        scheme=scheme,
        inspected_at=timezone.now() - datetime.timedelta(days=1),
        recorded_by=by,
        percent=Decimal(80),
        score=Decimal(80),
        max_score=100,
        problem_count=1,
    )
    problem = Problem.objects.create(
        inspection=inspection, problem_type=problem_type, severity=problem_type.severity, note=note
    )
    rectification = rectifications.rectification_open(problem=problem)
    Rectification.objects.filter(pk=rectification.pk).update(state=state, deadline=deadline)
    rectification.refresh_from_db()
    return rectification


@pytest.fixture
def make(scheme, clerk, problem_types):
    def make(site, *, days: int, state=State.PENDING, code="mixed-disposal", note=""):
        return _rectification(
            site,
            problem_types[code],
            by=clerk,
            scheme=scheme,
            deadline=TODAY + datetime.timedelta(days=days),
            state=state,
            note=note,
        )

    return make


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _shows(message, page: str) -> bool:
    return escape(str(message)) in page


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return [rectification.pk for rectification in response.context["page"]]


LIST = reverse("supervision:rectification-list")


def _detail(rectification) -> str:
    return reverse("supervision:rectification-detail", args=[rectification.pk])


def _act(rectification, action: str) -> str:
    return reverse("supervision:rectification-act", args=[rectification.pk, action])


# The list ----------------------------------------------------------------------------------------


def test_street_sees_its_open_rectifications_due_first(client, make, sites, street_user, clerk):
    jd1_estate, jd1_school, jd1_restaurant, jd2_estate = sites[0], sites[1], sites[2], sites[3]
    later = make(jd1_estate, days=5)
    overdue = make(jd1_school, days=-2, state=State.OVERDUE)
    soon = make(jd1_restaurant, days=1, state=State.AWAITING_REVIEW)
    closed = make(jd1_estate, days=-10, state=State.CLOSED)
    other_street = make(jd2_estate, days=0)

    client.force_login(street_user)
    response = client.get(LIST)
    assert _listed(response) == [overdue.pk, soon.pk, later.pk]
    page = _page(response)
    # The overdue one is highlighted, the others are not.
    assert f'class="rectification-row late" data-id="{overdue.pk}"' in page
    assert f'class="rectification-row" data-id="{later.pk}"' in page
    assert jd2_estate.name not in page
    assert "3 rectifications" in page
    assert _listed(client.get(LIST, {"state": "closed"})) == [closed.pk]
    assert _listed(client.get(LIST, {"state": "all"})) == [closed.pk, overdue.pk, soon.pk, later.pk]
    assert _listed(client.get(LIST, {"state": "awaiting_review"})) == [soon.pk]

    client.force_login(clerk)
    assert _listed(client.get(LIST)) == [overdue.pk, other_street.pk, soon.pk, later.pk]
    assert _listed(client.get(LIST, {"street": jd2_estate.street_id})) == [other_street.pk]


def test_a_street_not_yet_marked_overdue_is_still_highlighted(client, make, sites, street_user):
    late = make(sites[0], days=-1, state=State.IN_PROGRESS)
    client.force_login(street_user)
    assert f'class="rectification-row late" data-id="{late.pk}"' in _page(client.get(LIST))
    assert 'class="late"' in _page(client.get(_detail(late)))


def test_another_district_sees_nothing(client, make, sites, outsider):
    rectification = make(sites[0], days=3, state=State.AWAITING_REVIEW)
    client.force_login(outsider)
    assert _listed(client.get(LIST)) == []
    assert client.get(_detail(rectification)).status_code == 404
    response = client.post(_act(rectification, "close"), {"close-version": rectification.version})
    assert response.status_code == 404
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW


def test_anonymous_is_sent_to_log_in(client, make, sites):
    rectification = make(sites[0], days=3)
    assert client.get(LIST).status_code == 302
    assert client.post(_act(rectification, "answer"), {"answer-text": "x"}).status_code == 302


def _query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows(client, make, sites, clerk):
    client.force_login(clerk)
    for site in sites[:2]:
        make(site, days=1)
    small = _query_count(client, LIST)
    for site in sites * 3:
        make(site, days=2, code="overflowing")
    assert Rectification.objects.count() == 2 + 27
    assert _query_count(client, LIST) == small


# One rectification -------------------------------------------------------------------------------


def test_detail_shows_problem_site_history_and_the_units_forms(client, make, sites, street_user, clerk):
    rectification = make(sites[0], days=3, note="垃圾桶旁散落垃圾")
    client.force_login(street_user)
    page = _page(client.get(_detail(rectification)))
    assert "混投" in page and "垃圾桶旁散落垃圾" in page and sites[0].name in page and "花园物业" in page
    assert rectification.deadline.isoformat() in page
    assert 'id="start-form"' in page and 'id="answer-form"' in page
    assert 'id="close-form"' not in page and 'id="send_back-form"' not in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page and "multiple" in page
    assert str(RectificationAction.OPEN.label) in page and clerk.display_name in page

    client.force_login(clerk)
    page = _page(client.get(_detail(rectification)))
    # Nothing awaits re-inspection yet: the clerk has no form.
    assert 'id="close-form"' not in page and 'id="answer-form"' not in page


def test_street_answers_with_text_and_a_photo(client, make, sites, street_user):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    response = client.post(
        _act(rectification, "answer"),
        {"answer-version": rectification.version, "answer-text": "已清理并张贴分类指引", "answer-photos": [_jpeg()]},
    )
    assert response.status_code == 302 and response.url == _detail(rectification)
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW and rectification.version == 2
    event = rectification.events.get(action=RectificationAction.ANSWER)
    assert (event.actor, event.text, event.from_state, event.to_state) == (
        street_user,
        "已清理并张贴分类指引",
        State.PENDING,
        State.AWAITING_REVIEW,
    )
    photo = event.photos.get()
    assert photo.uploaded_by == street_user and photo.original_name == "after.jpg"

    page = _page(client.get(_detail(rectification)))
    assert "已清理并张贴分类指引" in page
    assert reverse("supervision:photo-thumbnail", args=[photo.pk]) in page
    assert reverse("supervision:photo", args=[photo.pk]) in page
    assert 'id="answer-form"' not in page  # awaiting re-inspection: the unit waits


def test_a_refused_photo_keeps_the_text_and_the_good_photo(client, make, sites, street_user):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    fake = SimpleUploadedFile("note.jpg", b"this is not a photo", content_type="image/jpeg")
    response = client.post(
        _act(rectification, "answer"),
        {
            "answer-version": rectification.version,
            "answer-text": "桶已更换",
            "answer-photos": [_jpeg("good.jpg"), fake],
        },
    )
    page = _page(response)
    assert _shows(photos.NOT_AN_IMAGE, page) and "note.jpg" in page
    assert "桶已更换" in page  # what was typed is still there
    rectification.refresh_from_db()
    assert rectification.state == State.PENDING and rectification.version == 1
    assert not rectification.events.filter(action=RectificationAction.ANSWER).exists()
    # The good photo is kept, staged, and sent with the next try without being taken again.
    good = Photo.objects.get(original_name="good.jpg", event__isnull=True)
    assert f'name="answer-staged" value="{good.pk}"' in page
    assert reverse("supervision:photo-thumbnail", args=[good.pk]) in page

    response = client.post(
        _act(rectification, "answer"),
        {"answer-version": 1, "answer-text": "桶已更换", "answer-staged": str(good.pk)},
    )
    assert response.status_code == 302
    event = rectification.events.get(action=RectificationAction.ANSWER)
    assert list(event.photos.all()) == [good]


def test_answer_needs_text_and_keeps_the_photo_meanwhile(client, make, sites, street_user):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    data = {"answer-version": 1, "answer-text": "  ", "answer-photos": [_jpeg("kept.jpg")]}
    page = _page(client.post(_act(rectification, "answer"), data))
    assert 'id="answer-form"' in page and "errorlist" in page
    rectification.refresh_from_db()
    assert rectification.state == State.PENDING
    kept = Photo.objects.get(original_name="kept.jpg", event__isnull=True)
    assert f'name="answer-staged" value="{kept.pk}"' in page


def test_street_starts_then_answers(client, make, sites, street_user):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    assert (
        client.post(_act(rectification, "start"), {"start-version": 1, "start-text": "已安排物业"}).status_code == 302
    )
    rectification.refresh_from_db()
    assert rectification.state == State.IN_PROGRESS
    page = _page(client.get(_detail(rectification)))
    assert 'id="start-form"' not in page and 'id="answer-form"' in page and "已安排物业" in page
    assert f'name="answer-version" value="{rectification.version}"' in page


def test_clerk_closes_one_and_sends_one_back(client, make, sites, clerk, street_user):
    first = make(sites[0], days=3, state=State.AWAITING_REVIEW)
    second = make(sites[1], days=3, state=State.AWAITING_REVIEW, code="damaged-bins")
    client.force_login(clerk)
    page = _page(client.get(_detail(first)))
    assert 'id="close-form"' in page and 'id="send_back-form"' in page and 'id="answer-form"' not in page

    response = client.post(
        _act(first, "close"), {"close-version": 1, "close-text": "复查合格", "close-photos": [_jpeg("check.jpg")]}
    )
    assert response.status_code == 302
    new_deadline = TODAY + datetime.timedelta(days=7)
    response = client.post(
        _act(second, "send_back"),
        {"send_back-version": 1, "send_back-text": "桶仍破损", "send_back-deadline": new_deadline.isoformat()},
    )
    assert response.status_code == 302

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == State.CLOSED and first.closed_at is not None
    assert second.state == State.IN_PROGRESS and second.deadline == new_deadline and second.closed_at is None
    close = first.events.get(action=RectificationAction.CLOSE)
    assert (close.actor, close.text, close.photos.get().original_name) == (clerk, "复查合格", "check.jpg")
    back = second.events.get(action=RectificationAction.SEND_BACK)
    assert (back.actor, back.text, back.from_state, back.to_state) == (
        clerk,
        "桶仍破损",
        State.AWAITING_REVIEW,
        State.IN_PROGRESS,
    )

    # The street sees the whole history and may answer again.
    client.force_login(street_user)
    page = _page(client.get(_detail(second)))
    assert "桶仍破损" in page and str(RectificationAction.SEND_BACK.label) in page and clerk.display_name in page
    assert new_deadline.isoformat() in page and 'id="answer-form"' in page
    page = _page(client.get(_detail(first)))
    assert "复查合格" in page and str(State.CLOSED.label) in page and 'id="answer-form"' not in page


def test_send_back_needs_a_reason(client, make, sites, clerk):
    rectification = make(sites[0], days=3, state=State.AWAITING_REVIEW)
    client.force_login(clerk)
    page = _page(client.post(_act(rectification, "send_back"), {"send_back-version": 1, "send_back-text": ""}))
    assert 'id="send_back-form"' in page and "errorlist" in page
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW and rectification.events.count() == 1


def test_street_cannot_close(client, make, sites, street_user):
    rectification = make(sites[0], days=3, state=State.AWAITING_REVIEW)
    client.force_login(street_user)
    page = _page(client.get(_detail(rectification)))
    assert 'id="close-form"' not in page
    for action in ("close", "send_back"):
        response = client.post(_act(rectification, action), {f"{action}-version": 1, f"{action}-text": "自己销号"})
        assert response.status_code in (403, 404)
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW and rectification.version == 1
    assert list(rectification.events.values_list("action", flat=True)) == [RectificationAction.OPEN]


def test_another_street_cannot_answer(client, make, sites, other_street_user):
    rectification = make(sites[0], days=3)
    client.force_login(other_street_user)
    assert client.get(_detail(rectification)).status_code == 404
    response = client.post(_act(rectification, "answer"), {"answer-version": 1, "answer-text": "不是我们的"})
    assert response.status_code == 404
    rectification.refresh_from_db()
    assert rectification.state == State.PENDING


def test_leader_reads_but_has_no_forms(client, make, sites, leader):
    rectification = make(sites[0], days=3, state=State.AWAITING_REVIEW)
    client.force_login(leader)
    page = _page(client.get(_detail(rectification)))
    assert "<form" not in page.split("<main>")[1].split("</main>")[0]
    assert client.post(_act(rectification, "close"), {"close-version": 1}).status_code == 403
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW


def test_a_stale_form_is_refused_and_keeps_the_text(client, make, sites, street_user, clerk):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    # Someone else starts it after the page was opened with version 1.
    rectifications.rectification_start(rectification=rectification, by=street_user, text="同事已处理中")
    response = client.post(_act(rectification, "answer"), {"answer-version": 1, "answer-text": "我来回复"})
    page = _page(response)
    assert _shows(rectifications.STALE, page)
    assert "我来回复" in page and "同事已处理中" in page
    rectification.refresh_from_db()
    assert rectification.state == State.IN_PROGRESS and rectification.version == 2
    assert not rectification.events.filter(action=RectificationAction.ANSWER).exists()
    # The form now carries the current version: sending it again is a decision on fresh facts.
    assert 'name="answer-version" value="2"' in page


def test_a_refused_transition_changes_nothing(client, make, sites, clerk):
    rectification = make(sites[0], days=3)  # pending: nothing to re-inspect
    client.force_login(clerk)
    response = client.post(_act(rectification, "close"), {"close-version": 1, "close-text": "提前销号"})
    page = _page(response)
    expected = str(rectifications.TRANSITION_NOT_ALLOWED) % {"state": State.PENDING.label}
    assert escape(expected) in page
    rectification.refresh_from_db()
    assert rectification.state == State.PENDING and rectification.version == 1
    assert RectificationEvent.objects.filter(rectification=rectification).count() == 1


def test_an_unknown_action_is_404(client, make, sites, clerk):
    rectification = make(sites[0], days=3)
    client.force_login(clerk)
    assert client.post(_act(rectification, "delete"), {}).status_code == 404
    assert client.get(_act(rectification, "close")).status_code == 405


def test_detail_queries_do_not_grow_with_history(client, make, sites, street_user, clerk):
    rectification = make(sites[0], days=3)
    client.force_login(street_user)
    url = _detail(rectification)
    small = _query_count(client, url)
    for round_ in range(3):
        staged = photos.photo_accept(upload=_jpeg(f"r{round_}.jpg"), by=street_user)
        rectification.refresh_from_db()
        rectifications.rectification_answer(
            rectification=rectification, by=street_user, text=f"第{round_}次", photos=[staged]
        )
        rectification.refresh_from_db()
        rectifications.rectification_send_back(rectification=rectification, by=clerk, text="不合格")
    rectification.refresh_from_db()
    assert rectification.events.count() == 7
    assert _query_count(client, url) == small
