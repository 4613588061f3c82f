"""The daily cycle: its numbers and its document. See base.py for what a cycle module offers."""

import datetime

from .base import ReportDocument


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    raise NotImplementedError


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    raise NotImplementedError


def prepare(*, district, start: datetime.date, end: datetime.date) -> dict:
    """The writes of the day before collecting: plan the day's assignments, mark overdue
    rectifications as of the day and remind their units. Idempotent."""
    raise NotImplementedError
