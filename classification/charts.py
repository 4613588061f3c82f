"""Charts drawn on the server as SVG markup, so a page and a WeasyPrint PDF show the same picture.

Pure functions: labels and numbers in, an `<svg>` string out. No script and no style
attributes (the pages run under a CSP): only presentation attributes. Text is escaped.
"""

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

Number = Decimal | int | float | None

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d0d7de"
BAR = "#0b5cad"
TARGET = "#c0392b"
# The national colours of the four bins: recyclables blue, hazardous red, kitchen green, other grey.
CATEGORY_COLOURS = ("#1f5fa8", "#c0392b", "#2e7d32", "#5f6368")
PALETTE = (*CATEGORY_COLOURS, "#b7791f", "#6f42c1")
FONT_SIZE = 12
TITLE_HEIGHT = 24


def _n(value: float) -> str:
    """A coordinate, short and stable."""
    return f"{value:.1f}".removesuffix(".0")


def number_text(value: Number) -> str:
    """How a chart (and its table) writes a number: as given, two places for floats, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """Rough width of a label: CJK characters are square, Latin ones about 0.6 of the size."""
    return sum(size if ord(char) >= 0x2E80 else size * 0.6 for char in text)


def _text(x: float, y: float, content: str, *, anchor: str = "start", fill: str = INK, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}"{weight}>{escape(content)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = GRID, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" stroke-width="1"{dash}/>'


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(width, 0))}" height="{_n(max(height, 0))}" fill="{fill}"/>'


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{label}" '
        f'font-family="{FONT}" font-size="{FONT_SIZE}"><title>{label}</title>'
        + _text(0, 16, title, bold=True)
        + "".join(body)
        + "</svg>"
    )


def _scale_max(values: Sequence[Number], floor: Number = None) -> float:
    """A round top for an axis of four ticks, at least every value and `floor`."""
    top = max([float(v) for v in (*values, floor) if v is not None] or [0])
    if top <= 0:
        return 1.0
    raw_step = top / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return step * 4


def horizontal_bar_chart(
    *,
    title: str,
    bars: Sequence[tuple[str, Number]],
    targets: Sequence[tuple[str, Number]] = (),
    maximum: Number = None,
    unit: str = "%",
) -> str:
    """One bar per label (e.g. coverage by street), with dashed target lines (e.g. each deadline's target)."""
    row, bar_height, plot_width = 26, 16, 360
    left = max([text_width(label) for label, _ in bars] or [0]) + 12
    targets = [(label, value) for label, value in targets if value is not None]
    top = TITLE_HEIGHT + (18 * len(targets))
    scale = float(maximum) if maximum else _scale_max([v for _, v in bars], max([v for _, v in targets], default=None))
    width, height = left + plot_width + 70, top + row * len(bars) + 8

    def x_of(value: Number) -> float:
        return left + plot_width * min(float(value or 0), scale) / scale

    body = [_line(left, top, left, height - 4, stroke=MUTED)]
    for index, (label, value) in enumerate(bars):
        y = top + index * row + (row - bar_height) / 2
        body.append(_text(left - 6, y + bar_height - 3, label, anchor="end"))
        if value is not None:
            body.append(_rect(left, y, x_of(value) - left, bar_height, BAR))
        body.append(
            _text(x_of(value) + 4, y + bar_height - 3, f"{number_text(value)}{unit if value is not None else ''}")
        )
    for index, (label, value) in enumerate(targets):
        x = x_of(value)
        body.append(_line(x, TITLE_HEIGHT + 18 * index + 14, x, height - 4, stroke=TARGET, dashed=True))
        anchor = "end" if x > left + plot_width / 2 else "start"
        caption = f"{label} {number_text(value)}{unit}"
        body.append(_text(x, TITLE_HEIGHT + 18 * index + 12, caption, anchor=anchor, fill=TARGET))
    return _svg(width, height, title, body)


def line_chart(
    *, title: str, points: Sequence[tuple[str, Number]], unit: str = "%", maximum: Number = None, target: Number = None
) -> str:
    """Values over time (e.g. the separation rate by month); a gap where a value is missing."""
    target_caption = f"{number_text(target)}{unit}" if target is not None else ""
    left, right, top, bottom = 48, 24 + text_width(target_caption), TITLE_HEIGHT + 16, 36
    plot_width, plot_height = 480, 180
    width, height = left + plot_width + right, top + plot_height + bottom
    scale = float(maximum) if maximum else _scale_max([v for _, v in points], target)
    step = plot_width / max(len(points) - 1, 1)
    label_every = max(1, math.ceil(len(points) * 60 / plot_width))

    def y_of(value: Number) -> float:
        return top + plot_height - plot_height * min(float(value), scale) / scale

    body = []
    for tick in range(5):
        value = scale * tick / 4
        y = y_of(value)
        body.append(_line(left, y, left + plot_width, y))
        body.append(_text(left - 6, y + 4, f"{value:g}{unit}", anchor="end", fill=MUTED))
    if target is not None:
        y = y_of(target)
        body.append(_line(left, y, left + plot_width, y, stroke=TARGET, dashed=True))
        body.append(_text(left + plot_width + 6, y + 4, target_caption, fill=TARGET))
    segment: list[str] = []
    segments = [segment]
    for index, (label, value) in enumerate(points):
        x = left + step * index if len(points) > 1 else left + plot_width / 2
        if index % label_every == 0:
            body.append(_text(x, top + plot_height + 18, label, anchor="middle", fill=MUTED))
        if value is None:
            segment = []
            segments.append(segment)
            continue
        segment.append(f"{_n(x)},{_n(y_of(value))}")
        body.append(f'<circle cx="{_n(x)}" cy="{_n(y_of(value))}" r="3" fill="{BAR}"/>')
        body.append(_text(x, y_of(value) - 7, number_text(value), anchor="middle"))
    for part in segments:
        if len(part) > 1:
            body.insert(0, f'<polyline points="{" ".join(part)}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    return _svg(width, height, title, body)


def stacked_bar_chart(
    *, title: str, parts: Sequence[tuple[str, Number]], unit: str = "t", colours: Sequence[str] = PALETTE
) -> str:
    """One bar split into its parts (e.g. the four categories of waste), with a legend of amounts and shares."""
    plot_width, bar_height = 480, 28
    total = sum(float(value or 0) for _, value in parts)
    top = TITLE_HEIGHT + 8
    width, height = plot_width + 2, top + bar_height + 16 + 20 * len(parts)
    body = [_rect(0, top, plot_width, bar_height, GRID)]
    x = 0.0
    for index, (label, value) in enumerate(parts):
        share = float(value or 0) / total if total else 0
        body.append(_rect(x, top, plot_width * share, bar_height, colours[index % len(colours)]))
        x += plot_width * share
        y = top + bar_height + 16 + 20 * index
        body.append(_rect(0, y - 11, 12, 12, colours[index % len(colours)]))
        share_text = f" ({share * 100:.2f}%)" if total else ""
        body.append(_text(18, y, f"{label} {number_text(value)} {unit}{share_text}"))
    return _svg(width, height, title, body)


def bar_chart(
    *, title: str, bars: Sequence[tuple[str, Number]], unit: str = "", target: tuple[str, Number] | None = None
) -> str:
    """Upright bars, one per label (e.g. facilities per 1,000 households by street), with an optional target."""
    left, top, bottom, plot_height = 12, TITLE_HEIGHT + 20, 28, 160
    slot = max([56.0] + [text_width(label) + 10 for label, _ in bars])
    target_value = target[1] if target else None
    target_caption = f"{target[0]} {number_text(target_value)}{unit}" if target and target_value is not None else ""
    plot_right = max(320.0, left * 2 + slot * len(bars))
    width, height = plot_right + text_width(target_caption) + 8, top + plot_height + bottom
    scale = _scale_max([v for _, v in bars], target_value)
    baseline = top + plot_height

    def y_of(value: Number) -> float:
        return baseline - plot_height * min(float(value or 0), scale) / scale

    body = [_line(left, baseline, plot_right - left, baseline, stroke=MUTED)]
    for index, (label, value) in enumerate(bars):
        centre = left + slot * index + slot / 2
        if value is not None:
            body.append(_rect(centre - 16, y_of(value), 32, baseline - y_of(value), BAR))
        body.append(
            _text(centre, y_of(value) - 4, f"{number_text(value)}{unit if value is not None else ''}", anchor="middle")
        )
        body.append(_text(centre, baseline + 18, label, anchor="middle", fill=MUTED))
    if target_caption:
        y = y_of(target_value)
        body.append(_line(left, y, plot_right - left, y, stroke=TARGET, dashed=True))
        body.append(_text(plot_right - left + 4, y + 4, target_caption, fill=TARGET))
    return _svg(width, height, title, body)
