"""A real worker (and beat) in their own processes, on the broker and database the tests use."""

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from sanitation.core.models import Heartbeat
from sanitation.core.tasks import beat_heartbeat, ping
from sanitation.organisations.models import Role, Unit
from tests.factories import district_with_streets, member
from tests.workers import celery_process, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    log = tmp_path / "worker.log"
    arguments = ["worker", "--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    with celery_process(*arguments, "--hostname", "test-worker@%h", log=log) as process:
        try:
            # The first task waits for the worker to start; later ones are quick.
            ping.apply_async().get(timeout=60)
        except Exception:
            print(log.read_text())
            raise
        yield process


def test_broker_is_redis_when_ci_requires_it():
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


def test_a_task_round_trips_through_a_real_worker(worker):
    result = ping.apply_async()
    answer = result.get(timeout=20)
    assert answer["pong"] is True
    assert answer["worker"]
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "core.ping"


def test_worker_writes_to_the_database(worker):
    beat_heartbeat.apply_async().get(timeout=20)
    assert Heartbeat.objects.filter(name="beat").exists()


def test_status_page_shows_every_part_answering(client, worker):
    district_with_streets("A")
    client.force_login(member(Unit.objects.get(code="A-FLB"), Role.CLERK))
    beat_heartbeat.apply_async().get(timeout=20)
    response = client.get("/status/")
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "各项服务均正常应答" in html
    assert "由 test-worker@" in html
    assert html.count("<td>正常</td>") == 4


def test_status_page_reports_a_missing_worker(client):
    district_with_streets("A")
    client.force_login(member(Unit.objects.get(code="A-FLB"), Role.CLERK))
    response = client.get("/status/")
    html = response.content.decode()
    assert response.status_code == 503
    assert "秒内没有任务进程应答" in html
    assert "<td>故障</td>" in html


def test_beat_runs_periodic_tasks_from_the_database(tmp_path, worker):
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test heartbeat", task="core.beat_heartbeat", interval=every_second)
    schedule_file = tmp_path / "beat-schedule"
    with celery_process("beat", "--loglevel=INFO", "--schedule", str(schedule_file), log=tmp_path / "beat.log"):
        wait_until(lambda: Heartbeat.objects.filter(name="beat").exists(), timeout=45)
    assert PeriodicTask.objects.get(name="test heartbeat").total_run_count >= 1
