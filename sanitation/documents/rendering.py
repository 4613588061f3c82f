"""Circulars to PDF in the GB/T 9704-2012 format, with WeasyPrint.

One process keeps one font configuration and one parsed stylesheet (the fonts are read
once, not per document); rendering is serialised by a lock because WeasyPrint's font
configuration is not made for concurrent use.
"""

import atexit
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from . import fonts
from .body import Attachment, Figure, Paragraph, parse_body
from .content import CircularContent, chinese_date

STYLESHEET = Path(__file__).with_name("gbt9704.css")
TEXT_BLOCK_WIDTH_PT = 156 / 25.4 * 72
MARK_MAX_PT = 48
TITLE_CHARS_PER_LINE = 20  # 22 pt characters across the 156 mm text block
# Where a long title may break: after these, or before an opening book-title mark.
TITLE_BREAK_AFTER = "的和与及》、，"


@dataclass
class RenderedPdf:
    data: bytes
    pages: int
    layout_seconds: float
    total_seconds: float


def title_lines(title: str, per_line: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """Break a long title into lines of nearly equal length (the standard's trapezoid),
    at a word boundary near each even cut, the shorter lines first."""
    count = math.ceil(len(title) / per_line)
    if count <= 1:
        return [title]
    lines, start = [], 0
    for index in range(1, count):
        ideal = round(len(title) * index / count)
        # No line longer than a line, and what is left must still fit the remaining lines.
        earliest = max(start + 1, ideal - 4, len(title) - per_line * (count - index))
        latest = min(len(title) - 1, ideal + 4, start + per_line)
        cut = min(
            range(earliest, max(earliest, latest) + 1),
            key=lambda at: (not _breakable(title, at), _splits_word(title, at), abs(at - ideal), at > ideal),
        )
        lines.append(title[start:cut])
        start = cut
    lines.append(title[start:])
    return lines


def _splits_word(title: str, at: int) -> bool:
    """A cut inside a number or a Latin word (第4|7周) is the worst place to break a title."""
    before, after = title[at - 1], title[at]
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def _breakable(title: str, at: int) -> bool:
    inside_book_title = title.count("《", 0, at) > title.count("》", 0, at)
    return not inside_book_title and (title[at - 1] in TITLE_BREAK_AFTER or title[at] == "《")


def _view_blocks(blocks, figures: dict[str, str]) -> list:
    view = []
    for block in blocks:
        if isinstance(block, Figure):
            markup = figures.get(block.name)
            view.append(
                {"kind": "figure", "markup": mark_safe(markup)}  # made by our reports, never typed
                if markup is not None
                else Paragraph(f"[[figure:{block.name}]]")
            )
        else:
            view.append(block)
    return view


def circular_html(content: CircularContent) -> str:
    blocks = _view_blocks(parse_body(content.body), content.figures)
    main_blocks, attachments = [], []
    for block in blocks:
        if isinstance(block, Attachment):
            attachments.append({"heading": block, "blocks": []})
        elif attachments:
            attachments[-1]["blocks"].append(block)
        else:
            main_blocks.append(block)
    mark_size = min(MARK_MAX_PT, TEXT_BLOCK_WIDTH_PT / max(len(content.mark), 1))
    context = {
        "content": content,
        "title_lines": title_lines(content.title),
        "main_blocks": main_blocks,
        "attachments": attachments,
        "mark_size": f"{mark_size:.1f}",
        "written_on": chinese_date(content.written_on),
        "printed_on": chinese_date(content.printed_on),
    }
    return render_to_string("documents/circular.pdf.html", context)


class CircularRenderer:
    def __init__(self):
        from weasyprint import CSS  # imported here: only processes that render pay for it
        from weasyprint.text.fonts import FontConfiguration

        from . import pdf_writing

        pdf_writing.install()
        self._lock = threading.Lock()
        self.font_config = FontConfiguration()
        families = {role: fonts.family_list(role) for role in ("title", "body", "heading1", "heading2", "heading3")}
        css = Template(STYLESHEET.read_text()).substitute(families, page=families["body"])
        self.stylesheet = CSS(string=fonts.font_face_css() + "\n" + css, font_config=self.font_config)

    def layout(self, content: CircularContent):
        from weasyprint import HTML

        html = HTML(string=circular_html(content), base_url=str(STYLESHEET.parent))
        return html.render(stylesheets=[self.stylesheet], font_config=self.font_config)

    def render(self, content: CircularContent) -> RenderedPdf:
        with self._lock:
            started = time.perf_counter()
            document = self.layout(content)
            laid_out = time.perf_counter()
            data = document.write_pdf()
            finished = time.perf_counter()
        return RenderedPdf(data, len(document.pages), laid_out - started, finished - started)


_renderer: CircularRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> CircularRenderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = CircularRenderer()
        return _renderer


def warm_up() -> None:
    """Load WeasyPrint, the fonts and the stylesheet and lay out one line, so that the first
    circular a worker or web process renders costs what every later one does."""
    renderer().render(CircularContent(title="公文", body="一、预热"))


@atexit.register
def _drop_renderer() -> None:
    # WeasyPrint's FontConfiguration cleans up in __del__, which fails at interpreter teardown.
    global _renderer
    _renderer = None


def render_pdf(content: CircularContent) -> bytes:
    return renderer().render(content).data
