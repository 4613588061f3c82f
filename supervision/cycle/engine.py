"""Running a cycle exactly once per (cycle, issuer, period).

A run (CycleRun) is a request; the report (CycleReport) is its result, unique per
(cycle, issuer, period_start) in the database. cycle_run_execute makes a report in ONE
transaction with the report row locked, so a second run, a retry or a redelivered task finds
the report done, and a crash before the commit leaves nothing behind and takes no number.
"""

import datetime
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from sanitation.core.history import record
from sanitation.core.models import ChangeAction
from sanitation.documents.models import CircularKind
from sanitation.documents.services import circular_create, circular_issue, circular_update

from ..models import Cycle, CycleReport, CycleRun, ReportState, RunState, RunTrigger
from . import annual, base, daily, delivery, monthly, quarterly, weekly
from .periods import cycle_issuers, cycle_period, district_of_issuer

logger = logging.getLogger(__name__)

CYCLE_MODULES = {
    Cycle.DAILY.value: daily,
    Cycle.WEEKLY.value: weekly,
    Cycle.MONTHLY.value: monthly,
    Cycle.QUARTERLY.value: quarterly,
    Cycle.ANNUAL.value: annual,
}

FINAL_STATES = (RunState.DONE, RunState.FAILED)
# A beat firing leaves alone a period somebody is already working on, unless that run has gone quiet.
BEAT_PATIENCE = timedelta(minutes=30)
# Retries (the task's max_retries) and redeliveries after a lost worker both count; a run that keeps
# killing its worker must still end, visibly.
MAX_ATTEMPTS = 10

STEP_MAKING = _("Collecting the numbers and writing the report")
STEP_WAITING = _("Waiting for another attempt")
REPORT_EXISTS = _("The report for %(start)s – %(end)s exists already: nothing new was made.")
CIRCULAR_ISSUED = _("The circular %(number)s for %(start)s – %(end)s is issued and is never replaced.")
REPORT_MADE = ngettext_lazy("Made %(title)s (%(pages)d page).", "Made %(title)s (%(pages)d pages).", "pages")
CIRCULAR_MADE = ngettext_lazy(
    "Made %(title)s, %(number)s (%(pages)d page).", "Made %(title)s, %(number)s (%(pages)d pages).", "pages"
)
DRAFT_MADE = ngettext_lazy(
    "Made %(title)s as a draft circular, not numbered yet (%(pages)d page).",
    "Made %(title)s as a draft circular, not numbered yet (%(pages)d pages).",
    "pages",
)
ATTEMPT_FAILED = _("Attempt %(attempt)s failed: %(error)s")
GAVE_UP = _("Gave up after %(attempts)s attempts.")
NOT_ENQUEUED = _("The run could not be queued: %(error)s")


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# Requesting ----------------------------------------------------------------------------------


def cycle_run_request(
    *,
    cycle: str,
    issuer,
    day: datetime.date,
    trigger: str,
    user=None,
    regenerate: bool = False,
    enqueue: bool = True,
) -> CycleRun:
    """Record a run (QUEUED) and enqueue its task when the transaction commits.

    `day` is the day the cycle runs for: it fixes the period and is the document's date.
    enqueue=False records the run for a caller that executes it in-process (run_cycle)."""
    if cycle not in CYCLE_MODULES:
        raise ValueError(f"unknown cycle {cycle!r}")
    start, end = cycle_period(cycle, day)
    run = CycleRun.objects.create(
        cycle=cycle,
        issuer=issuer,
        period_start=start,
        period_end=end,
        trigger=trigger,
        started_by=user,
        regenerate=regenerate,
        # Made here, not by the broker, so the row knows its task before the task exists.
        task_id=str(uuid.uuid4()) if enqueue else "",
    )
    if enqueue:
        run_id, task_id, day_text = run.pk, run.task_id, day.isoformat()
        transaction.on_commit(lambda: _run_enqueue(run_id=run_id, task_id=task_id, day=day_text))
    return run


def _run_enqueue(*, run_id: int, task_id: str, day: str) -> None:
    from ..tasks import run_cycle  # the tasks module imports this one

    try:
        run_cycle.apply_async(args=[run_id], kwargs={"day": day}, task_id=task_id)
    except Exception as error:
        # The request is committed; a broker that does not answer must show on the run, not vanish.
        logger.exception("cycle run %s could not be queued", run_id)
        cycle_run_fail(run_id=run_id, error=str(NOT_ENQUEUED % {"error": _error_text(error)}))


# Executing ---------------------------------------------------------------------------------


def _run_start(run_id: int, worker: str) -> CycleRun:
    """Mark the run RUNNING and count the attempt, committed at once so the page shows it."""
    with transaction.atomic(durable=True):
        run = CycleRun.objects.select_for_update().get(pk=run_id)
        if run.state in FINAL_STATES:
            return run
        if run.attempts >= MAX_ATTEMPTS:
            run.state = RunState.FAILED
            run.output = "\n".join(filter(None, [run.output, str(GAVE_UP % {"attempts": run.attempts})]))
            run.finished_at = timezone.now()
            run.step = ""
            run.save(update_fields=["state", "output", "finished_at", "step"])
            return run
        run.state = RunState.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.worker = worker[:255]
        run.step = str(STEP_MAKING)[:100]
        run.save(update_fields=["state", "attempts", "started_at", "worker", "step"])
        return run


def cycle_run_execute(*, run_id: int, worker: str = "", day: datetime.date | None = None) -> CycleRun:
    """Do the run (called by the task; idempotent). The report is made at most once: a report that
    is done is only made again for a run that asks to regenerate it and has no issued circular.

    Call it outside any transaction: it commits twice (the run's start, then the report). `day` is
    the document's date (the day the run was requested for); by default the day the run was
    queued. Raises what went wrong after noting it on the run; the caller decides whether to try
    again (the task) or to give up (cycle_run_fail)."""
    run = _run_start(run_id, worker or _worker_name())
    if run.state in FINAL_STATES:
        return run
    written = _WrittenFiles()
    try:
        with transaction.atomic(durable=True):
            run = _run_make(run_id=run_id, day=day, written=written)
    except BaseException as error:
        # The transaction rolled back: no row, no number; take back the files it wrote too.
        written.undo()
        if isinstance(error, Exception):
            _run_note_error(run_id=run_id, error=error)
        raise
    written.commit()
    return run


def _run_make(*, run_id: int, day, written: "_WrittenFiles") -> CycleRun:
    # Locked for the whole transaction: a duplicate delivery of the same run waits here and
    # then finds it finished.
    run = CycleRun.objects.select_for_update(of=("self",)).select_related("issuer__unit", "started_by").get(pk=run_id)
    if run.state in FINAL_STATES:
        return run
    issuer = run.issuer
    district = district_of_issuer(issuer)
    # The unique constraint makes two creators meet here: the second waits for the first to
    # commit and then gets its row.
    created_report, _created = CycleReport.objects.get_or_create(
        cycle=run.cycle,
        issuer=issuer,
        period_start=run.period_start,
        defaults={"district": district, "period_end": run.period_end},
    )
    report = CycleReport.objects.select_for_update().get(pk=created_report.pk)
    circular = report.circular
    period = {"start": f"{report.period_start:%Y-%m-%d}", "end": f"{report.period_end:%Y-%m-%d}"}

    if circular is not None and circular.is_issued:
        if report.pdf.name != circular.pdf.name:
            # A draft the office issued by hand: the report's PDF becomes the numbered one.
            written.drop_on_commit(report.pdf.name)
            report.pdf.name, report.pdf_sha256 = circular.pdf.name, circular.pdf_sha256
            report.save(update_fields=["pdf", "pdf_sha256"])
        message = CIRCULAR_ISSUED % {"number": circular.number, **period}
        return _run_finish(run, report=report, created=False, output=str(message))
    if report.state == ReportState.DONE and not run.regenerate:
        return _run_finish(run, report=report, created=False, output=str(REPORT_EXISTS % period))

    first_time = report.state != ReportState.DONE
    module = CYCLE_MODULES[run.cycle]
    start, end = report.period_start, report.period_end
    notes = []
    if run.cycle == Cycle.DAILY:
        prepared = module.prepare(district=district, start=start, end=end)
        if prepared:
            notes.append(json.dumps(prepared, cls=DjangoJSONEncoder, ensure_ascii=False))
    data = module.collect(district=district, start=start, end=end)
    written_on = day or timezone.localdate(run.queued_at)
    with base.in_document_language():
        document = module.document(issuer=issuer, district=district, start=start, end=end, data=data)
    _test_delay()

    old_pdf = report.pdf.name
    if document.numbered:
        circular = _circular_write(report=report, document=document, written_on=written_on, user=run.started_by)
    if circular is not None and circular.is_issued:
        pdf_name, pdf_bytes, pages = circular.pdf.name, None, circular.pdf_pages
        report.pdf_sha256 = circular.pdf_sha256
        written.own(pdf_name)  # circular_issue wrote it; a rollback must take it back
        message = CIRCULAR_MADE % {"title": document.title, "number": circular.number, "pages": pages}
    else:
        with base.in_document_language():
            pdf_bytes, pages = base.report_pdf(document=document, issuer=issuer, written_on=written_on)
        pdf_name = report_pdf_name(report)
        report.pdf_sha256 = _sha256(pdf_bytes)
        made = DRAFT_MADE if circular is not None else REPORT_MADE
        message = made % {"title": document.title, "pages": pages}
    if old_pdf and old_pdf != pdf_name:
        # A regenerated draft whose circular is now issued: the draft's PDF goes once that commits.
        written.drop_on_commit(old_pdf)

    report.district = district
    report.circular = circular
    report.data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    report.body = document.body
    report.figures = document.figures
    report.title = document.title[:200]
    report.pdf.name = pdf_name
    report.state = ReportState.DONE
    report.generated_at = timezone.now()
    report.generations += 1
    report.save()
    if first_time:
        record(report, by=run.started_by, action=ChangeAction.CREATED, new=report.title)
    else:
        record(report, by=run.started_by, field="generations", old=report.generations - 1, new=report.generations)
    if first_time:
        delivery.leaders_notify(report=report)
    run = _run_finish(run, report=report, created=True, output="\n".join([str(message), *notes]))
    if pdf_bytes is not None:
        # The last step before the commit: a crash before it leaves no file to clean up.
        written.write(pdf_name, pdf_bytes)
    return run


def _circular_write(*, report: CycleReport, document: base.ReportDocument, written_on, user):
    fields = {
        "kind": CircularKind.BULLETIN,
        "title": document.title,
        "recipients": document.recipients,
        "body": document.body,
        "figures": document.figures,
        "attachments": document.attachments,
        "copy_to": document.copy_to,
        "written_on": written_on,
        "printed_on": written_on,
    }
    if report.circular is None:
        circular = circular_create(issuer=report.issuer, user=user, **fields)
    else:
        circular = circular_update(report.circular, user=user, **fields)
    if settings.CYCLE_ISSUE_CIRCULARS:
        with base.in_document_language():
            circular = circular_issue(circular.pk, user=user)
    return circular


def _run_finish(run: CycleRun, *, report: CycleReport, created: bool, output: str) -> CycleRun:
    run.state = RunState.DONE
    run.report = report
    run.created = created
    run.output = output
    run.step = ""
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "report", "created", "output", "step", "finished_at"])
    return run


def _run_note_error(*, run_id: int, error: Exception) -> None:
    """Say on the run what went wrong; it waits for another attempt or for cycle_run_fail."""
    try:
        with transaction.atomic():
            run = CycleRun.objects.select_for_update().get(pk=run_id)
            if run.state in FINAL_STATES:
                return
            run.state = RunState.QUEUED
            run.step = str(STEP_WAITING)[:100]
            run.output = str(ATTEMPT_FAILED % {"attempt": run.attempts, "error": _error_text(error)})
            run.save(update_fields=["state", "step", "output"])
    except Exception:
        # The database may be what failed; the original error is the one to raise.
        logger.exception("could not note the failure of cycle run %s", run_id)


def cycle_run_fail(*, run_id: int, error: str) -> CycleRun:
    """The run gave up: FAILED, with the error. A run that finished meanwhile stays as it is."""
    with transaction.atomic():
        run = CycleRun.objects.select_for_update().get(pk=run_id)
        if run.state in FINAL_STATES:
            return run
        run.state = RunState.FAILED
        run.output = "\n".join(filter(None, [run.output, error]))
        run.step = ""
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "output", "step", "finished_at"])
        return run


def _test_delay() -> None:
    # Only for the tests that kill a worker in the middle of a run (CYCLE_RUN_DELAY_SECONDS).
    seconds = float(getattr(settings, "CYCLE_RUN_DELAY_SECONDS", 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


# Files ----------------------------------------------------------------------------------------


def report_pdf_name(report: CycleReport) -> str:
    """Server-made and the same for every generation of a report, so a regenerated draft or a
    redelivered run replaces the file instead of adding one."""
    start = report.period_start
    return f"cycle-reports/{start:%Y}/{report.issuer.unit.code}-{report.cycle}-{start:%Y-%m-%d}.pdf"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _WrittenFiles:
    """The files a run's transaction writes, so that a rollback takes them back (and puts back
    what they replaced) and a commit removes what they superseded."""

    def __init__(self):
        self.storage = CycleReport._meta.get_field("pdf").storage
        self.created: list[str] = []
        self.replaced: dict[str, bytes] = {}
        self.superseded: list[str] = []

    def own(self, name: str) -> None:
        self.created.append(name)

    def write(self, name: str, data: bytes) -> None:
        if self.storage.exists(name):
            # The previous generation of a draft, or what a crashed attempt left before its commit.
            with self.storage.open(name, "rb") as old:
                self.replaced[name] = old.read()
            self.storage.delete(name)
        saved = self.storage.save(name, ContentFile(data))
        self.created.append(saved)
        if saved != name:  # only if another process wrote the name in between
            raise OSError(f"{name} was written meanwhile as {saved}")

    def drop_on_commit(self, name: str) -> None:
        if name:
            self.superseded.append(name)

    def undo(self) -> None:
        for name in self.created:
            try:
                self.storage.delete(name)
            except OSError:
                logger.exception("could not remove %s after a rollback", name)
        for name, data in self.replaced.items():
            try:
                self.storage.save(name, ContentFile(data))
            except OSError:
                logger.exception("could not restore %s after a rollback", name)

    def commit(self) -> None:
        for name in self.superseded:
            try:
                self.storage.delete(name)
            except OSError:
                logger.exception("could not remove the superseded %s", name)


# Beat ----------------------------------------------------------------------------------------


def cycle_beat(*, cycle: str, day: datetime.date | None = None) -> list[CycleRun]:
    """Called by beat: a run for every cycle issuer whose report for the period is not done yet."""
    day = day or timezone.localdate()
    start, _end = cycle_period(cycle, day)
    runs = []
    with transaction.atomic():
        # Two beat firings at the same moment take turns here, so the second sees the first's runs.
        issuers = list(cycle_issuers().select_for_update(of=("self",)))
        done = set(
            CycleReport.objects.filter(cycle=cycle, period_start=start, state=ReportState.DONE).values_list(
                "issuer_id", flat=True
            )
        )
        busy = set(
            CycleRun.objects.filter(
                cycle=cycle,
                period_start=start,
                state__in=[RunState.QUEUED, RunState.RUNNING],
                queued_at__gte=timezone.now() - BEAT_PATIENCE,
            ).values_list("issuer_id", flat=True)
        )
        for issuer in issuers:
            if issuer.pk in done or issuer.pk in busy:
                continue
            runs.append(cycle_run_request(cycle=cycle, issuer=issuer, day=day, trigger=RunTrigger.BEAT))
    return runs
