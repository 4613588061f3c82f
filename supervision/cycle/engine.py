"""Running a cycle exactly once per (cycle, issuer, period)."""

import datetime

from ..models import CycleRun


def cycle_run_request(
    *, cycle: str, issuer, day: datetime.date, trigger: str, user=None, regenerate: bool = False
) -> CycleRun:
    """Record a run (QUEUED) and enqueue its task when the transaction commits."""
    raise NotImplementedError


def cycle_run_execute(*, run_id: int, worker: str = "") -> CycleRun:
    """Do the run (called by the task; idempotent): see the brief's "Exactly once"."""
    raise NotImplementedError


def cycle_beat(*, cycle: str, day: datetime.date | None = None) -> list[CycleRun]:
    """Called by beat: a run for every cycle issuer whose report for the period is not done yet."""
    raise NotImplementedError
