"""Read a whole official document typed or pasted as plain text or Markdown.

The layout is the one of a printed circular (see ``../shared/seeds/``): the issuer mark
(…文件), the document number (…〔2022〕03号), the title, the recipients ending in a colon, the
body, then the signature and date of writing, 附注, 抄送 and the 印发 line. Every part but
the title and body is optional; a document with none of them is a title and a body.
"""

import datetime
import re

from .body import FURNITURE, clean_line
from .content import CircularContent

NUMBER = re.compile(r"^\S*〔\d{4}〕\s*\d+\s*号$")
DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
WRITTEN_ON = re.compile(rf"^{DATE}$")
PRINTED = re.compile(rf"^(.*?)\s*{DATE}\s*印发$")
COPY_TO = re.compile(r"^抄\s*送[：:]\s*(.+?)[。.]?$")
ATTACHMENT = re.compile(r"^附\s*件[：:]\s*(.*)$")
ATTACHMENT_ITEM = re.compile(r"^\d+[.．、]\s*")
NOTE = re.compile(r"^[（(](.+)[）)]$")
RECIPIENTS_MAX = 80
SIGNATURE_MAX = 30


def _date(match: re.Match, first: int = 1) -> datetime.date:
    year, month, day = (int(match.group(first + i)) for i in range(3))
    return datetime.date(year, month, day)


def parse_document(text: str) -> CircularContent:
    # The body keeps its Markdown (headings mark attachments); the parts around it are read clean.
    raw = [line.strip() for line in text.splitlines()]
    raw = [line for line in raw if line and not FURNITURE.match(line)]
    lines = _Lines(raw)
    content = CircularContent(title="")
    if lines and lines[0].endswith("文件") and len(lines[0]) <= 30:
        content.mark = lines.pop(0)
    if lines and NUMBER.match(lines[0]):
        content.number = re.sub(r"\s+", "", lines.pop(0))
    _read_tail(lines, content)
    if lines:
        content.title = lines.pop(0)
    if lines and lines[0].endswith(("：", ":")) and len(lines[0]) <= RECIPIENTS_MAX:
        content.recipients = lines.pop(0).rstrip("：:")
    _read_closing(lines, content)
    content.body = "\n".join(lines.raw)
    return content


class _Lines(list):
    """Cleaned lines that remember the raw line each came from."""

    def __init__(self, raw: list[str]):
        super().__init__(clean_line(line) for line in raw)
        self.raw = list(raw)

    def pop(self, index: int = -1) -> str:
        self.raw.pop(index)
        return super().pop(index)

    def __delitem__(self, key) -> None:
        del self.raw[key]
        super().__delitem__(key)


def _is_name_line(line: str) -> bool:
    """An issuer's name standing on its own line: short, no sentence punctuation."""
    return len(line) <= SIGNATURE_MAX and not re.search(r"[。，；：:]", line)


def _read_tail(lines: list[str], content: CircularContent) -> None:
    """The 版记 at the end: 抄送 and the 印发 line (印发机关 may stand on its own line)."""
    if lines:
        printed = PRINTED.match(lines[-1])
        if printed:
            lines.pop()
            content.printed_on = _date(printed, 2)
            content.printed_by = printed.group(1).strip()
            if not content.printed_by and lines and _is_name_line(lines[-1]) and not COPY_TO.match(lines[-1]):
                content.printed_by = lines.pop()
    if lines:
        copy_to = COPY_TO.match(lines[-1])
        if copy_to:
            lines.pop()
            content.copy_to = copy_to.group(1)


def _read_closing(lines: list[str], content: CircularContent) -> None:
    """附件说明, signature, date of writing and 附注 between the body and the 版记."""
    if lines and NOTE.match(lines[-1]) and len(lines) >= 2 and WRITTEN_ON.match(lines[-2]):
        content.note = NOTE.match(lines.pop()).group(1)
    if lines and WRITTEN_ON.match(lines[-1]):
        content.written_on = _date(WRITTEN_ON.match(lines.pop()))
        if lines and _is_name_line(lines[-1]):
            content.signature = lines.pop()
    for index, line in enumerate(lines):
        first = ATTACHMENT.match(line)
        if not first:
            continue
        names = [first.group(1)]
        end = index + 1
        while end < len(lines) and ATTACHMENT_ITEM.match(lines[end]) and len(lines[end]) <= 60:
            names.append(lines[end])
            end += 1
        content.attachments = [ATTACHMENT_ITEM.sub("", name) for name in names if name]
        del lines[index:end]
        break
