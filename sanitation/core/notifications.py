"""The in-app inbox and its e-mails: one notification per user and event; mail goes out after
commit through a task that retries until the mail server takes it."""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Notification

logger = logging.getLogger(__name__)

TITLE_LENGTH = Notification._meta.get_field("title").max_length
MAIL_LINK = _("Open it here: %(url)s")
MAIL_FOOTER = _("You receive this e-mail because you have an account in the sanitation work planning system.")


def notifications_send(*, users: Iterable, key: str, title: str, body: str = "", url: str = "") -> int:
    """Notify each user once for `key`; return how many were notified now. Those with an e-mail
    address are mailed by the `core.send_notification_mails` task once the transaction commits."""
    recipients = {user.pk: user for user in users}
    if not recipients:
        return 0
    already = set(Notification.objects.filter(key=key, user_id__in=recipients).values_list("user_id", flat=True))
    new = [pk for pk in recipients if pk not in already]
    if not new:
        return 0
    title = str(title)[:TITLE_LENGTH]
    # The (user, key) constraint settles a race with a concurrent sender: its rows win, ours are
    # skipped, and its mails are its own (the mail task sends each notification once anyway).
    Notification.objects.bulk_create(
        [Notification(user_id=pk, key=key, title=title, body=str(body), url=url) for pk in new],
        ignore_conflicts=True,
    )
    to_mail = list(
        Notification.objects.filter(key=key, user_id__in=[pk for pk in new if recipients[pk].email]).values_list(
            "pk", flat=True
        )
    )
    if to_mail:
        transaction.on_commit(partial(_enqueue_mails, sorted(to_mail)), robust=True)
    return len(new)


def _enqueue_mails(ids: list[int]) -> None:
    from .tasks import send_notification_mails  # the tasks module imports this one

    send_notification_mails.delay(ids)


def notification_mails_send(*, ids: list[int]) -> int:
    """Send the e-mails of these notifications that have not gone out yet; return how many went.

    Each mail is its own transaction with its row locked: a mail that went out stays marked sent
    when a later one fails, so the retried task sends only the rest, and two workers never send
    the same one. A mail server error propagates (the task retries)."""
    sent = 0
    for pk in sorted(set(ids)):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.user.email or not notification.user.is_active:
                continue
            _mail(notification).send(fail_silently=False)
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def _mail(notification: Notification) -> EmailMessage:
    # Stored notifications are written in the office's language; the mail's own words follow it.
    with translation.override(settings.LANGUAGE_CODE):
        parts = [notification.body] if notification.body else []
        if notification.url:
            parts.append(str(MAIL_LINK % {"url": _absolute(notification.url)}))
        parts.append(f"--\n{MAIL_FOOTER}")
        return EmailMessage(
            subject=notification.title,
            body="\n\n".join(parts),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.user.email],
        )


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "")
    return f"{base.rstrip('/')}{url}" if base and url.startswith("/") else url


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk)


def notifications_unread(user, *, limit: int = 10) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user.pk, read_at__isnull=True)[:limit])


def notifications_unread_count(user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_read(*, user, notification_id: int) -> None:
    Notification.objects.filter(user=user, pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


def notifications_read_all(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
