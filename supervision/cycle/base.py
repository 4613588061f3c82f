"""What every cycle module offers the engine, and the PDF of an unnumbered report.

A cycle module (daily.py, weekly.py, monthly.py, quarterly.py, annual.py) has:
  collect(*, district, start, end) -> dict       the report's numbers, JSON-able
  document(*, issuer, district, start, end, data) -> ReportDocument
and, for the daily cycle only, prepare(*, district, start, end) -> dict: the writes of the day
(planning assignments, marking overdue rectifications) done before collecting.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from sanitation.documents.content import CircularContent
from sanitation.documents.rendering import renderer

NO_VALUE = "—"


def table_cell(value) -> str:
    """A body-table cell: a dash for nothing, and no bar or line break that would split it."""
    if value is None or str(value).strip() == "":
        return NO_VALUE
    return str(value).replace("|", "｜").replace("\n", " ").strip()


def body_table(header: list, rows: list[list]) -> list[str]:
    """Body lines of a table with a header row (the documents app's `| a | b |` format). The
    blank line at the end closes it, so a table right after another stays a table of its own."""

    def line(cells) -> str:
        return "| " + " | ".join(table_cell(cell) for cell in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows), ""]


@dataclass
class ReportDocument:
    title: str
    recipients: str  # 主送, e.g. 各街道、区直有关部门
    body: str  # the documents app's body format: paragraphs, 一、 headings, | tables |, [[figure:NAME]]
    figures: dict[str, str] = field(default_factory=dict)  # NAME → SVG markup made by our own code
    attachments: str = ""  # one attachment name per line
    copy_to: str = ""  # 抄送
    numbered: bool = False  # monthly, quarterly, annual: a numbered circular (kind bulletin)


def in_document_language():
    """Official documents are written in the office's language, whatever the worker's locale."""
    return translation.override(settings.LANGUAGE_CODE)


def report_pdf(*, document: ReportDocument, issuer, written_on: datetime.date) -> tuple[bytes, int]:
    """(PDF bytes, pages) of an unnumbered report in the GB/T 9704 layout, under the issuer's mark."""
    content = CircularContent(
        title=document.title,
        body=document.body,
        mark=issuer.mark,
        recipients=document.recipients,
        attachments=[line.strip() for line in document.attachments.splitlines() if line.strip()],
        signature=issuer.signature,
        written_on=written_on,
        copy_to=document.copy_to,
        printed_by=issuer.printed_by,
        printed_on=written_on,
        figures=document.figures,
    )
    rendered = renderer().render(content)
    return rendered.data, rendered.pages
