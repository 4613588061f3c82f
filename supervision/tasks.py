import datetime
import os
import smtplib
import socket

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import photos, rectifications
from .cycle import engine

# Worth another try: the database or the broker went away, the disk or the mail server hiccupped.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, smtplib.SMTPException)


@shared_task(name="supervision.mark_overdue_rectifications")
def mark_overdue_rectifications(day: str | None = None) -> int:
    """Daily: rectifications whose deadline passed become 逾期. `day` (ISO date) replays a given
    day; by default today where the office is. Idempotent, so safe to retry or run twice."""
    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return rectifications.rectifications_mark_overdue(today=today)


@shared_task(name="supervision.purge_staged_photos")
def purge_staged_photos() -> int:
    """Daily: photos uploaded from a form that was never saved, older than two days, are deleted."""
    return photos.staged_photos_purge()


class CycleRunTask(DjangoTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the task gives up: an error not worth retrying, or the last retry spent.
        # (A lost worker is not a failure: the message goes back to the queue.)
        run_id = args[0] if args else kwargs["run_id"]
        engine.cycle_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=CycleRunTask,
    name="supervision.run_cycle",
    # Acknowledged only when done, and put back on the queue if the worker dies: a report in the
    # middle of being written is done again by the next worker (exactly once by the database).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def run_cycle(self, run_id: int, day: str | None = None) -> dict:
    """Make the report a CycleRun asked for. Idempotent: a retry or a redelivery finds it made."""
    worker = f"{self.request.hostname or socket.gethostname()}:{os.getpid()}"
    run = engine.cycle_run_execute(run_id=run_id, worker=worker, day=datetime.date.fromisoformat(day) if day else None)
    return {"run": run.pk, "state": run.state, "created": run.created, "report": run.report_id}


@shared_task(name="supervision.cycle_beat")
def cycle_beat(cycle: str) -> list[int]:
    """Beat: request the runs of a cycle that are due; the runs themselves are run_cycle tasks."""
    return [run.pk for run in engine.cycle_beat(cycle=cycle)]
