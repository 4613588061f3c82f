import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.cycle.engine import cycle_run_execute, cycle_run_fail, cycle_run_request
from supervision.cycle.periods import CYCLES, cycle_issuers
from supervision.models import CycleRun, RunState, RunTrigger

NOTHING_NEW = gettext_lazy("nothing new was made")
MADE_NEW = gettext_lazy("made")
RUN_FAILED = gettext_lazy("failed")


class Command(BaseCommand):
    help = (
        "Run a cycle (daily, weekly, monthly, quarterly, annual) by hand for every sorting office, or one. "
        "Runs in this process unless --queue is given; a report that exists is not made again."
    )

    def add_arguments(self, parser):
        parser.add_argument("cycle", choices=CYCLES)
        parser.add_argument(
            "--date", help=("the day the cycle runs on, YYYY-MM-DD (default: today); it fixes the period")
        )
        parser.add_argument("--issuer", help=("only the office with this unit code or number prefix"))
        parser.add_argument("--regenerate", action="store_true", help=("make a draft again (an issued circular stays)"))
        parser.add_argument("--queue", action="store_true", help=("leave the runs to the Celery workers"))

    def handle(self, *args, cycle, date=None, issuer=None, regenerate=False, queue=False, **options):
        day = self._day(date)
        issuers = self._issuers(issuer)
        if queue:
            for office in issuers:
                run = cycle_run_request(
                    cycle=cycle, issuer=office, day=day, trigger=RunTrigger.COMMAND, regenerate=regenerate
                )
                self.stdout.write(
                    _("%(issuer)s: run %(run)s queued (task %(task)s)")
                    % {"issuer": office, "run": run.pk, "task": run.task_id}
                )
            return
        failed = 0
        for office in issuers:
            run = cycle_run_request(
                cycle=cycle, issuer=office, day=day, trigger=RunTrigger.COMMAND, regenerate=regenerate, enqueue=False
            )
            try:
                run = cycle_run_execute(run_id=run.pk, day=day)
            except Exception as error:
                run = cycle_run_fail(run_id=run.pk, error=f"{type(error).__name__}: {error}")
            failed += run.state == RunState.FAILED
            self._print(office, run)
        if failed:
            raise CommandError(_("%(failed)d of %(total)d runs failed.") % {"failed": failed, "total": len(issuers)})

    def _day(self, text: str | None) -> datetime.date:
        if not text:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise CommandError(_("%(date)s is not a date of the form YYYY-MM-DD.") % {"date": text}) from None

    def _issuers(self, code: str | None) -> list:
        issuers = list(cycle_issuers())
        if code:
            issuers = [office for office in issuers if code in (office.unit.code, office.prefix)]
            if not issuers:
                known = ", ".join(f"{office.unit.code} ({office.prefix})" for office in cycle_issuers())
                raise CommandError(
                    _("No sorting office runs the cycle under %(code)s. Known: %(known)s.")
                    % {"code": code, "known": known or "—"}
                )
        elif not issuers:
            raise CommandError(_("No sorting office has a document issuer: nothing to run."))
        return issuers

    def _print(self, office, run: CycleRun) -> None:
        head = _("%(issuer)s (%(code)s), %(cycle)s %(start)s – %(end)s") % {
            "issuer": office,
            "code": office.unit.code,
            "cycle": run.get_cycle_display(),
            "start": f"{run.period_start:%Y-%m-%d}",
            "end": f"{run.period_end:%Y-%m-%d}",
        }
        if run.state == RunState.FAILED:
            self.stdout.write(f"{head}: {RUN_FAILED}")
            self._indented(run.output)
            return
        self.stdout.write(f"{head}: {MADE_NEW if run.created else NOTHING_NEW}")
        self._indented(run.output)
        report = run.report
        if report is None:
            return
        self.stdout.write("  " + _("title: %(title)s") % {"title": report.title})
        if report.circular_id:
            circular = report.circular
            self.stdout.write(
                "  " + _("number: %(number)s") % {"number": circular.number or _("draft, not numbered yet")}
            )
        if report.pdf:
            try:
                path = report.pdf.path
            except NotImplementedError:  # a storage without local paths
                path = report.pdf.name
            self.stdout.write("  " + _("PDF: %(path)s") % {"path": path})

    def _indented(self, text: str) -> None:
        for line in text.splitlines():
            self.stdout.write(f"  {line}")
