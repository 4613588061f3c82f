"""The inbox and its e-mails: one notification per user and event, mail enqueued only on commit and
sent once through the locmem backend, a mail server failure retried without resending what went."""

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction

from sanitation.core import notifications as service
from sanitation.core.models import Notification
from sanitation.core.tasks import send_notification_mails
from sanitation.organisations.models import Role, Unit
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(district_a):
    unit = Unit.objects.get(code="A")
    return {
        "mailed": member(unit, Role.LEADER, username="mailed", email="chen@example.cn"),
        "unmailed": member(unit, Role.LEADER, username="unmailed", email=""),
        "second": member(unit, Role.LEADER, username="second", email="wang@example.cn"),
    }


@pytest.fixture
def enqueued(monkeypatch):
    """What the on-commit hook hands the broker, kept here instead."""
    calls = []
    monkeypatch.setattr(send_notification_mails, "delay", lambda ids: calls.append(ids))
    return calls


def send(users, key="report:1", **fields) -> int:
    fields = {"title": "城东区生活垃圾分类工作周报", "body": "2026-03-09 – 2026-03-15", "url": "/x/"} | fields
    return service.notifications_send(users=users, key=key, **fields)


def test_each_user_is_notified_once_per_key(people, enqueued, django_capture_on_commit_callbacks):
    users = list(people.values())
    with django_capture_on_commit_callbacks(execute=True):
        assert send(users) == 3
        assert send(users) == 0
        assert send(users[:1], title="another title") == 0
        assert send(users[:1], key="report:2") == 1
    assert Notification.objects.filter(key="report:1").count() == 3
    assert Notification.objects.get(user=people["mailed"], key="report:1").title == "城东区生活垃圾分类工作周报"
    first = Notification.objects.filter(key="report:1", user__email__gt="").order_by("pk")
    second = Notification.objects.get(key="report:2")
    # One task per sending, with the notifications of those who have an address only.
    assert enqueued == [[n.pk for n in first], [second.pk]]


def test_nothing_is_enqueued_before_commit_or_after_rollback(people, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        send([people["mailed"]])
        raise RuntimeError("the report failed")
    assert callbacks == [] and enqueued == []
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        send([people["mailed"]])
        assert enqueued == []  # not before commit
    assert len(callbacks) == 1


def test_the_task_mails_once_and_sets_emailed_at(people, enqueued, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://hw.example.cn"
    with django_capture_on_commit_callbacks(execute=True):
        send(list(people.values()), url="/supervision/cycle/reports/4/")
    (ids,) = enqueued
    result = send_notification_mails.apply(args=[ids])
    assert result.get() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["chen@example.cn", "wang@example.cn"]
    message = next(m for m in mail.outbox if m.to == ["chen@example.cn"])
    assert message.subject == "城东区生活垃圾分类工作周报"
    assert "2026-03-09 – 2026-03-15" in message.body
    assert "https://hw.example.cn/supervision/cycle/reports/4/" in message.body
    assert Notification.objects.filter(pk__in=ids, emailed_at__isnull=False).count() == 2
    assert Notification.objects.get(user=people["unmailed"]).emailed_at is None

    # A redelivered task or a second call sends nothing.
    assert send_notification_mails.apply(args=[ids]).get() == 0
    assert service.notification_mails_send(ids=ids) == 0
    assert len(mail.outbox) == 2


def test_a_mail_server_error_propagates_and_what_went_stays_sent(people, enqueued, monkeypatch):
    send([people["mailed"], people["second"]])
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    real_send = EmailMessage.send

    def second_fails(message, fail_silently=False):
        if message.to == ["wang@example.cn"]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(message, fail_silently=fail_silently)

    monkeypatch.setattr(EmailMessage, "send", second_fails)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        service.notification_mails_send(ids=ids)
    assert [m.to for m in mail.outbox] == [["chen@example.cn"]]
    assert Notification.objects.get(user=people["mailed"]).emailed_at is not None
    assert Notification.objects.get(user=people["second"]).emailed_at is None

    # The retry sends only the one that did not go.
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert service.notification_mails_send(ids=ids) == 1
    assert [m.to for m in mail.outbox] == [["chen@example.cn"], ["wang@example.cn"]]


def test_the_mail_task_retries_with_backoff_a_bounded_number_of_times():
    task = send_notification_mails
    assert task.name == "core.send_notification_mails"
    assert smtplib.SMTPException in task.autoretry_for and OSError in task.autoretry_for
    assert task.retry_backoff is True and task.max_retries == 5 and task.acks_late is True


def test_unread_and_read(people):
    user = people["mailed"]
    for n in range(12):
        send([user], key=f"report:{n}", title=f"周报{n}")
    unread = service.notifications_unread(user)
    assert [n.title for n in unread] == [f"周报{n}" for n in range(11, 1, -1)]  # newest first, ten of them
    service.notification_read(user=user, notification_id=unread[0].pk)
    service.notification_read(user=people["second"], notification_id=unread[1].pk)  # not theirs: nothing
    assert service.notifications_unread_count(user) == 11
    assert service.notifications_read_all(user=user) == 11
    assert service.notifications_unread(user) == []
