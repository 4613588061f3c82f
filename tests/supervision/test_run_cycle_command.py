"""`run_cycle` over the demo: every cycle makes its report and PDF once, and a second run nothing."""

import datetime
import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer, NumberCounter
from sanitation.organisations.models import Unit
from supervision.management.commands.run_cycle import MADE_NEW, NOTHING_NEW
from supervision.models import CycleReport, CycleRun, ReportState, RunState, RunTrigger
from tests.factories import district_with_streets

pytestmark = pytest.mark.django_db

NUMBERED = {"monthly", "quarterly", "annual"}


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    return DocumentIssuer.objects.get(unit__code="CD-FLB")


def run_cycle(*args) -> str:
    out = io.StringIO()
    call_command("run_cycle", *args, stdout=out)
    return out.getvalue()


def pdf_text(path: str) -> str:
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, check=True, text=True).stdout


def numbers_taken(issuer) -> int:
    return sum(NumberCounter.objects.filter(issuer=issuer).values_list("last_number", flat=True))


def test_every_cycle_makes_its_report_once(demo, tmp_path):
    past = timezone.localdate() - datetime.timedelta(days=1)
    issued_before = Circular.objects.filter(issuer=demo).count()
    numbers_before = numbers_taken(demo)

    for cycle in ["daily", "weekly", "monthly", "quarterly", "annual"]:
        out = run_cycle(cycle, "--date", past.isoformat())
        report = CycleReport.objects.get(cycle=cycle, issuer=demo)
        assert report.state == ReportState.DONE, out
        assert "CD-FLB" in out and f": {MADE_NEW}" in out
        assert report.title in out and report.pdf.path in out
        assert Path(report.pdf.path).is_file()
        text = pdf_text(report.pdf.path)
        assert "城东区" in text or demo.mark in text
        run = CycleRun.objects.get(cycle=cycle)
        assert (run.trigger, run.state, run.created, run.report) == (RunTrigger.COMMAND, RunState.DONE, True, report)
        if cycle in NUMBERED:
            assert report.circular.status == CircularStatus.ISSUED
            assert report.circular.number in out and report.circular.number in text
            assert report.pdf.name == report.circular.pdf.name
        else:
            assert report.circular is None
            assert report.pdf.name.startswith(f"cycle-reports/{report.period_start:%Y}/CD-FLB-{cycle}-")

    # The numbered cycles took exactly one number each.
    assert Circular.objects.filter(issuer=demo).count() == issued_before + 3
    assert numbers_taken(demo) == numbers_before + 3
    pdfs = sorted(path for path in tmp_path.rglob("*.pdf") if "CD-FLB" in path.name)
    assert len(pdfs) == 5

    rows = (CycleReport.objects.count(), Circular.objects.count(), numbers_taken(demo))
    for cycle in ["daily", "weekly", "monthly", "quarterly", "annual"]:
        out = run_cycle(cycle, "--date", past.isoformat())
        assert f": {NOTHING_NEW}" in out and f": {MADE_NEW}" not in out
    assert (CycleReport.objects.count(), Circular.objects.count(), numbers_taken(demo)) == rows
    assert sorted(path for path in tmp_path.rglob("*.pdf") if "CD-FLB" in path.name) == pdfs
    assert CycleRun.objects.filter(created=False, state=RunState.DONE).count() == 5

    # --regenerate remakes a draft report, and leaves an issued circular as it is.
    numbers = numbers_taken(demo)
    out = run_cycle("weekly", "--date", past.isoformat(), "--issuer", "CD-FLB", "--regenerate")
    assert f": {MADE_NEW}" in out
    weekly = CycleReport.objects.get(cycle="weekly")
    assert weekly.generations == 2 and Path(weekly.pdf.path).is_file()
    out = run_cycle("monthly", "--date", past.isoformat(), "--issuer", "城东分类办", "--regenerate")
    assert f": {NOTHING_NEW}" in out
    assert CycleReport.objects.get(cycle="monthly").generations == 1
    assert numbers_taken(demo) == numbers
    assert sorted(path for path in tmp_path.rglob("*.pdf") if "CD-FLB" in path.name) == pdfs


@pytest.fixture
def office(db):
    district_with_streets("A")
    return DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办")


def test_queue_leaves_the_run_to_the_workers(office, monkeypatch, django_capture_on_commit_callbacks):
    from supervision import tasks

    sent = []
    monkeypatch.setattr(tasks.run_cycle, "apply_async", lambda args, kwargs, task_id: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        out = run_cycle("weekly", "--date", "2026-03-09", "--queue")
    run = CycleRun.objects.get()
    assert run.state == RunState.QUEUED and f"{run.pk}" in out and run.task_id in out
    assert sent == [[run.pk]]
    assert not CycleReport.objects.exists()


def test_bad_date_and_unknown_issuer_are_refused(office):
    with pytest.raises(CommandError, match="2026-02-30"):
        run_cycle("weekly", "--date", "2026-02-30")
    with pytest.raises(CommandError, match="NOPE") as refused:
        run_cycle("weekly", "--issuer", "NOPE")
    assert "A-FLB" in str(refused.value)  # the codes that would do
    assert not CycleRun.objects.exists()
