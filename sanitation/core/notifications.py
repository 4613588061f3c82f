"""The in-app inbox and its e-mails: one notification per user and event; mail goes out after
commit through a task that retries until the mail server takes it."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .models import Notification


def notifications_send(*, users: Iterable, key: str, title: str, body: str = "", url: str = "") -> int:
    """Notify each user once for `key`; return how many were notified now. Those with an e-mail
    address are mailed by the `core.send_notification_mails` task once the transaction commits."""
    raise NotImplementedError


def notification_mails_send(*, ids: list[int]) -> int:
    """Send the e-mails of these notifications that have not gone out yet; return how many went."""
    raise NotImplementedError


def notifications_unread(user, *, limit: int = 10) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True)[:limit])


def notification_read(*, user, notification_id: int) -> None:
    Notification.objects.filter(user=user, pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


_ = transaction  # used by the implementation
