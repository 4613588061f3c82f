"""Tests: PostgreSQL and Redis when they answer on localhost, SQLite and a file broker otherwise.

With CI=true a missing PostgreSQL or Redis is an error, not a quiet fall-back.
"""

import os
import socket
import uuid
from pathlib import Path

_VAR = Path(__file__).resolve().parent.parent.parent / "var"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _choose_services() -> None:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if "DATABASE_URL" not in os.environ:
        if _answers(5432):
            os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/sanitation"
        elif ci:
            raise RuntimeError("CI=true: PostgreSQL does not answer on 127.0.0.1:5432")
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{_VAR / 'test.sqlite3'}"
    if "REDIS_URL" not in os.environ:
        if _answers(6379):
            os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/9"
        elif ci:
            raise RuntimeError("CI=true: Redis does not answer on 127.0.0.1:6379")
        else:
            os.environ.setdefault("CELERY_BROKER_DIR", str(_VAR / "test-broker"))


_choose_services()
# A queue of its own per test run: a worker started by the tests takes only the tests' tasks,
# and subprocesses inherit the name through the environment.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"test-{uuid.uuid4().hex[:12]}")

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker in another process sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(_VAR / "test-run.sqlite3")}

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
