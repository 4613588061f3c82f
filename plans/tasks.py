from dataclasses import asdict

from celery import shared_task

from . import progress


@shared_task(name="plans.send_reminders", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_reminders() -> dict:
    """Daily: 临近提醒 and 到期催办 to lead units. Safe to retry: each reminder is recorded once."""
    return asdict(progress.reminders_send())
