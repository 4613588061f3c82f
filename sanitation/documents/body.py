"""The body of an official document: plain text or Markdown as staff type or paste it.

One non-empty line is one paragraph. A paragraph opening with a heading number is a heading
of that level: 一、 (level 1), （一） (level 2), 1. or 1、 (level 3), （1） (level 4).
Markdown heading marks and bold (``## **二、…**``) are accepted and dropped. ``# 标题``
starts an attachment (附件) on a new page. Consecutive ``| a | b |`` lines make a table
(a ``|---|`` line marks the header row above it). ``[[figure:NAME]]`` places a figure a
report supplies (trusted SVG or HTML made by our own code, never typed by users).
Horizontal rules and the ``(此页无内容)`` note of printed documents are page furniture.
"""

import re
from dataclasses import dataclass, field
from typing import ClassVar

CHINESE_NUMERALS = "一二三四五六七八九十百零〇"
HEADING_PATTERNS = [
    (1, re.compile(rf"^[{CHINESE_NUMERALS}]+、")),
    (2, re.compile(rf"^[（(][{CHINESE_NUMERALS}]+[）)]")),
    (3, re.compile(r"^\d{1,3}(?:[.．、](?!\d))")),
    (4, re.compile(r"^[（(]\d{1,3}[）)]")),
]
# A heading line longer than this is a paragraph whose first sentence is its heading (run-in).
RUN_IN_LIMIT = 40
FURNITURE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,}|[（(]此页无内容[）)])$")
FIGURE = re.compile(r"^\[\[figure:([\w-]+)\]\]$")
TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*")
# Spaces that PDF-to-text conversion leaves between Chinese characters and digits
# ("协会 重点工作", "2022 年"); Chinese text sets none there.
CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
STRAY_SPACE = re.compile(rf"(?<=[{CJK}])[ \t\u00a0]+(?=[{CJK}0-9])|(?<=[0-9])[ \t\u00a0]+(?=[{CJK}])")


@dataclass
class Heading:
    kind: ClassVar[str] = "heading"
    level: int
    label: str  # the number with its punctuation: "一、", "（二）", "3."
    title: str  # the part set in the heading face
    rest: str = ""  # run-in text after the heading sentence, in the body face


@dataclass
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str


@dataclass
class Table:
    kind: ClassVar[str] = "table"
    header: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    kind: ClassVar[str] = "figure"
    name: str


@dataclass
class Attachment:
    """The start of an attachment: a new page with 附件N and the attachment's title."""

    kind: ClassVar[str] = "attachment"

    number: int
    title: str


Block = Heading | Paragraph | Table | Figure | Attachment


@dataclass
class _TableBuilder:
    lines: list[list[str]] = field(default_factory=list)
    header_rows: int = 0

    def build(self) -> Table:
        header = self.lines[0] if self.header_rows else []
        return Table(header=header, rows=self.lines[1:] if self.header_rows else self.lines)


def clean_line(line: str) -> str:
    """Strip Markdown decoration and stray spaces, keep the words."""
    line = line.strip().replace("\u3000", " ").strip()
    line = MARKDOWN_HEADING.sub("", line)
    line = line.replace("**", "").replace("__", "")
    return STRAY_SPACE.sub("", line).strip()


def heading_of(text: str) -> Heading | None:
    for level, pattern in HEADING_PATTERNS:
        match = pattern.match(text)
        if match:
            label, title = match.group(0), text[match.end() :].strip()
            if len(text) <= RUN_IN_LIMIT:
                return Heading(level, label, title)
            sentence_end = re.search(r"[。！？：:]", title)
            if sentence_end and sentence_end.end() <= RUN_IN_LIMIT:
                cut = sentence_end.end()
                return Heading(level, label, title[:cut], title[cut:])
            return Heading(level, label, "", title)
    return None


def parse_body(text: str) -> list[Block]:
    blocks: list[Block] = []
    table: _TableBuilder | None = None
    attachments = 0
    for raw in text.splitlines():
        stripped = raw.strip()
        if table is not None and not stripped.startswith("|"):
            if table.lines:
                blocks.append(table.build())
            table = None
        if not stripped or FURNITURE.match(stripped):
            continue
        if stripped.startswith("|"):
            table = table or _TableBuilder()
            if TABLE_RULE.match(stripped):
                table.header_rows = 1 if table.lines else 0  # a rule with no row above marks no header
            else:
                table.lines.append([clean_line(cell) for cell in stripped.strip("|").split("|")])
            continue
        figure = FIGURE.match(stripped)
        if figure:
            blocks.append(Figure(figure.group(1)))
            continue
        markdown = MARKDOWN_HEADING.match(stripped)
        text = clean_line(stripped)
        if markdown and len(markdown.group(1)) == 1 and not heading_of(text):
            attachments += 1
            blocks.append(Attachment(attachments, text))
            continue
        blocks.append(heading_of(text) or Paragraph(text))
    if table is not None and table.lines:
        blocks.append(table.build())
    return blocks


def plain_text(blocks: list[Block]) -> str:
    """The words of the body in reading order (for search and glyph checks)."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(block.label + block.title + block.rest)
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Attachment):
            parts.append(block.title)
        elif isinstance(block, Table):
            parts.extend("".join(row) for row in [block.header, *block.rows])
    return "\n".join(parts)
