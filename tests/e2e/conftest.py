"""The journeys' server and browser, and the watch every journey keeps on its pages.

The server is `scripts/run.sh` on the production stack when the test run has one: a PostgreSQL
database of its own (`<test database>_e2e`, made afresh) and a Redis database of its own. Without
PostgreSQL and Redis it is run.sh's embedded default (SQLite, file broker) in a temporary folder.
"""

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from psycopg2 import sql

from ..browser import chromium, run_sh

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
REDIS_DATABASE = 12  # the tests' own Redis database is 9, the bench's 14
# Every frame of every page reports a violated directive here; the array stays readable in the page.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile || location.href}:${event.lineNumber}`;
  const violation = `${event.violatedDirective} refused ${event.blockedURI || "inline"} in ${where}`;
  window.__cspViolations.push(violation);
  window.__reportCspViolation(violation);
});
"""


def _postgres_database(name: str) -> tuple[str, Callable[[], None]]:
    """A fresh database next to the tests' own: its URL and a function that drops it."""
    db = settings.DATABASES["default"]
    connect = {"dbname": "postgres", "user": db["USER"], "password": db["PASSWORD"]}
    connect |= {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432}

    def run(statement: str):
        connection = psycopg2.connect(**connect)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
        finally:
            connection.close()

    run("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    run("CREATE DATABASE {}")
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")

    def drop():
        run("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    return f"postgres://{credentials}@{connect['host']}:{connect['port']}/{name}", drop


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(folder, run.sh's environment): PostgreSQL and Redis when the test run uses them."""
    folder = tmp_path_factory.mktemp("journeys")
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if not (on_postgres and settings.REDIS_URL):
        database_url = f"sqlite:///{folder / 'demo.sqlite3'}"
        yield folder, {"DATABASE_URL": database_url, "CELERY_BROKER_DIR": str(folder / "broker")}
        return
    database_url, drop = _postgres_database(settings.DATABASES["default"]["NAME"] + "_e2e")
    redis_url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{REDIS_DATABASE}"))
    redis.Redis.from_url(redis_url).flushdb()
    yield folder, {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    redis.Redis.from_url(redis_url).flushdb()
    drop()


@pytest.fixture(scope="module")
def server(stack):
    folder, environment = stack
    with run_sh(folder, **environment) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


class Journey:
    """Browser contexts whose pages are watched for console errors, uncaught exceptions, refused
    requests and Content-Security-Policy violations; screenshots named after the journey."""

    def __init__(self, browser, name: str):
        self.browser = browser
        self.name = name
        self.contexts = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.failed: list[str] = []
        self.shots = 0

    def context(self, **options):
        context = self.browser.new_context(**options)
        context.expose_function("__reportCspViolation", self._csp_violation)
        context.add_init_script(CSP_LISTENER)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def page(self, **options):
        return self.context(**options).new_page()

    def _watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.request.method} {r.url}"))

    def _csp_violation(self, violation: str):
        self.csp.append(violation)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)
        elif message.type == "error":
            self.errors.append(f"{message.location.get('url')}: {message.text}")

    def shot(self, page, what: str):
        self.shots += 1
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{self.name}-{self.shots:02d}-{what}.png", full_page=True)

    def assert_clean(self):
        """No console error, uncaught exception, refused request or CSP violation on any page."""
        left_in_pages = [
            violation
            for context in self.contexts
            for page in context.pages
            if page.url.startswith("http")
            for violation in page.evaluate("window.__cspViolations")
        ]
        assert self.csp == [] and left_in_pages == [], self.csp + left_in_pages
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def journey(browser, request):
    journey = Journey(browser, re.sub(r"^test_", "", request.node.name).split("_")[0])
    yield journey
    journey.close()
