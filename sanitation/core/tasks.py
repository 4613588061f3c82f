import smtplib
import socket

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .models import Heartbeat
from .notifications import notification_mails_send


@shared_task(name="core.ping", bind=True)
def ping(self) -> dict:
    """Answers the status page: proves a worker takes tasks from the broker."""
    worker = self.request.hostname or socket.gethostname()
    return {"pong": True, "worker": worker, "at": timezone.now().isoformat()}


@shared_task(name="core.beat_heartbeat")
def beat_heartbeat() -> str:
    """Run by beat every minute: the status page reads how long ago it last ran."""
    Heartbeat.objects.update_or_create(name="beat", defaults={"last_seen": timezone.now()})
    return "ok"


@shared_task(
    name="core.send_notification_mails",
    autoretry_for=(OSError, smtplib.SMTPException, OperationalError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def send_notification_mails(ids: list[int]) -> int:
    """E-mail these notifications; a mail server or database that does not answer means a retry."""
    return notification_mails_send(ids=ids)
