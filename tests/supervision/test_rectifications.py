"""The rectification workflow: every transition, its event, its checks, and the overdue pass."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from supervision import rectifications as service
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import Rectification, RectificationAction, RectificationEvent, RectificationState
from supervision.photos import NOT_STAGED, photo_accept
from supervision.tasks import mark_overdue_rectifications

State = RectificationState
Action = RectificationAction
ON = datetime.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def pair(scheme, sites, clerk, problem_types) -> list[Rectification]:
    """Two rectifications of A第1街道花园 (general problems: deadline 17 June 2026)."""
    inspection = inspection_record(
        site=sites[0],
        recorded_by=clerk,
        inspected_at=timezone.make_aware(datetime.datetime(2026, 6, 10, 9, 30)),
        problems=[
            ProblemInput(problem_types["mixed-disposal"], note="混投"),
            ProblemInput(problem_types["damaged-bins"], note="桶破"),
        ],
    )
    return list(Rectification.objects.filter(problem__inspection=inspection).order_by("problem_id"))


@pytest.fixture
def rectification(pair) -> Rectification:
    return pair[0]


def not_yet_due(rectification: Rectification) -> Rectification:
    """Move the deadline into the future, whatever day the tests run."""
    Rectification.objects.filter(pk=rectification.pk).update(deadline=timezone.localdate() + datetime.timedelta(days=5))
    rectification.refresh_from_db()
    return rectification


def photo_of(user):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, format="JPEG")
    return photo_accept(upload=SimpleUploadedFile("整改后.jpg", out.getvalue()), by=user)


def history(rectification) -> list[tuple]:
    return [
        (e.action, e.from_state, e.to_state, e.actor.username if e.actor else None, e.text)
        for e in rectification.events.select_related("actor").order_by("at", "id")
    ]


def refused_with(constant, call, **params):
    with pytest.raises(ValidationError) as error:
        call()
    expected = str(constant) % params if params else str(constant)
    assert error.value.messages == [expected]


def test_the_street_starts_answers_and_the_clerk_closes(rectification, street_user, clerk):
    not_yet_due(rectification)
    photo = photo_of(street_user)

    service.rectification_start(rectification=rectification, by=street_user, text="已联系物业")
    assert (rectification.state, rectification.version) == (State.IN_PROGRESS, 2)
    service.rectification_answer(rectification=rectification, by=street_user, text="已更换分类桶", photos=[photo])
    assert (rectification.state, rectification.version) == (State.AWAITING_REVIEW, 3)
    closed = service.rectification_close(rectification=rectification, by=clerk, text="复查合格")

    rectification.refresh_from_db()
    assert rectification.state == State.CLOSED
    assert rectification.version == 4
    assert rectification.closed_at is not None
    assert closed.closed_at == rectification.closed_at
    assert history(rectification) == [
        (Action.OPEN, "", State.PENDING, "clerk_a", "混投"),
        (Action.START, State.PENDING, State.IN_PROGRESS, "street_a1", "已联系物业"),
        (Action.ANSWER, State.IN_PROGRESS, State.AWAITING_REVIEW, "street_a1", "已更换分类桶"),
        (Action.CLOSE, State.AWAITING_REVIEW, State.CLOSED, "clerk_a", "复查合格"),
    ]
    answer = rectification.events.get(action=Action.ANSWER)
    assert list(answer.photos.all()) == [photo]


def test_the_street_may_answer_straight_from_pending(rectification, street_user):
    service.rectification_answer(rectification=rectification, by=street_user, text="  已整改  ")
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW
    assert rectification.events.get(action=Action.ANSWER).text == "已整改"


def test_an_answer_needs_text(rectification, street_user):
    refused_with(
        service.ANSWER_TEXT_REQUIRED,
        lambda: service.rectification_answer(rectification=rectification, by=street_user, text="   "),
    )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.PENDING, 1)
    assert rectification.events.count() == 1


def test_sending_back_needs_a_reason(rectification, street_user, clerk):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    refused_with(
        service.SEND_BACK_REASON_REQUIRED,
        lambda: service.rectification_send_back(rectification=rectification, by=clerk, text=""),
    )
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW


def test_sent_back_before_the_deadline_it_is_in_progress_again(rectification, street_user, clerk):
    not_yet_due(rectification)
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    service.rectification_send_back(rectification=rectification, by=clerk, text="桶边仍有散落垃圾")
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.IN_PROGRESS, 3)
    assert history(rectification)[-1] == (
        Action.SEND_BACK,
        State.AWAITING_REVIEW,
        State.IN_PROGRESS,
        "clerk_a",
        "桶边仍有散落垃圾",
    )


def test_sent_back_after_the_deadline_it_is_overdue(rectification, street_user, clerk):
    # The deadline, 17 June 2026, has passed.
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    service.rectification_send_back(rectification=rectification, by=clerk, text="未整改到位")
    rectification.refresh_from_db()
    assert rectification.state == State.OVERDUE
    assert rectification.deadline == datetime.date(2026, 6, 17)


def test_sent_back_with_a_new_deadline_the_move_is_kept(rectification, street_user, clerk, english):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    new_deadline = timezone.localdate() + datetime.timedelta(days=3)
    service.rectification_send_back(rectification=rectification, by=clerk, text="限期三天", deadline=new_deadline)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.deadline) == (State.IN_PROGRESS, new_deadline)
    note = rectification.events.get(action=Action.NOTE)
    assert note.text == str(service.DEADLINE_MOVED) % {"old": datetime.date(2026, 6, 17), "new": new_deadline}
    assert (note.from_state, note.to_state, note.actor) == (State.IN_PROGRESS, State.IN_PROGRESS, clerk)


def test_a_new_deadline_in_the_past_is_refused(rectification, street_user, clerk):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    refused_with(
        service.DEADLINE_IN_THE_PAST,
        lambda: service.rectification_send_back(
            rectification=rectification,
            by=clerk,
            text="重新整改",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        ),
    )


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.PENDING, "close"),
        (State.PENDING, "send_back"),
        (State.IN_PROGRESS, "start"),
        (State.AWAITING_REVIEW, "answer"),
        (State.AWAITING_REVIEW, "start"),
        (State.CLOSED, "answer"),
        (State.CLOSED, "close"),
        (State.CLOSED, "send_back"),
        (State.OVERDUE, "close"),
    ],
)
def test_transitions_from_the_wrong_state_are_refused(rectification, street_user, clerk, english, state, action):
    Rectification.objects.filter(pk=rectification.pk).update(state=state)
    rectification.refresh_from_db()
    calls = {
        "start": lambda: service.rectification_start(rectification=rectification, by=street_user),
        "answer": lambda: service.rectification_answer(rectification=rectification, by=street_user, text="好了"),
        "close": lambda: service.rectification_close(rectification=rectification, by=clerk),
        "send_back": lambda: service.rectification_send_back(rectification=rectification, by=clerk, text="不行"),
    }
    refused_with(service.TRANSITION_NOT_ALLOWED, calls[action], state=str(State(state).label))
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (state, 1)
    assert rectification.events.count() == 1


def test_a_form_posted_against_an_older_version_is_refused(rectification, street_user, clerk):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改", expected_version=1)
    assert rectification.version == 2
    # A second tab still shows version 1.
    refused_with(
        service.STALE,
        lambda: service.rectification_answer(
            rectification=rectification, by=street_user, text="再次提交", expected_version=1
        ),
    )
    refused_with(
        service.STALE,
        lambda: service.rectification_close(rectification=rectification, by=clerk, expected_version=1),
    )
    service.rectification_close(rectification=rectification, by=clerk, expected_version=2)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.CLOSED, 3)


def test_a_stale_instance_in_memory_is_checked_against_the_row(rectification, street_user, clerk):
    """The service reads the locked row, not the caller's copy: the state check sees the truth."""
    stale_copy = Rectification.objects.get(pk=rectification.pk)
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    service.rectification_close(rectification=rectification, by=clerk)
    refused_with(
        service.TRANSITION_NOT_ALLOWED,
        lambda: service.rectification_answer(rectification=stale_copy, by=street_user, text="又整改了"),
        state=str(State.CLOSED.label),
    )


def test_an_overdue_rectification_can_be_answered(rectification, street_user):
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 18)) == 2
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    rectification.refresh_from_db()
    assert rectification.state == State.AWAITING_REVIEW
    assert history(rectification)[-1][:3] == (Action.ANSWER, State.OVERDUE, State.AWAITING_REVIEW)


def test_starting_an_overdue_rectification_keeps_it_overdue(rectification, street_user):
    service.rectifications_mark_overdue(today=datetime.date(2026, 6, 18))
    service.rectification_start(rectification=rectification, by=street_user, text="开始整改")
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.OVERDUE, 3)
    assert history(rectification)[-1] == (Action.START, State.OVERDUE, State.OVERDUE, "street_a1", "开始整改")


def test_photos_of_an_answer_must_be_the_users_own_staged_photos(rectification, street_user, clerk):
    theirs = photo_of(clerk)
    refused_with(
        NOT_STAGED,
        lambda: service.rectification_answer(
            rectification=rectification, by=street_user, text="已整改", photos=[theirs]
        ),
    )
    rectification.refresh_from_db()
    assert rectification.state == State.PENDING
    theirs.refresh_from_db()
    assert theirs.event is None


def test_the_clerks_photos_go_with_the_close(rectification, street_user, clerk):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    photo = photo_of(clerk)
    service.rectification_close(rectification=rectification, by=clerk, photos=[photo])
    assert list(rectification.events.get(action=Action.CLOSE).photos.all()) == [photo]


def test_users_outside_the_rectification_may_not_act(rectification, other_street_user, leader, outsider, clerk):
    for user in (other_street_user, leader, outsider):
        refused_with(
            service.NOT_PERMITTED,
            lambda user=user: service.rectification_answer(rectification=rectification, by=user, text="已整改"),
        )
    for user in (leader, outsider):
        refused_with(
            service.NOT_PERMITTED,
            lambda user=user: service.rectification_close(rectification=rectification, by=user),
        )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.PENDING, 1)


def test_a_note_changes_nothing_but_is_kept(rectification, street_user, clerk):
    service.rectification_note(rectification=rectification, by=street_user, text="物业已下单采购新桶")
    service.rectification_note(rectification=rectification, by=clerk, text="电话督促")
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (State.PENDING, 1)
    assert history(rectification)[1:] == [
        (Action.NOTE, State.PENDING, State.PENDING, "street_a1", "物业已下单采购新桶"),
        (Action.NOTE, State.PENDING, State.PENDING, "clerk_a", "电话督促"),
    ]
    refused_with(
        service.NOTE_TEXT_REQUIRED,
        lambda: service.rectification_note(rectification=rectification, by=clerk, text=""),
    )


def test_marking_overdue_changes_pending_and_in_progress_past_their_deadline(pair, street_user, clerk):
    first, second = pair
    service.rectification_start(rectification=first, by=street_user)  # overdue already: stays so
    Rectification.objects.filter(pk=first.pk).update(state=State.IN_PROGRESS)
    # One of another inspection, awaiting review, and a closed one: both untouched.
    Rectification.objects.filter(pk=second.pk).update(state=State.AWAITING_REVIEW)

    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 17)) == 0  # the deadline day itself
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 18)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.version) == (State.OVERDUE, 3)
    assert second.state == State.AWAITING_REVIEW
    event = first.events.get(action=Action.OVERDUE)
    assert (event.from_state, event.to_state, event.actor, event.text) == (State.IN_PROGRESS, State.OVERDUE, None, "")


def test_marking_overdue_is_idempotent(pair):
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 20)) == 2
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 20)) == 0
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 6, 21)) == 0
    assert RectificationEvent.objects.filter(action=Action.OVERDUE).count() == 2
    assert set(Rectification.objects.values_list("state", "version")) == {(State.OVERDUE, 2)}


def test_marking_overdue_leaves_closed_rectifications(rectification, street_user, clerk):
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    service.rectification_close(rectification=rectification, by=clerk)
    assert service.rectifications_mark_overdue(today=datetime.date(2026, 7, 1)) == 1  # only the other one
    rectification.refresh_from_db()
    assert rectification.state == State.CLOSED


def test_marking_overdue_uses_a_constant_number_of_queries(scheme, sites, clerk, problem_types):
    def pass_with(problems: int, day: datetime.date) -> int:
        inspection_record(
            site=sites[0],
            recorded_by=clerk,
            inspected_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
            problems=[ProblemInput(problem_types["odour"])] * problems,
        )
        with CaptureQueriesContext(connection) as queries:
            changed = service.rectifications_mark_overdue(today=day + datetime.timedelta(days=30))
        assert changed == problems
        return len(queries)

    assert pass_with(1, datetime.date(2026, 3, 1)) == pass_with(5, datetime.date(2026, 5, 1))


def test_the_task_marks_overdue_for_a_given_day_or_today(pair):
    assert mark_overdue_rectifications.name == "supervision.mark_overdue_rectifications"
    assert mark_overdue_rectifications("2026-06-17") == 0
    assert mark_overdue_rectifications.apply(args=["2026-06-18"]).get() == 2
    assert mark_overdue_rectifications() == 0  # today, long after: nothing left to change
