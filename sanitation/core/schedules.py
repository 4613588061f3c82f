"""Every periodic task of the system, in one place; `sync_schedules` writes them to beat's tables.

Operators edit times in the admin afterwards; a sync creates what is missing and leaves
edited schedules alone.
"""

import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

INTERVAL_SCHEDULES = {
    # name: (task, every, period, args)
    "beat heartbeat": ("core.beat_heartbeat", 60, IntervalSchedule.SECONDS, []),
    "plan reminders": ("plans.send_reminders", 1, IntervalSchedule.DAYS, []),
    "overdue rectifications": ("supervision.mark_overdue_rectifications", 1, IntervalSchedule.DAYS, []),
    # Hourly, from the moment beat starts: the day's run is made as soon as the system is up, and
    # the later firings find it done (one report per day), so a missed morning catches up.
    "cycle daily": ("supervision.cycle_beat", 1, IntervalSchedule.HOURS, ["daily"]),
}

CRONTAB_SCHEDULES = {
    # name: (task, args, minute, hour, day_of_week, day_of_month, month_of_year), office time
    "cycle weekly": ("supervision.cycle_beat", ["weekly"], "30", "6", "1", "*", "*"),  # Mondays 06:30
    "cycle monthly": ("supervision.cycle_beat", ["monthly"], "0", "7", "*", "1", "*"),  # the 1st, 07:00
    "cycle quarterly": ("supervision.cycle_beat", ["quarterly"], "30", "7", "*", "1", "1,4,7,10"),
    "cycle annual": ("supervision.cycle_beat", ["annual"], "0", "8", "*", "2", "1"),  # 2 January 08:00
}


def _crontab(minute: str, hour: str, day_of_week: str, day_of_month: str, month_of_year: str) -> CrontabSchedule:
    fields = {
        "minute": minute,
        "hour": hour,
        "day_of_week": day_of_week,
        "day_of_month": day_of_month,
        "month_of_year": month_of_year,
        "timezone": settings.TIME_ZONE,
    }
    # Not get_or_create: the admin may have saved the same crontab twice.
    return CrontabSchedule.objects.filter(**fields).order_by("pk").first() or CrontabSchedule.objects.create(**fields)


@transaction.atomic
def periodic_tasks_sync() -> list[str]:
    """Create the periodic tasks that are missing; return the names created."""
    created = []
    for name, (task, every, period, args) in INTERVAL_SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        # A start time in the past makes beat run the task as soon as it starts,
        # not one interval later.
        _, was_created = PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "args": json.dumps(args), "start_time": timezone.now()},
        )
        if was_created:
            created.append(name)
    for name, (task, args, *when) in CRONTAB_SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        _, was_created = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": _crontab(*when), "args": json.dumps(args)}
        )
        if was_created:
            created.append(name)
    return created
