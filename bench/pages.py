"""Pages under load, and the queries of one page at 10 and at 50 rows, on the bench city.

    python -m bench.pages [--requests N] [--clients N] [--workers N] [--threads N] [--rounds N] [--json]

Latency: gunicorn serves the city (a process group of its own on a free port, the city's
environment, killed at the end) with gthread workers, 4 processes × 2 threads by default. On
two cores rendering is CPU work under each process's GIL: two processes are the least that use
both cores, four keep them busy while some requests wait on PostgreSQL, and two threads each
make the 8 request slots the 8 clients need, with keep-alive (sync workers close every
connection; 3 sync workers and 2 × 4 threads measured the same or slightly worse). Each client
logs in once through the login form (CSRF included) and keeps its session cookie and its
connection. Each page is asked for by the 8 clients at once, 400 requests a page, in 4 rounds
that take the pages in turn (after a short warm-up each), so that whatever else the machine
does weighs on all of them alike. Every answer must be 200 and show what the page shows (its
rows, counted in the database beforehand, found by a marker in the HTML), or it is an error.
The baseline is the one-query health view (/healthz/, no session) in the same run: each page's
p95 against the health view's p95 (target ≤ 5×), and in milliseconds (target ≤ 150).

Queries: in this process, with django.test.Client and CaptureQueriesContext, one request of
each page when it shows 10 rows and when it shows 50: the dashboard, the inspection list, the
plan board and the rectification list, and every other list page that paginates. A list's
page size is set to 10 and to 50; rows a list lacks for 50 (the registries, the reports) are
copies of its own made in a transaction that is rolled back, as are the plan board's (its
first 10 and 50 items kept) and the dashboard's (10 and 50 unread notifications). Target:
the same count at 10 and at 50.
"""

import argparse
import datetime
import http.client
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-2026"  # the demo users' and the city's users' password
TARGETS = {"p95_over_health": 5.0, "p95_ms": 150, "errors": 0}
ROWS = (10, 50)
HEALTH = "/healthz/"
HEALTH_BODY = b'{"status": "ok"}'


def _city():
    sys.path.insert(0, str(ROOT))
    from bench import city

    return city


# Pages under load ------------------------------------------------------------------------------


@dataclass
class Page:
    """A page under load: who asks for it, and what every answer must show (marker → count)."""

    name: str
    path: str
    username: str
    markers: dict[bytes, int]


BIG_DISTRICT = "CD"  # 城东区 of the demo world, seen by `clerk` and `leader`
KEEPERS = ("clerk", "secretariat", "unitstaff", "admin")  # the demo users who may keep a plan


def _user(username: str):
    from sanitation.organisations.models import User

    return User.objects.get(username=username)


def _board_plan():
    """The big district's plan with the most items (else any plan's), and a demo user who keeps it."""
    from django.db.models import Count, Q

    from plans import selectors
    from plans.models import Plan
    from sanitation.organisations.models import Unit

    district = Unit.objects.get(code=BIG_DISTRICT)
    plans = Plan.objects.annotate(live=Count("items", filter=Q(items__deleted_at__isnull=True)))
    ours = plans.filter(issuer__path__startswith=district.path)
    plan = (ours if ours.exists() else plans).order_by("-live", "pk").first()
    for username in KEEPERS:
        if selectors.plans_changeable_by(_user(username)).filter(pk=plan.pk).exists():
            return plan, username
    raise RuntimeError(f"none of {KEEPERS} keeps plan {plan.pk}")


def load_pages() -> list[Page]:
    """The pages under load and what they must show, counted from the database (not assumed)."""
    from django.urls import reverse

    from supervision import access, inspection_views, rectification_views
    from supervision.cycle_views import cycle_reports_latest
    from supervision.models import OPEN_STATES

    clerk, leader = _user("clerk"), _user("leader")
    plan, keeper = _board_plan()
    inspections = min(access.inspections_visible_to(clerk).count(), inspection_views.PAGE_SIZE)
    rectifications = access.rectifications_visible_to(clerk).filter(state__in=OPEN_STATES).count()
    rectifications = min(rectifications, rectification_views.PAGE_SIZE)
    home = {b'id="home-notifications"': 1, b'id="home-circulars"': 1}
    reports = {b'id="home-cycle-reports"': 1, b"data-report=": len(cycle_reports_latest(leader))}
    items = plan.items.count()
    return [
        Page("health view (baseline)", HEALTH, "", {HEALTH_BODY: 1}),
        Page("dashboard / (leader)", reverse("home"), "leader", home | reports),
        Page("dashboard / (clerk)", reverse("home"), "clerk", home),
        Page("inspection list (clerk)", reverse("supervision:inspection-list"), "clerk", {INSPECTION_ROW: inspections}),
        Page(
            f"plan board, {items} items ({keeper})", reverse("plans:board", args=[plan.pk]), keeper, {ITEM_ROW: items}
        ),
        Page(
            "rectification list (clerk)",
            reverse("supervision:rectification-list"),
            "clerk",
            {RECTIFICATION_ROW: rectifications},
        ),
    ]


INSPECTION_ROW = b'class="card-row inspection-row"'
ITEM_ROW = b'class="item-row"'
RECTIFICATION_ROW = b'class="rectification-row'


# Queries per page ------------------------------------------------------------------------------
#
# Every count is taken inside a transaction that is rolled back: the rows a list lacks for 50
# (the registries and the reports have a few dozen in the city) are made there, copies of those
# it has, and are gone afterwards.


class _Rollback(Exception):
    pass


@contextmanager
def _rolled_back():
    from django.db import transaction

    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@dataclass
class Listing:
    """A page whose queries are counted at 10 and at 50 rows. `size` is the module and the name of
    its page size (set to the rows wanted); `visible(user)` the rows the page lists, `copy(row, n)`
    makes a row a distinct copy (its unique fields changed) when they are fewer than 50; `made(user,
    rows)` instead makes the page show `rows` rows; `shown(response)` counts the rows shown."""

    name: str
    path: str
    username: str
    size: tuple | None = None
    visible: Callable | None = None
    copy: Callable | None = None
    made: Callable | None = None
    shown: Callable = lambda response: len(response.context["page"].object_list)


def _copies(rows, wanted: int, copy: Callable) -> None:
    """Add copies of `rows` (a queryset) until it holds `wanted` rows."""
    model = rows.model
    have = rows.count()
    if have >= wanted or not have:
        return
    originals = list(model._base_manager.filter(pk__in=rows.values("pk")).order_by("pk"))
    made = []
    for n in range(wanted - have):
        row = model._base_manager.get(pk=originals[n % len(originals)].pk)
        row.pk = row.id = None
        row._state.adding = True
        copy(row, n)
        made.append(row)
    model._base_manager.bulk_create(made)


def _suffix(*names: str):
    def copy(row, n: int) -> None:
        for name in names:
            setattr(row, name, f"{getattr(row, name)}·{n}")

    return copy


def _credit_code(row, n: int) -> None:
    row.name = f"{row.name}·{n}"
    if row.credit_code:
        row.credit_code = f"91BENCH{n:011d}"


def _branch(row, n: int) -> None:
    row.name, row.unit = f"{row.name}·{n}", None


def _circular(row, n: int) -> None:
    row.title = f"{row.title}·{n}"
    if row.sequence is not None:
        row.sequence += 10_000 + n


def _board_items(plan):
    """The plan with `rows` items: its first ones kept (the others soft-deleted), or copies of its
    items, with their units, added when it has fewer."""

    def made(user, rows: int) -> None:
        from django.utils import timezone

        from plans.models import Item

        items = list(plan.items.order_by("position").prefetch_related("lead_units", "assisting_units"))
        Item.objects.filter(plan=plan).exclude(pk__in=[item.pk for item in items[:rows]]).update(
            deleted_at=timezone.now()
        )
        last = max(item.position for item in items)
        for n in range(rows - len(items)):
            item = items[n % len(items)]
            leads, assists = list(item.lead_units.all()), list(item.assisting_units.all())
            item.pk, item.position = None, last + 1 + n
            item.save()
            item.lead_units.set(leads)
            item.assisting_units.set(assists)

    return made


def _notifications(user, rows: int) -> None:
    """`rows` more unread notifications (the dashboard shows UNREAD_SHOWN, set to `rows`)."""
    from sanitation.core.models import Notification

    Notification.objects.bulk_create(
        Notification(user=user, key=f"bench-{n}", title=f"基准通知 {n}", url="/") for n in range(rows)
    )


def _weekly_reports(user, rows: int) -> None:
    """`rows` more done weekly reports of the big district's office, weeks long past (no clash)."""
    from sanitation.documents.models import DocumentIssuer
    from sanitation.organisations.models import Unit, UnitKind
    from supervision.models import Cycle, CycleReport, ReportState

    district = Unit.objects.get(code=BIG_DISTRICT, kind=UnitKind.DISTRICT)
    issuer = DocumentIssuer.objects.get(unit__parent=district, unit__kind=UnitKind.OFFICE)
    monday = datetime.date(2001, 1, 1)
    CycleReport.objects.bulk_create(
        CycleReport(
            cycle=Cycle.WEEKLY,
            issuer=issuer,
            district=district,
            period_start=monday - datetime.timedelta(weeks=n),
            period_end=monday - datetime.timedelta(weeks=n) + datetime.timedelta(days=6),
            state=ReportState.DONE,
            title=f"基准周报告 {n}",
        )
        for n in range(rows)
    )


def listings() -> list[Listing]:
    from django.urls import reverse

    from classification import ledger_views, site_views
    from plans.branches import selectors as branches
    from plans.branches import views as branch_views
    from plans.members import selectors as members
    from plans.members import views as member_views
    from plans.ratings import selectors as ratings
    from plans.ratings import subject_views
    from sanitation.core import views as core_views
    from sanitation.documents import selectors as circulars
    from sanitation.documents import views as circular_views
    from supervision import cycle_views, inspection_views, rectification_views

    plan, keeper = _board_plan()
    year = datetime.date.today().year
    return [
        Listing(
            "dashboard /",
            reverse("home"),
            "leader",
            size=(core_views, "UNREAD_SHOWN"),
            made=_notifications,
            shown=lambda response: len(response.context["unread"]),
        ),
        Listing(
            "inspection list",
            reverse("supervision:inspection-list"),
            "clerk",
            size=(inspection_views, "PAGE_SIZE"),
        ),
        Listing(
            "plan board",
            reverse("plans:board", args=[plan.pk]),
            keeper,
            made=_board_items(plan),
            shown=lambda response: len(response.context["items"]),
        ),
        Listing(
            "rectification list",
            reverse("supervision:rectification-list"),
            "clerk",
            size=(rectification_views, "PAGE_SIZE"),
        ),
        Listing("site list", reverse("classification:site-list"), "clerk", size=(site_views, "PAGE_SIZE")),
        *(
            Listing(
                f"{ledger} ledger",
                reverse(f"classification:ledger-{ledger}"),
                "clerk",
                size=(ledger_views, "PAGE_SIZE"),
            )
            for ledger in ledger_views.PAGES
        ),
        Listing(
            "weekly reports",
            reverse("supervision:cycle") + "?cycle=weekly",
            "leader",
            size=(cycle_views, "PAGE_SIZE"),
            made=_weekly_reports,
        ),
        Listing(
            "notifications",
            reverse("supervision:notifications"),
            "leader",
            size=(cycle_views, "PAGE_SIZE"),
            made=_notifications,
        ),
        Listing(
            "circular list",
            reverse("documents:circular-list"),
            "secretariat",
            size=(circular_views, "PAGE_SIZE"),
            visible=circulars.circulars_visible_to,
            copy=_circular,
        ),
        Listing(
            "member list",
            reverse("members:member-list"),
            "secretariat",
            size=(member_views, "PAGE_SIZE"),
            visible=members.members_visible_to,
            copy=_credit_code,
        ),
        Listing(
            "member renewals",
            reverse("members:renewals"),
            "secretariat",
            size=(member_views, "RENEWALS_PAGE_SIZE"),
            visible=lambda user: members.renewals(members.members_visible_to(user), year=year),
            copy=_credit_code,
        ),
        Listing(
            "branch list",
            reverse("branches:list"),
            "secretariat",
            size=(branch_views, "PAGE_SIZE"),
            visible=branches.branches_visible_to,
            copy=_branch,
        ),
        Listing(
            "facility ratings",
            reverse("ratings:facility-list"),
            "secretariat",
            size=(subject_views, "PAGE_SIZE"),
            visible=ratings.facilities_visible_to,
            copy=_suffix("name"),
        ),
        Listing(
            "enterprise ratings",
            reverse("ratings:enterprise-list"),
            "secretariat",
            size=(subject_views, "PAGE_SIZE"),
            visible=ratings.enterprises_visible_to,
            copy=_credit_code,
        ),
    ]


def _count(client, listing: Listing, user, rows: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with _rolled_back():
        if listing.made:
            listing.made(user, rows)
        if listing.copy:
            _copies(listing.visible(user), max(ROWS), listing.copy)
        with mock.patch.object(*listing.size, rows) if listing.size else nullcontext():
            client.get(listing.path)  # the first request of a page fills the process's caches
            with CaptureQueriesContext(connection) as captured:
                response = client.get(listing.path)
    assert response.status_code == 200, (listing.name, response.status_code)
    return {"queries": len(captured), "rows": listing.shown(response)}


def count_queries() -> list[dict]:
    from django.test import Client

    results = []
    for listing in listings():
        user = _user(listing.username)
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        counted = {rows: _count(client, listing, user, rows) for rows in ROWS}
        results.append(
            {
                "page": listing.name,
                "user": listing.username,
                **{f"queries_{rows}": counted[rows]["queries"] for rows in ROWS},
                **{f"rows_{rows}": counted[rows]["rows"] for rows in ROWS},
            }
        )
    return results


# Gunicorn --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(environment: dict, *, workers: int, threads: int):
    """gunicorn on a free port, in a process group of its own that is killed at the end."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "sanitation.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    command += ["--worker-class", "gthread" if threads > 1 else "sync"]
    # Browsers keep their connection between the rounds; gunicorn's default would close it after 2 s.
    command += ["--log-level", "warning", "--keep-alive", "600"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True)
        try:
            _wait_until_up(server, port, log)
            yield port
        finally:
            _stop(server)


def _wait_until_up(server, port: int, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited:\n{log.read().decode(errors='replace')[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", HEALTH)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _stop(server) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# Clients ---------------------------------------------------------------------------------------


class Client:
    """One browser: a keep-alive connection and, once logged in, a session cookie."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{key}={value.value}" for key, value in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            self.cookies.load(cookie)
        return response.status, content

    def login(self, username: str) -> None:
        status, content = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        assert status == 200 and token, f"no login form ({status})"
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
        status, _content = self.request("POST", "/accounts/login/", urlencode(form))
        assert status == 302 and "sessionid" in self.cookies, f"{username} could not log in ({status})"


def _wrong(page: Page, status: int, content: bytes) -> str:
    """What is wrong with an answer ("" when nothing is): its status, or a marker counted otherwise."""
    if status != 200:
        return f"status {status}"
    if page.path == HEALTH:
        return "" if content == HEALTH_BODY else f"body {content[:60]!r}"
    for marker, count in page.markers.items():
        if content.count(marker) != count:
            return f"{content.count(marker)} × {marker!r}, not {count}"
    return ""


def _client_run(client: Client, page: Page, count: int, warmup: int, start, times: list, errors: list) -> None:
    for _ in range(warmup):
        client.request("GET", page.path)
    start.wait()
    for _ in range(count):
        began = time.perf_counter()
        try:
            status, content = client.request("GET", page.path)
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
            client.connection.close()
            continue
        times.append(time.perf_counter() - began)
        if wrong := _wrong(page, status, content):
            errors.append(wrong)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class _Tally:
    """A page's browsers (each logged in once, kept for the whole run) and what they measured."""

    page: Page
    browsers: list
    times: list
    errors: list
    seconds: float = 0.0


def _burst(tally: _Tally, requests: int, warmup: int) -> None:
    """`requests` GETs of the page from all its browsers at once, after `warmup` each."""
    clients = len(tally.browsers)
    start = threading.Barrier(clients + 1)
    share = [requests // clients + (n < requests % clients) for n in range(clients)]
    threads = [
        threading.Thread(
            target=_client_run, args=(browser, tally.page, count, warmup, start, tally.times, tally.errors)
        )
        for browser, count in zip(tally.browsers, share, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    tally.seconds += time.perf_counter() - began


def _summary(tally: _Tally) -> dict:
    times = tally.times
    return {
        "page": tally.page.name,
        "path": tally.page.path,
        "user": tally.page.username or "—",
        "requests": len(times),
        "errors": len(tally.errors),
        "error_sample": tally.errors[:3],
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(_percentile(times, 0.95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "per_s": round(len(times) / tally.seconds),
    }


def load(port: int, pages: list[Page], *, clients: int, requests: int, warmup: int, rounds: int) -> list[dict]:
    """`requests` GETs of each page from `clients` browsers at once, in `rounds` rounds that take
    the pages in turn, so that what else the machine does in the meantime weighs on all alike."""
    tallies = []
    for page in pages:
        browsers = [Client(port) for _ in range(clients)]
        for browser in browsers:
            if page.username:
                browser.login(page.username)
        tallies.append(_Tally(page, browsers, [], []))
    for round_ in range(rounds):
        for tally in tallies:
            _burst(tally, requests // rounds + (round_ < requests % rounds), warmup)
    for tally in tallies:
        for browser in tally.browsers:
            browser.connection.close()
    return [_summary(tally) for tally in tallies]


def measure_latency(pages: list[Page], environment: dict, *, workers: int, threads: int, **options) -> list[dict]:
    with gunicorn(environment, workers=workers, threads=threads) as port:
        results = load(port, pages, **options)
    health = results[0]["p95_ms"]
    for result in results:
        result["p95_over_health"] = round(result["p95_ms"] / health, 2)
    return results


# The run ---------------------------------------------------------------------------------------


def run(
    requests: int = 400, clients: int = 8, workers: int = 4, threads: int = 2, warmup: int = 2, rounds: int = 4
) -> dict:
    city = _city()
    city.setup()
    from django.test.utils import setup_test_environment, teardown_test_environment

    pages = load_pages()
    setup_test_environment()  # the test client's responses carry their context (the rows shown)
    try:
        queries = count_queries()
    finally:
        teardown_test_environment()
    environment = {**os.environ, **city.environment()}
    options = {"clients": clients, "requests": requests, "warmup": warmup, "rounds": rounds}
    latency = measure_latency(pages, environment, workers=workers, threads=threads, **options) if requests else []
    return {
        "server": f"gunicorn, {workers} workers × {threads} threads"
        if threads > 1
        else f"gunicorn, {workers} sync workers",
        "clients": clients,
        "requests_per_page": requests,
        "latency": latency,
        "queries": queries,
    }


def _met(row: dict) -> bool:
    return (
        row["errors"] == TARGETS["errors"]
        and row["p95_over_health"] <= TARGETS["p95_over_health"]
        and row["p95_ms"] <= TARGETS["p95_ms"]
    )


def _queries_met(row: dict) -> bool:
    shown = all(row[f"rows_{rows}"] == rows for rows in ROWS)
    return shown and len({row[f"queries_{rows}"] for rows in ROWS}) == 1


def table(results: dict) -> str:
    lines = []
    if results["latency"]:
        health = results["latency"][0]
        lines.append(
            f"pages under load: {results['clients']} clients, {results['server']}, "
            f"{results['requests_per_page']} requests a page"
        )
        lines.append(f"{'':<46}{'p50 ms':>8}{'p95 ms':>8}{'health':>8}{'× health':>9}{'errors':>7}  target")
        for row in results["latency"][1:]:
            target = f"≤ {TARGETS['p95_over_health']:g}×, ≤ {TARGETS['p95_ms']} ms, 0 errors"
            cells = f"{row['p50_ms']:>8}{row['p95_ms']:>8}{health['p95_ms']:>8}{row['p95_over_health']:>9}"
            verdict = "met" if _met(row) else "MISSED"
            lines.append(f"{row['page']:<46}{cells}{row['errors']:>7}  {target}  {verdict}")
        lines.append(
            f"{health['page']:<46}{health['p50_ms']:>8}{health['p95_ms']:>8}{'':>8}{'':>9}{health['errors']:>7}"
        )
    lines.append(f"{'queries per page (rows shown)':<46}{'at 10':>10}{'at 50':>10}  target")
    for row in results["queries"]:
        shown = [f"{row[f'queries_{rows}']} ({row[f'rows_{rows}']})" for rows in ROWS]
        verdict = "met" if _queries_met(row) else "MISSED"
        lines.append(f"{row['page'] + ' (' + row['user'] + ')':<46}{shown[0]:>10}{shown[1]:>10}  equal  {verdict}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="1: sync workers")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.requests, args.clients, args.workers, args.threads, rounds=args.rounds)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
