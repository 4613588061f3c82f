"""The annual cycle: its numbers and its document. See base.py for what a cycle module offers."""

import datetime

from .base import ReportDocument


def collect(*, district, start: datetime.date, end: datetime.date) -> dict:
    raise NotImplementedError


def document(*, issuer, district, start: datetime.date, end: datetime.date, data: dict) -> ReportDocument:
    raise NotImplementedError
