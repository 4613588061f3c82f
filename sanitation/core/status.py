"""Whether the parts the system stands on answer: database, broker, a Celery worker, beat."""

import time
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import TimeoutError as TaskTimeout
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from sanitation.celery import app

from .models import Heartbeat
from .tasks import ping

WORKER_TIMEOUT_SECONDS = 5
BEAT_LATE_AFTER = timedelta(minutes=3)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    milliseconds: int


def _timed(name, probe) -> Check:
    started = time.monotonic()
    try:
        ok, detail = probe()
    except Exception as error:  # a status page reports failures, it does not raise them
        ok, detail = False, f"{type(error).__name__}: {error}"
    return Check(name, ok, detail, round((time.monotonic() - started) * 1000))


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, f"{connection.vendor} · {connection.settings_dict['NAME']}"


def _broker():
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        return True, conn.as_uri()


def _worker():
    result = ping.apply_async(expires=WORKER_TIMEOUT_SECONDS * 2)
    try:
        answer = result.get(timeout=WORKER_TIMEOUT_SECONDS, interval=0.1)
    except TaskTimeout:
        return False, _("No worker answered within %(seconds)s seconds.") % {"seconds": WORKER_TIMEOUT_SECONDS}
    finally:
        result.forget()
    return True, _("Answered by %(worker)s") % {"worker": answer["worker"]}


def beat_check() -> tuple[bool, str]:
    heartbeat = Heartbeat.objects.filter(name="beat").first()
    if heartbeat is None:
        return False, _("Beat has not run a periodic task yet.")
    age = timezone.now() - heartbeat.last_seen
    detail = _("Last periodic task %(seconds)s seconds ago.") % {"seconds": int(age.total_seconds())}
    return age <= BEAT_LATE_AFTER, detail


def system_status() -> list[Check]:
    return [
        _timed(_("Database"), _database),
        _timed(_("Message broker"), _broker),
        _timed(_("Celery worker"), _worker),
        _timed(_("Celery beat"), beat_check),
    ]
