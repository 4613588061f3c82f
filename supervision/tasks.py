import datetime

from celery import shared_task
from django.utils import timezone

from . import rectifications


@shared_task(name="supervision.mark_overdue_rectifications")
def mark_overdue_rectifications(day: str | None = None) -> int:
    """Daily: rectifications whose deadline passed become 逾期. `day` (ISO date) replays a given
    day; by default today where the office is. Idempotent, so safe to retry or run twice."""
    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return rectifications.rectifications_mark_overdue(today=today)
