"""The engine runs each (cycle, issuer, period) exactly once, with stand-in cycle modules: the
numbers and documents of the real cycles are tested with their modules."""

import datetime
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone, translation

from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer, NumberCounter
from sanitation.documents.services import circular_issue
from sanitation.organisations.models import Unit
from supervision import tasks
from supervision.cycle import delivery, engine
from supervision.cycle.base import ReportDocument
from supervision.models import CycleReport, CycleRun, ReportState, RunState, RunTrigger
from tests.factories import district_with_streets

MONDAY = datetime.date(2026, 3, 9)  # weekly: 2 – 8 March; monthly: February
MARK = "A区生活垃圾分类工作领导小组办公室"


class StandIn:
    """A cycle module that counts its calls; `fail` makes collect raise."""

    def __init__(self, *, numbered=False, delay=0.0):
        self.numbered = numbered
        self.delay = delay
        self.collected = 0
        self.prepared = 0
        self.fail: Exception | None = None
        self.body = "一、基本情况\n本期共督查{n}次，{district}各街道均已覆盖。"

    def prepare(self, *, district, start, end):
        self.prepared += 1
        return {"assignments": 3}

    def collect(self, *, district, start, end):
        self.collected += 1
        if self.fail is not None:
            raise self.fail
        time.sleep(self.delay)
        return {"n": 1, "from": start}  # a date: the engine stores it as JSON

    def document(self, *, issuer, district, start, end, data):
        kind = "调度通报" if self.numbered else "周报"
        return ReportDocument(
            title=f"{district.name}生活垃圾分类工作{kind}（{start:%Y年%m月%d日}至{end:%m月%d日}）",
            recipients="各街道",
            body=self.body.format(n=data["n"], district=district.name),
            numbered=self.numbered,
        )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def issuer(db):
    district_with_streets("A")
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark=MARK, signature=MARK, printed_by=MARK
    )


@pytest.fixture
def notified(monkeypatch):
    """Reports the leaders were told about (the delivery itself is tested with its module)."""
    reports = []
    monkeypatch.setattr(delivery, "leaders_notify", lambda *, report: reports.append(report.pk) or 1)
    return reports


@pytest.fixture
def weekly(monkeypatch):
    module = StandIn()
    monkeypatch.setitem(engine.CYCLE_MODULES, "weekly", module)
    return module


@pytest.fixture
def monthly(monkeypatch):
    module = StandIn(numbered=True)
    monkeypatch.setitem(engine.CYCLE_MODULES, "monthly", module)
    return module


def run_now(cycle, issuer, *, day=MONDAY, regenerate=False) -> CycleRun:
    run = cycle_request(cycle, issuer, day=day, regenerate=regenerate)
    return engine.cycle_run_execute(run_id=run.pk, day=day)


def cycle_request(cycle, issuer, *, day=MONDAY, regenerate=False) -> CycleRun:
    return engine.cycle_run_request(
        cycle=cycle, issuer=issuer, day=day, trigger=RunTrigger.COMMAND, regenerate=regenerate, enqueue=False
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def files(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file())


# Exactly once -----------------------------------------------------------------------------------


def test_two_runs_for_the_same_period_make_one_report(issuer, weekly, media, notified):
    first = run_now("weekly", issuer)
    second = run_now("weekly", issuer, day=MONDAY + datetime.timedelta(days=2))  # the same week

    report = CycleReport.objects.get()
    assert (report.cycle, report.period_start, report.period_end) == (
        "weekly",
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 8),
    )
    assert report.state == ReportState.DONE and report.generations == 1
    assert report.district == Unit.objects.get(code="A")
    assert report.data == {"n": 1, "from": "2026-03-02"}
    assert report.title == "A区生活垃圾分类工作周报（2026年03月02日至03月08日）"
    assert "本期共督查1次" in report.body
    assert (first.state, first.created, first.report_id, first.attempts) == (RunState.DONE, True, report.pk, 1)
    assert first.started_at and first.finished_at and first.worker
    assert (second.state, second.created, second.report_id) == (RunState.DONE, False, report.pk)
    assert second.output == str(engine.REPORT_EXISTS % {"start": "2026-03-02", "end": "2026-03-08"})
    assert weekly.collected == 1
    assert notified == [report.pk]

    assert report.pdf.name == "cycle-reports/2026/A-FLB-weekly-2026-03-02.pdf"
    assert files(media) == [media / report.pdf.name]
    text = pdf_text(media / report.pdf.name)
    assert MARK in text and "本期共督查1次" in text
    assert report.circular is None


def test_a_run_outputs_what_it_made(issuer, weekly, media, notified):
    with translation.override("en"):
        run = run_now("weekly", issuer)
        again = run_now("weekly", issuer)
    assert re.fullmatch(r"Made A区生活垃圾分类工作周报（2026年03月02日至03月08日） \(\d pages?\)\.", run.output)
    assert again.output == "The report for 2026-03-02 – 2026-03-08 exists already: nothing new was made."


def test_daily_prepares_the_day_before_collecting(issuer, monkeypatch, media, notified):
    daily = StandIn()
    monkeypatch.setitem(engine.CYCLE_MODULES, "daily", daily)
    run = run_now("daily", issuer, day=MONDAY)
    assert (daily.prepared, daily.collected) == (1, 1)
    assert run.report.period_start == run.report.period_end == MONDAY
    assert '"assignments": 3' in run.output
    run_now("daily", issuer, day=MONDAY)
    assert daily.prepared == 1  # the day's report exists: nothing is prepared again


def test_other_periods_and_issuers_get_their_own_reports(issuer, weekly, media, notified):
    district_with_streets("B")
    other = DocumentIssuer.objects.create(unit=Unit.objects.get(code="B-FLB"), prefix="B分类办", mark="B区分类办")
    run_now("weekly", issuer)
    run_now("weekly", issuer, day=MONDAY + datetime.timedelta(days=7))
    run_now("weekly", other)
    assert CycleReport.objects.count() == 3
    assert CycleReport.objects.get(issuer=other).district.code == "B"
    assert len(files(media)) == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_make_one_report_and_take_one_number(media, notified, monkeypatch):
    monthly = StandIn(numbered=True, delay=0.5)
    monkeypatch.setitem(engine.CYCLE_MODULES, "monthly", monthly)
    district_with_streets("A")
    issuer = DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark=MARK)
    runs = [cycle_request("monthly", issuer) for _ in range(2)]
    start = threading.Barrier(2)
    results, errors = {}, []

    def execute(run_id):
        try:
            start.wait()
            results[run_id] = engine.cycle_run_execute(run_id=run_id, day=MONDAY)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute, args=(run.pk,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(run.created for run in results.values()) == [False, True]
    report = CycleReport.objects.get()
    assert {run.report_id for run in results.values()} == {report.pk}
    circular = Circular.objects.get()
    assert report.circular == circular and circular.status == CircularStatus.ISSUED
    assert circular.number == "A分类办〔2026〕1号"
    assert NumberCounter.objects.get(issuer=issuer, year=2026).last_number == 1
    assert report.pdf.name == circular.pdf.name and report.pdf_sha256 == circular.pdf_sha256
    assert files(media) == [media / circular.pdf.name]
    assert monthly.collected == 1  # the second waited for the first and found its report
    assert notified == [report.pk]


@pytest.mark.django_db(transaction=True)
def test_the_same_run_delivered_twice_at_once_is_done_once(media, notified, monkeypatch):
    weekly = StandIn(delay=0.5)
    monkeypatch.setitem(engine.CYCLE_MODULES, "weekly", weekly)
    district_with_streets("A")
    issuer = DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark=MARK)
    run = cycle_request("weekly", issuer)
    results = []

    def execute():
        try:
            results.append(engine.cycle_run_execute(run_id=run.pk, day=MONDAY))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=60)
    run.refresh_from_db()
    # The second delivery waited for the first and left its result alone.
    assert (run.state, run.created, run.attempts) == (RunState.DONE, True, 1)
    assert weekly.collected == 1
    assert CycleReport.objects.count() == 1


# Regenerating ------------------------------------------------------------------------------------


def test_regenerating_a_draft_rewrites_the_same_row_and_file(issuer, weekly, media, notified):
    first = run_now("weekly", issuer)
    name = first.report.pdf.name
    weekly.body = "一、基本情况\n重新生成：本期共督查{n}次。"
    again = run_now("weekly", issuer, regenerate=True)

    report = CycleReport.objects.get()
    assert again.created is True and again.report_id == report.pk
    assert report.generations == 2
    assert report.pdf.name == name
    assert files(media) == [media / name]
    assert "重新生成" in pdf_text(media / name)
    assert notified == [report.pk]  # leaders hear of a report once


def test_regenerating_a_draft_circular_updates_it_and_issuing_later_numbers_it_once(
    issuer, monthly, media, notified, settings
):
    settings.CYCLE_ISSUE_CIRCULARS = False
    first = run_now("monthly", issuer)
    report = first.report
    circular = report.circular
    assert circular.status == CircularStatus.DRAFT and circular.number == ""
    assert circular.written_on == MONDAY and circular.kind == "bulletin" and circular.recipients == "各街道"
    assert report.pdf.name == "cycle-reports/2026/A-FLB-monthly-2026-02-01.pdf"
    assert "本期共督查1次" in pdf_text(media / report.pdf.name)
    assert not NumberCounter.objects.exists()

    monthly.body = "一、基本情况\n第二稿。"
    run_now("monthly", issuer, regenerate=True)
    report.refresh_from_db()
    assert report.generations == 2 and report.circular_id == circular.pk
    assert Circular.objects.get().body == "一、基本情况\n第二稿。"
    assert "第二稿" in pdf_text(media / report.pdf.name)

    settings.CYCLE_ISSUE_CIRCULARS = True
    issued = run_now("monthly", issuer, regenerate=True)
    report.refresh_from_db()
    circular.refresh_from_db()
    assert issued.created is True
    assert circular.status == CircularStatus.ISSUED and circular.number == "A分类办〔2026〕1号"
    assert report.pdf.name == circular.pdf.name
    # The draft's PDF made way for the circular's.
    assert files(media) == [media / circular.pdf.name]
    assert "A分类办〔2026〕1号" in pdf_text(media / circular.pdf.name)


def test_a_draft_circular_issued_by_hand_becomes_the_reports_pdf(issuer, monthly, media, notified, settings):
    settings.CYCLE_ISSUE_CIRCULARS = False
    report = run_now("monthly", issuer).report
    draft_pdf = media / report.pdf.name
    circular = circular_issue(report.circular.pk)

    again = run_now("monthly", issuer)
    report.refresh_from_db()
    assert again.created is False
    assert (report.pdf.name, report.pdf_sha256) == (circular.pdf.name, circular.pdf_sha256)
    assert not draft_pdf.exists()
    assert files(media) == [media / circular.pdf.name]


def test_an_issued_circular_is_never_replaced_and_takes_no_second_number(issuer, monthly, media, notified):
    first = run_now("monthly", issuer)
    circular = first.report.circular
    assert circular.status == CircularStatus.ISSUED
    monthly.body = "一、基本情况\n不应出现的第二稿。"

    again = run_now("monthly", issuer, regenerate=True)
    assert (again.state, again.created, again.report_id) == (RunState.DONE, False, first.report_id)
    period = {"number": "A分类办〔2026〕1号", "start": "2026-02-01", "end": "2026-02-28"}
    assert again.output == str(engine.CIRCULAR_ISSUED % period)
    assert Circular.objects.count() == 1
    assert Circular.objects.get().body == circular.body
    assert NumberCounter.objects.get().last_number == 1
    assert CycleReport.objects.get().generations == 1
    assert monthly.collected == 1
    assert files(media) == [media / circular.pdf.name]


# Failing -----------------------------------------------------------------------------------------


def test_a_transient_failure_is_retried_then_the_run_fails_with_nothing_written(issuer, monthly, media, notified):
    monthly.fail = OperationalError("server closed the connection unexpectedly")
    run = cycle_request("monthly", issuer)

    result = tasks.run_cycle.apply(args=[run.pk], kwargs={"day": MONDAY.isoformat()})

    assert result.failed()
    assert monthly.collected == 1 + tasks.run_cycle.max_retries
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.finished_at is not None
    assert run.attempts == 1 + tasks.run_cycle.max_retries
    assert "OperationalError: server closed the connection unexpectedly" in run.output
    assert not CycleReport.objects.exists()
    assert not Circular.objects.exists() and not NumberCounter.objects.filter(last_number__gt=0).exists()
    assert files(media) == []


def test_an_error_that_no_retry_mends_fails_the_run_at_once(issuer, weekly, media, notified):
    weekly.fail = KeyError("street")
    run = cycle_request("weekly", issuer)
    result = tasks.run_cycle.apply(args=[run.pk])
    assert result.failed()
    run.refresh_from_db()
    assert (run.state, run.attempts, weekly.collected) == (RunState.FAILED, 1, 1)
    assert "KeyError" in run.output
    assert not CycleReport.objects.exists()


def test_a_failure_after_the_number_was_taken_gives_it_back_and_leaves_no_file(
    issuer, monthly, media, monkeypatch, django_capture_on_commit_callbacks
):
    def broken_mail(*, report):
        raise OSError("mail server unreachable")

    monkeypatch.setattr(delivery, "leaders_notify", broken_mail)
    run = cycle_request("monthly", issuer)
    with pytest.raises(OSError):
        engine.cycle_run_execute(run_id=run.pk, day=MONDAY)
    run.refresh_from_db()
    # Waiting for the task's next attempt, with what went wrong.
    assert run.state == RunState.QUEUED and "mail server unreachable" in run.output
    assert not CycleReport.objects.exists()
    assert not Circular.objects.exists()
    assert not NumberCounter.objects.filter(last_number__gt=0).exists()
    assert files(media) == []  # circular_issue's file went with the rollback

    monkeypatch.setattr(delivery, "leaders_notify", lambda *, report: 1)
    done = engine.cycle_run_execute(run_id=run.pk, day=MONDAY)
    assert (done.state, done.attempts) == (RunState.DONE, 2)
    assert Circular.objects.get().number == "A分类办〔2026〕1号"
    assert files(media) == [media / Circular.objects.get().pdf.name]


def test_a_regeneration_that_fails_after_writing_puts_the_old_file_back(issuer, weekly, media, notified, monkeypatch):
    first = run_now("weekly", issuer)
    path = media / first.report.pdf.name
    old = path.read_bytes()
    original_write = engine._WrittenFiles.write

    def write_then_fail(self, name, data):
        original_write(self, name, data)
        raise OSError("disk full")

    monkeypatch.setattr(engine._WrittenFiles, "write", write_then_fail)
    weekly.body = "一、基本情况\n第二稿。"
    with pytest.raises(OSError):
        run_now("weekly", issuer, regenerate=True)
    assert path.read_bytes() == old
    assert files(media) == [path]
    assert CycleReport.objects.get().generations == 1


def test_a_run_that_keeps_being_redelivered_gives_up(issuer, weekly, media, notified):
    run = cycle_request("weekly", issuer)
    CycleRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, attempts=engine.MAX_ATTEMPTS)
    run = engine.cycle_run_execute(run_id=run.pk)
    assert run.state == RunState.FAILED and run.finished_at
    assert weekly.collected == 0
    assert not CycleReport.objects.exists()


def test_a_finished_run_is_left_alone(issuer, weekly, media, notified):
    run = run_now("weekly", issuer)
    again = engine.cycle_run_execute(run_id=run.pk)
    assert (again.state, again.attempts, again.finished_at) == (RunState.DONE, 1, run.finished_at)
    assert engine.cycle_run_fail(run_id=run.pk, error="late").state == RunState.DONE


# Requesting and beat ------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """Task messages, as (args, kwargs, task_id), instead of the broker."""
    messages = []

    def apply_async(args=None, kwargs=None, task_id=None, **options):
        messages.append((args, kwargs, task_id))

    monkeypatch.setattr(tasks.run_cycle, "apply_async", apply_async)
    return messages


def test_a_request_is_queued_when_its_transaction_commits(issuer, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = engine.cycle_run_request(cycle="quarterly", issuer=issuer, day=datetime.date(2026, 4, 1), trigger="web")
        assert sent == []
    assert len(callbacks) == 1
    assert (run.state, run.period_start, run.period_end) == (
        RunState.QUEUED,
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert sent == [([run.pk], {"day": "2026-04-01"}, run.task_id)]
    assert run.task_id


def test_a_request_the_broker_refuses_shows_as_failed(issuer, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.run_cycle, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        run = engine.cycle_run_request(cycle="weekly", issuer=issuer, day=MONDAY, trigger="web")
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "6379" in run.output


def test_unknown_cycle_is_refused(issuer):
    with pytest.raises(ValueError):
        engine.cycle_run_request(cycle="hourly", issuer=issuer, day=MONDAY, trigger="web")


def test_beat_twice_requests_one_run(issuer, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = engine.cycle_beat(cycle="weekly", day=MONDAY)
        second = engine.cycle_beat(cycle="weekly", day=MONDAY)
    assert len(first) == 1 and second == []
    run = CycleRun.objects.get()
    assert (run.trigger, run.issuer, run.period_start) == (RunTrigger.BEAT, issuer, datetime.date(2026, 3, 2))
    assert len(sent) == 1


def test_beat_leaves_done_periods_alone_and_replaces_a_run_gone_quiet(
    issuer, weekly, media, notified, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stale = engine.cycle_beat(cycle="weekly", day=MONDAY)[0]
    CycleRun.objects.filter(pk=stale.pk).update(
        state=RunState.RUNNING, queued_at=timezone.now() - engine.BEAT_PATIENCE - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        fresh = engine.cycle_beat(cycle="weekly", day=MONDAY)
    assert len(fresh) == 1 and fresh[0].pk != stale.pk
    engine.cycle_run_execute(run_id=fresh[0].pk, day=MONDAY)
    CycleRun.objects.filter(pk=fresh[0].pk).update(queued_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.cycle_beat(cycle="weekly", day=MONDAY) == []
    # The quiet run, when its worker comes back, finds the report made.
    late = engine.cycle_run_execute(run_id=stale.pk, day=MONDAY)
    assert (late.state, late.created) == (RunState.DONE, False)
    assert CycleReport.objects.count() == 1


def test_beat_task_asks_the_engine_for_today(issuer, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_ids = tasks.cycle_beat.apply(args=["daily"]).get()
    run = CycleRun.objects.get()
    assert run_ids == [run.pk]
    assert run.period_start == timezone.localdate()
    assert connection.vendor  # the task used the test database


def test_schedules_run_the_cycle_at_office_times_and_a_sync_leaves_edits_alone(db, settings):
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    from sanitation.core.schedules import periodic_tasks_sync

    PeriodicTask.objects.filter(name__startswith="cycle ").delete()
    created = periodic_tasks_sync()
    assert {"cycle daily", "cycle weekly", "cycle monthly", "cycle quarterly", "cycle annual"} <= set(created)
    daily = PeriodicTask.objects.get(name="cycle daily")
    assert (daily.task, json.loads(daily.args)) == ("supervision.cycle_beat", ["daily"])
    assert (daily.interval.every, daily.interval.period) == (1, IntervalSchedule.HOURS)
    assert daily.start_time <= timezone.now()  # beat runs it as soon as it starts
    expected = {
        "cycle weekly": ("weekly", "30", "6", "1", "*", "*"),
        "cycle monthly": ("monthly", "0", "7", "*", "1", "*"),
        "cycle quarterly": ("quarterly", "30", "7", "*", "1", "1,4,7,10"),
        "cycle annual": ("annual", "0", "8", "*", "2", "1"),
    }
    for name, (cycle, *when) in expected.items():
        task = PeriodicTask.objects.get(name=name)
        crontab = task.crontab
        assert (task.task, json.loads(task.args)) == ("supervision.cycle_beat", [cycle])
        assert [crontab.minute, crontab.hour, crontab.day_of_week, crontab.day_of_month, crontab.month_of_year] == when
        assert str(crontab.timezone) == settings.TIME_ZONE

    weekly = PeriodicTask.objects.get(name="cycle weekly")
    weekly.crontab = CrontabSchedule.objects.create(minute="0", hour="9", day_of_week="1", timezone="Asia/Shanghai")
    weekly.save()
    tasks_before = list(PeriodicTask.objects.order_by("pk").values("name", "interval_id", "crontab_id", "args"))
    assert periodic_tasks_sync() == []
    assert list(PeriodicTask.objects.order_by("pk").values("name", "interval_id", "crontab_id", "args")) == tasks_before
    assert PeriodicTask.objects.get(name="cycle weekly").crontab.hour == "9"


def test_admin_shows_reports_and_runs_read_only(admin_client, issuer, weekly, media, notified):
    run = run_now("weekly", issuer)
    for path in [
        "/admin/supervision/cyclereport/",
        f"/admin/supervision/cyclereport/{run.report_id}/change/",
        "/admin/supervision/cyclerun/?state=done",
        f"/admin/supervision/cyclerun/{run.pk}/change/",
    ]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
    assert admin_client.get("/admin/supervision/cyclerun/add/").status_code == 403
    html = admin_client.get(f"/admin/supervision/cyclerun/{run.pk}/change/").content.decode()
    assert 'name="_save"' not in html
