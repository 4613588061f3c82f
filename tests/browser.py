"""What the browser tests share: `scripts/run.sh` (the `make run` script) as a live server with the
demo, Debian's chromium through Playwright, and the helpers the pages need (logging in as a demo
user, the Chinese of a message, a photo, a PDF's text)."""

import io
import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from PIL import Image

from sanitation.organisations.demo import STREETS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-2026"
# A phone in the clerk's hand on the street: new_context(**PHONE).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "geolocation": {"latitude": 30.2741, "longitude": 120.1551},
    "permissions": ["geolocation"],
}
SEEDS = Path(settings.SEEDS_DIR)
# Settings the test run chose for itself (settings.test) that a server of its own must not inherit.
TEST_ONLY_ENVIRONMENT = {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_DEFAULT_QUEUE", "DJANGO_SETTINGS_MODULE"}


@dataclass
class DemoServer:
    process: subprocess.Popen
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def run_sh(folder: Path, **environment: str):
    """`scripts/run.sh` on a port of its own until the block ends: a fresh database migrated and
    seeded with the demo, the web server, a worker and beat. `environment` names the database and
    broker (run.sh's default is SQLite and the file broker in var/); uploads and PDFs go to `folder`."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENVIRONMENT}
    env.update(MEDIA_ROOT=str(folder / "media"), PORT=str(port), **environment)
    log = folder / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = DemoServer(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 180
        while not answers(server.url + "/accounts/login/"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("make run did not serve the login page:\n" + server.output())
            time.sleep(0.5)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def chromium():
    """Debian's chromium, never a downloaded one; a missing one skips, or fails on CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in(page, server: DemoServer, username: str):
    page.goto(server.url + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")


def zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


def jpeg(size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def street_user(street_short_name: str) -> str:
    """The demo login of a street's staff (street, street02, …), from the street's short name."""
    names = [name.removesuffix("街道") for name in STREETS]
    number = names.index(street_short_name) + 1
    return "street" if number == 1 else f"street{number:02d}"


def pdf_text(path: Path, *, layout: bool = False) -> str:
    arguments = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(arguments, capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    """Text without any white space: PDF lines break anywhere in Chinese."""
    return "".join(text.split())
