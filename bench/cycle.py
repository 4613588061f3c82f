"""The quarterly cycle for every district on a real Celery worker, and that worker's memory.

    python -m bench.cycle [--concurrency 2] [--renders 50] [--json]

1. Cycle: the quarterly run of every cycle issuer (one sorting office per district) is requested
   as a person would (cycle_run_request, trigger "command", the day being the city's today, so the
   period is its last complete quarter) and a real worker (`celery -A sanitation worker`, prefork,
   --concurrency 2, started here with bench.city.environment()) collects the numbers, issues the
   numbered 讲评通报 and writes the PDFs. Measured: time from the request to the last run DONE.
   Baseline from the same run: the runs' own durations (started → finished on the worker) summed
   and divided by the concurrency (or the longest run, if longer), i.e. the wall time with a
   perfect queue. Each district's
   collecting is timed again in this process (quarterly.collect, read-only) to give the share of
   a run spent collecting; the rest is rendering, numbering and writing. Checked: every run DONE
   on our worker, every report DONE with an issued circular, each PDF on disk starts with %PDF and
   its text (pdftotext) names the district and carries the circular's number, and the numbers are
   all different and follow each office's counter without a gap.
2. Memory: a worker with one pool process (so one process does every render) makes the quarterly
   reports as drafts (CYCLE_ISSUE_CIRCULARS=false, regenerate), districts in turn, so each run
   renders one report PDF exactly as the cycle does. Its peak RSS (VmHWM in /proc/<pid>/status)
   is read after 5 runs, 27 and 50; the figure is the ratio of the last to the first, and the
   growth per render in the second half tells a leak (steady) from caches filling up (early).
   The worker process itself is measured, not a copy of what it does, so the task machinery's
   own memory counts too.

Afterwards the city is as it was: the bench quarter's quarterly reports, their circulars (their
numbers given back to the counters), runs, history lines, notifications, task results and PDF
files are deleted, and the same is done first for any left by an interrupted run. So a second
`make bench` makes and measures the same reports again.
"""

import argparse
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUARTERLY = "quarterly"
TARGETS = {"cycle_s": 60, "memory_ratio": 1.1}
RUN_TIMEOUT_S = 900
POLL_S = 0.05


# The city and the cleaning up ----------------------------------------------------------------------


def _city(facts: dict | None) -> dict:
    from bench import city

    city.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    assert name.startswith("sanitation_bench"), f"the cycle bench deletes reports: not in {name}"
    return facts or city.facts()


def _issuers(facts: dict) -> list:
    """The districts' sorting offices, in the city's order; they must be all that run the cycle."""
    from sanitation.documents.models import DocumentIssuer
    from supervision.cycle.periods import cycle_issuers

    ids = [district["issuer_id"] for district in facts["districts"]]
    assert None not in ids, facts["districts"]
    by_id = DocumentIssuer.objects.select_related("unit").in_bulk(ids)
    assert set(cycle_issuers().values_list("pk", flat=True)) == set(ids), "cycle issuers ≠ the districts' offices"
    return [by_id[pk] for pk in ids]


def _clear(period_start: datetime.date) -> dict:
    """Delete the quarterly reports of the quarter and everything they made (see the docstring)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_celery_results.models import TaskResult

    from sanitation.core.models import Change, Notification
    from sanitation.documents.models import Circular
    from supervision.models import CycleReport, CycleRun

    with transaction.atomic():
        reports = list(CycleReport.objects.select_for_update().filter(cycle=QUARTERLY, period_start=period_start))
        runs = CycleRun.objects.filter(cycle=QUARTERLY, period_start=period_start)
        circulars = list(Circular.objects.filter(pk__in=[report.circular_id for report in reports]))
        files = {report.pdf.name for report in reports} | {circular.pdf.name for circular in circulars}
        Notification.objects.filter(key__in=[f"report:{report.pk}" for report in reports]).delete()
        for model, rows in ((CycleReport, reports), (Circular, circulars)):
            content_type = ContentType.objects.get_for_model(model)
            Change.objects.filter(content_type=content_type, object_id__in=[row.pk for row in rows]).delete()
        tasks = [task for task in runs.values_list("task_id", flat=True) if task]
        TaskResult.objects.filter(task_id__in=tasks).delete()
        cleared_runs = runs.delete()[0]
        CycleReport.objects.filter(pk__in=[report.pk for report in reports]).delete()
        _numbers_give_back(circulars)
        # The queryset's delete, not the model's: an issued circular refuses to be deleted one by one.
        Circular.objects.filter(pk__in=[circular.pk for circular in circulars]).delete()
        storage = CycleReport._meta.get_field("pdf").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files if name])
    return {"reports": len(reports), "circulars": len(circulars), "runs": cleared_runs, "files": len(files - {""})}


def _numbers_give_back(circulars: list) -> None:
    """Wind each office's counter back over the numbers the bench took, if they are still its last."""
    from sanitation.documents.models import NumberCounter

    taken: dict[tuple[int, int], list[int]] = {}
    for circular in circulars:
        if circular.sequence is not None:
            taken.setdefault((circular.issuer_id, circular.year), []).append(circular.sequence)
    for (issuer_id, year), sequences in taken.items():
        counter = NumberCounter.objects.select_for_update().filter(issuer_id=issuer_id, year=year).first()
        contiguous = sorted(sequences) == list(range(min(sequences), max(sequences) + 1))
        if counter is not None and contiguous and counter.last_number == max(sequences):
            counter.last_number = min(sequences) - 1
            if counter.last_number:
                counter.save(update_fields=["last_number"])
            else:
                counter.delete()  # the bench made it: no number of the year was given before


def _counters(issuers: list, year: int) -> dict[int, int]:
    from sanitation.documents.models import NumberCounter

    rows = NumberCounter.objects.filter(issuer__in=issuers, year=year).values_list("issuer_id", "last_number")
    return {issuer.pk: 0 for issuer in issuers} | dict(rows)


def _task_results_clear(since) -> None:
    from django_celery_results.models import TaskResult

    names = ["core.ping", "core.send_notification_mails", "supervision.run_cycle"]
    TaskResult.objects.filter(date_created__gte=since, task_name__in=names).delete()


# The worker -------------------------------------------------------------------------------------------


@contextmanager
def worker(*, concurrency: int, label: str, **settings_env):
    """A real `celery -A sanitation worker` on the city's queue; yields (process, node name, log)."""
    from django.conf import settings

    from bench import city

    node = f"bench-{label}-{os.getpid()}@{socket.gethostname()}"
    env = {**os.environ, **city.environment(), **settings_env}
    env["CELERY_TASK_DEFAULT_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE  # where this process sends
    command = [sys.executable, "-m", "celery", "-A", "sanitation", "worker", "--pool=prefork"]
    command += [f"--concurrency={concurrency}", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", node]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with tempfile.NamedTemporaryFile(prefix=f"bench-{label}-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
    try:
        _ready(process, Path(log.name), concurrency)
        yield process, node, Path(log.name)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        Path(log.name).unlink(missing_ok=True)


def _ready(process, log: Path, concurrency: int) -> None:
    """Wait until the pool answers pings (its processes have warmed WeasyPrint up at start)."""
    from sanitation.core.tasks import ping

    pings = [ping.apply_async() for _ in range(concurrency)]
    deadline = time.monotonic() + 180
    for result in pings:
        while not result.ready():
            _alive(process, log)
            assert time.monotonic() < deadline, "the worker did not answer within 180 s\n" + _tail(log)
            time.sleep(0.2)


def _alive(process, log: Path) -> None:
    assert process.poll() is None, f"the worker exited ({process.returncode})\n" + _tail(log)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _request(issuers: list, day: datetime.date, *, regenerate: bool = False) -> list[int]:
    """The runs, committed together; their tasks are queued when the transaction commits."""
    from django.db import transaction

    from supervision.cycle.engine import cycle_run_request
    from supervision.models import RunTrigger

    with transaction.atomic():
        runs = [
            cycle_run_request(
                cycle=QUARTERLY, issuer=issuer, day=day, trigger=RunTrigger.COMMAND, regenerate=regenerate
            )
            for issuer in issuers
        ]
    return [run.pk for run in runs]


def _wait(run_ids: list[int], process, log: Path) -> list:
    """Poll until every run is DONE; a FAILED run, a dead worker or the timeout raises."""
    from supervision.models import CycleRun, RunState

    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        states = dict(CycleRun.objects.filter(pk__in=run_ids).values_list("pk", "state"))
        failed = [pk for pk, state in states.items() if state == RunState.FAILED]
        assert not failed, [run.output for run in CycleRun.objects.filter(pk__in=failed)]
        if len(states) == len(run_ids) and set(states.values()) == {RunState.DONE}:
            runs = CycleRun.objects.filter(pk__in=run_ids).select_related("report__circular", "issuer__unit")
            return sorted(runs, key=lambda run: run_ids.index(run.pk))
        _alive(process, log)
        assert time.monotonic() < deadline, f"runs not done within {RUN_TIMEOUT_S} s: {states}\n" + _tail(log)
        time.sleep(POLL_S)


# 1. The cycle -------------------------------------------------------------------------------------------


def _pdf_text(path: Path) -> str:
    output = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(output.split())


def _check_cycle(runs: list, node: str, facts: dict, counters: dict) -> None:
    """The work was real: one report per district, made here, numbered without a gap, on disk."""
    from supervision.models import ReportState

    names = {district["issuer_id"]: district["name"] for district in facts["districts"]}
    numbers, paths = set(), set()
    for run in runs:
        report, circular = run.report, run.report.circular
        assert run.created and run.worker.rsplit(":", 1)[0] == node, (run.pk, run.created, run.worker)
        assert report.state == ReportState.DONE and circular is not None and circular.is_issued, report.pk
        assert circular.sequence == counters[run.issuer_id] + 1, (circular.number, counters[run.issuer_id])
        path = Path(report.pdf.path)
        assert report.pdf.name == circular.pdf.name and path.read_bytes()[:4] == b"%PDF", path
        paths.add(path)
        text = _pdf_text(path)
        assert names[run.issuer_id] in text and circular.number in text, (path, names[run.issuer_id])
        numbers.add(circular.number)
    assert len(numbers) == len(paths) == len(runs) == len(facts["districts"]), (numbers, paths)


def _collect_seconds(issuers: list, start: datetime.date, end: datetime.date) -> dict[int, float]:
    """Each district's quarterly.collect timed in this process (read-only, on the same rows)."""
    from supervision.cycle import quarterly
    from supervision.cycle.periods import district_of_issuer

    seconds = {}
    for issuer in issuers:
        district = district_of_issuer(issuer)
        started = time.perf_counter()
        quarterly.collect(district=district, start=start, end=end)
        seconds[issuer.pk] = time.perf_counter() - started
    return seconds


def _districts(runs: list, collect: dict[int, float]) -> list[dict]:
    rows = []
    for run in runs:
        run_s = (run.finished_at - run.started_at).total_seconds()
        rows.append(
            {
                "office": run.issuer.unit.code,
                "number": run.report.circular.number,
                "pages": run.report.circular.pdf_pages,
                "waited_s": round((run.started_at - run.queued_at).total_seconds(), 3),
                "run_s": round(run_s, 3),
                "collect_s": round(collect[run.issuer_id], 3),
            }
        )
    return rows


def measure_cycle(facts: dict, issuers: list, day: datetime.date, concurrency: int) -> dict:
    from supervision.cycle.periods import cycle_period

    start, end = cycle_period(QUARTERLY, day)
    assert [start.isoformat(), end.isoformat()] == facts["quarter"], (start, end, facts["quarter"])
    counters = _counters(issuers, day.year)
    with worker(concurrency=concurrency, label="cycle", CYCLE_ISSUE_CIRCULARS="true") as (process, node, log):
        started = time.perf_counter()
        run_ids = _request(issuers, day)
        runs = _wait(run_ids, process, log)
        wall = time.perf_counter() - started
    _check_cycle(runs, node, facts, counters)
    districts = _districts(runs, _collect_seconds(issuers, start, end))
    busy = sum(row["run_s"] for row in districts)
    ideal = max(busy / concurrency, max(row["run_s"] for row in districts))
    return {
        "districts": len(districts),
        "period": [start.isoformat(), end.isoformat()],
        "concurrency": concurrency,
        "cycle_s": round(wall, 2),
        "ideal_s": round(ideal, 2),
        "over_ideal": round(wall / ideal, 2),
        "run_median_s": round(statistics.median(row["run_s"] for row in districts), 2),
        "run_max_s": round(max(row["run_s"] for row in districts), 2),
        "collect_share": round(sum(row["collect_s"] for row in districts) / busy, 2),
        "pages": sum(row["pages"] for row in districts),
        "per_district": districts,
    }


# 2. Memory -----------------------------------------------------------------------------------------------


def _peak_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0])
    return fields


def _renders(issuers: list, day: datetime.date, count: int, first: int, process, log) -> list:
    """Runs first+1 … count, districts in turn, each a regeneration once the district has its draft."""
    turn = [issuers[n % len(issuers)] for n in range(first, count)]
    return _wait(_request(turn, day, regenerate=True), process, log)


def measure_memory(issuers: list, day: datetime.date, renders: int, early: int) -> dict:
    from supervision.models import CycleReport

    with worker(concurrency=1, label="memory", CYCLE_ISSUE_CIRCULARS="false") as (process, node, log):
        runs = _renders(issuers, day, early, 0, process, log)
        pid = int(runs[0].worker.rsplit(":", 1)[1])
        after_early = _peak_kb(pid)
        middle = (early + renders) // 2
        runs += _renders(issuers, day, middle, early, process, log)
        after_middle = _peak_kb(pid)
        runs += _renders(issuers, day, renders, middle, process, log)
        after_all = _peak_kb(pid)
    workers = {run.worker for run in runs}
    assert workers == {f"{node}:{pid}"}, workers  # one process made them all
    assert all(run.report.circular and not run.report.circular.is_issued for run in runs)
    reports = CycleReport.objects.filter(pk__in={run.report_id for run in runs})
    assert len(reports) == min(renders, len(issuers)), len(reports)
    assert sum(report.generations for report in reports) == renders  # each run rendered once
    return {
        "renders": renders,
        "early": early,
        "middle": middle,
        "peak_early_mb": round(after_early["VmHWM"] / 1024, 1),
        "peak_middle_mb": round(after_middle["VmHWM"] / 1024, 1),
        "peak_mb": round(after_all["VmHWM"] / 1024, 1),
        "rss_mb": round(after_all["VmRSS"] / 1024, 1),
        "memory_ratio": round(after_all["VmHWM"] / after_early["VmHWM"], 3),
        "growth_kb_per_render": round((after_all["VmHWM"] - after_early["VmHWM"]) / (renders - early), 1),
        # A leak grows as much in the second half as in the first; caches filling up do not.
        "late_growth_kb_per_render": round((after_all["VmHWM"] - after_middle["VmHWM"]) / (renders - middle), 1),
    }


# Both ------------------------------------------------------------------------------------------------------


def run(facts: dict | None = None, *, concurrency: int = 2, renders: int = 50, early: int = 5) -> dict:
    """Both figures on the city (`facts` as bench.city.facts() gives them, or read here)."""
    from django.utils import timezone

    facts = _city(facts)
    issuers = _issuers(facts)
    day = datetime.date.fromisoformat(facts["today"])  # in the quarter after the last complete one
    period_start = datetime.date.fromisoformat(facts["quarter"][0])
    since = timezone.now()
    leftovers = _clear(period_start)
    try:
        cycle = measure_cycle(facts, issuers, day, concurrency)
        _clear(period_start)
        memory = measure_memory(issuers, day, renders, early)
    finally:
        _clear(period_start)
        _task_results_clear(since)
    return {"scale": facts["scale"], "cycle": cycle, "memory": memory, "leftovers_cleared": leftovers}


def _row(label: str, measured, baseline="", target="") -> str:
    return f"{label:<46}{measured:>10}{baseline:>10}{target:>10}"


def table(results: dict) -> str:
    cycle, memory = results["cycle"], results["memory"]
    early, renders = memory["early"], memory["renders"]
    lines = [_row(f"quarterly cycle, {cycle['districts']} districts", "measured", "baseline", "target")]
    target = f"≤ {TARGETS['cycle_s']}"
    lines.append(_row("cycle_s (request → all DONE; ideal queue)", cycle["cycle_s"], cycle["ideal_s"], target))
    lines.append(_row("over_ideal (wall / ideal)", cycle["over_ideal"]))
    lines.append(_row("run_s per district (median; max)", cycle["run_median_s"], cycle["run_max_s"]))
    lines.append(_row("collect_share (collecting / run time)", cycle["collect_share"]))
    lines.append(_row("pages (all circulars)", cycle["pages"]))
    peaks = memory["peak_mb"], memory["peak_early_mb"]
    lines.append(_row(f"worker peak RSS MB after {renders}; {early} renders", *peaks))
    target = f"≤ {TARGETS['memory_ratio']}"
    lines.append(_row(f"memory_ratio (after {renders} / after {early})", memory["memory_ratio"], "", target))
    growth = memory["growth_kb_per_render"], memory["late_growth_kb_per_render"]
    lines.append(_row(f"KB per render after {early}; after {memory['middle']}", *growth))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--early", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(concurrency=args.concurrency, renders=args.renders, early=args.early)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
