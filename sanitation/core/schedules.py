"""Every periodic task of the system, in one place; `sync_schedules` writes them to beat's tables.

Operators edit times in the admin afterwards; a sync creates what is missing and leaves
edited schedules alone.
"""

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

INTERVAL_SCHEDULES = {
    # name: (task, every, period)
    "beat heartbeat": ("core.beat_heartbeat", 60, IntervalSchedule.SECONDS),
    "plan reminders": ("plans.send_reminders", 1, IntervalSchedule.DAYS),
    "overdue rectifications": ("supervision.mark_overdue_rectifications", 1, IntervalSchedule.DAYS),
}


@transaction.atomic
def periodic_tasks_sync() -> list[str]:
    """Create the periodic tasks that are missing; return the names created."""
    created = []
    for name, (task, every, period) in INTERVAL_SCHEDULES.items():
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        # A start time in the past makes beat run the task as soon as it starts,
        # not one interval later.
        _, was_created = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "start_time": timezone.now()}
        )
        if was_created:
            created.append(name)
    return created
