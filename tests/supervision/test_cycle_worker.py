"""The cycle on real Celery processes: a worker killed in the middle of a weekly report, a run
end to end, and beat making the day's run by itself (what `make run` does)."""

import datetime
import io
import os
import signal
import subprocess
import time

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from sanitation.core.schedules import periodic_tasks_sync
from sanitation.core.tasks import ping
from sanitation.documents.models import DocumentIssuer
from supervision.cycle.engine import cycle_run_request
from supervision.models import Cycle, CycleReport, CycleRun, ReportState, RunState, RunTrigger
from tests.workers import celery_process, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    return DocumentIssuer.objects.get(unit__code="CD-FLB")


def worker_process(tmp_path, *, delay: int):
    """A prefork worker with one pool child, writing to the test's media folder."""
    env = {"CYCLE_RUN_DELAY_SECONDS": str(delay), "MEDIA_ROOT": str(tmp_path / "media")}
    arguments = ["worker", "--pool=prefork", "--concurrency=1", "--without-gossip", "--without-mingle"]
    return celery_process(
        *arguments, "--loglevel=INFO", "--hostname", "cycle-worker@%h", log=tmp_path / "worker.log", env=env
    )


def wait_for_worker(log):
    try:
        ping.apply_async().get(timeout=90)
    except Exception:
        print(log.read_text())
        raise


def requested(cycle: str, issuer, day: datetime.date) -> CycleRun:
    with transaction.atomic():  # enqueued when this commits
        return cycle_run_request(cycle=cycle, issuer=issuer, day=day, trigger=RunTrigger.WEB)


def run_state(run: CycleRun) -> CycleRun:
    run.refresh_from_db()
    return run


def pid_of(run: CycleRun) -> int:
    return int(run.worker.rsplit(":", 1)[1])


def pdf_files(tmp_path):
    return sorted((tmp_path / "media").rglob("*.pdf"))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_a_worker_killed_in_the_middle_of_a_weekly_report_leaves_one_report_and_one_pdf(demo, tmp_path):
    log = tmp_path / "worker.log"
    with worker_process(tmp_path, delay=5) as worker:
        wait_for_worker(log)
        before = set(pdf_files(tmp_path))
        run = requested(Cycle.WEEKLY, demo, timezone.localdate())
        try:
            wait_until(lambda: run_state(run).state == RunState.RUNNING, timeout=60)
            child = pid_of(run)
            assert child != worker.pid  # the pool child, not the worker's main process
            # Inside the report's transaction by now: collecting, or sleeping before the writes.
            time.sleep(1)
            assert not CycleReport.objects.exists()  # nothing committed yet
            os.kill(child, signal.SIGKILL)
            killed_at = timezone.now()
            wait_until(lambda: run_state(run).state in (RunState.DONE, RunState.FAILED), timeout=120)
        except Exception:
            print(log.read_text())
            raise

    run = run_state(run)
    assert run.state == RunState.DONE, run.output
    assert run.attempts >= 2
    assert pid_of(run) != child  # finished by the pool's next child, from the redelivered message
    assert run.finished_at > killed_at
    report = CycleReport.objects.get(cycle=Cycle.WEEKLY, issuer=demo)
    assert report.state == ReportState.DONE and report.generations == 1 and run.report == report
    new = sorted(set(pdf_files(tmp_path)) - before)
    assert new == [tmp_path / "media" / report.pdf.name]
    assert "WorkerLostError" in log.read_text() or "SIGKILL" in log.read_text()


def test_a_run_goes_through_a_real_worker(demo, tmp_path):
    log = tmp_path / "worker.log"
    with worker_process(tmp_path, delay=0) as _worker:
        wait_for_worker(log)
        run = requested(Cycle.MONTHLY, demo, timezone.localdate())
        again = requested(Cycle.MONTHLY, demo, timezone.localdate())
        try:
            wait_until(
                lambda: all(run_state(r).state in (RunState.DONE, RunState.FAILED) for r in (run, again)), timeout=120
            )
        except Exception:
            print(log.read_text())
            raise
    run, again = run_state(run), run_state(again)
    assert (run.state, run.created, run.attempts) == (RunState.DONE, True, 1), run.output
    assert (again.state, again.created) == (RunState.DONE, False)
    report = CycleReport.objects.get(cycle=Cycle.MONTHLY, issuer=demo)
    assert run.report == again.report == report
    assert report.circular.number in run.output
    assert run.worker.startswith("cycle-worker@")
    text = pdf_text(tmp_path / "media" / report.pdf.name)
    assert report.circular.number in text and "城东区" in text


def test_beat_makes_the_days_run_by_itself(demo, tmp_path):
    periodic_tasks_sync()  # seed_demo did it; as `make run` does, a second time changes nothing
    log = tmp_path / "worker.log"
    with worker_process(tmp_path, delay=0):
        wait_for_worker(log)
        beat_log = tmp_path / "beat.log"
        with celery_process("beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule"), log=beat_log):
            try:
                wait_until(
                    lambda: CycleReport.objects.filter(cycle=Cycle.DAILY, state=ReportState.DONE).exists(),
                    timeout=120,
                )
            except Exception:
                print(log.read_text(), beat_log.read_text())
                raise
    [run] = CycleRun.objects.filter(cycle=Cycle.DAILY)
    assert (run.trigger, run.state, run.issuer) == (RunTrigger.BEAT, RunState.DONE, demo)
    assert run.period_start == timezone.localdate()
