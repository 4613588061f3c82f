"""Circular render speed: layout against total, warm and first in a fresh process.

    python -m bench.circular_render [--repeat N] [--json]

Each figure comes from this one run, so the machine's noise affects both sides alike.
The naive render (the installed font collections, WeasyPrint's own PDF writing) runs in a child
process of its own because the engine changes process-wide state.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = "association-2022-key-work.txt"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanitation.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _content():
    from django.conf import settings

    from sanitation.documents.text_format import parse_document

    return parse_document((Path(settings.SEEDS_DIR) / SEED).read_text(encoding="utf-8"))


def _naive_renderer():
    """WeasyPrint as it comes: the installed CJK collections named directly, its own PDF writing."""
    from weasyprint import CSS

    from sanitation.documents import fonts, pdf_writing, rendering

    renderer = rendering.CircularRenderer.__new__(rendering.CircularRenderer)
    rendering.CircularRenderer.__init__(renderer)
    pdf_writing.uninstall()
    families = {}
    for face in fonts.role_faces():
        families[face.role] = f'"{face.installed.family}", "Symbola"'
    from string import Template

    css = Template(rendering.STYLESHEET.read_text()).substitute(families, page=families["body"])
    renderer.stylesheet = CSS(string=css, font_config=renderer.font_config)
    return renderer


def measure(repeat: int, naive: bool = False) -> dict:
    _setup()
    from sanitation.documents import fonts, rendering

    fonts.role_faces()  # the cuts exist (prepare_fonts); making them is not rendering
    content = _content()
    started = time.perf_counter()
    import weasyprint  # noqa: F401 - timed on its own: worker and web processes import it at start

    imported = time.perf_counter()
    renderer = _naive_renderer() if naive else rendering.renderer()
    first = renderer.render(content)
    first_seconds = time.perf_counter() - imported
    runs = [renderer.render(content) for _ in range(repeat)]
    layout = statistics.median(run.layout_seconds for run in runs)
    total = statistics.median(run.total_seconds for run in runs)
    return {
        "import_weasyprint_s": round(imported - started, 3),
        "first_render_s": round(first_seconds, 3),
        "first_with_import_s": round(first_seconds + imported - started, 3),
        "warm_layout_s": round(layout, 3),
        "warm_total_s": round(total, 3),
        # Each render against its own layout, so a slow moment weighs on both sides alike.
        "total_over_layout": round(statistics.median(run.total_seconds / run.layout_seconds for run in runs), 2),
        "pages": first.pages,
        "size_kb": round(len(first.data) / 1024, 1),
    }


def _child(repeat: int, naive: bool) -> dict:
    command = [sys.executable, "-m", "bench.circular_render", "--child", "--repeat", str(repeat)]
    if naive:
        command.append("--naive")
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(repeat: int = 25) -> dict:
    fresh = [_child(repeat, naive=False) for _ in range(3)]
    engine = min(fresh, key=lambda result: result["warm_total_s"]) | {
        key: statistics.median(result[key] for result in fresh)
        for key in ("import_weasyprint_s", "first_render_s", "first_with_import_s")
    }
    naive = _child(max(3, repeat // 3), naive=True)
    return {"engine": engine, "naive": naive}


ROWS = ("warm_layout_s", "warm_total_s", "total_over_layout", "import_weasyprint_s", "first_render_s")
ROWS += ("first_with_import_s",)
ROWS += ("pages", "size_kb")
TARGETS = {"warm_total_s": 0.3, "total_over_layout": 1.5, "first_render_s": 1.0, "first_with_import_s": 1.0}
TARGETS["size_kb"] = 400


def table(results: dict) -> str:
    lines = [f"{'circular render (' + SEED + ')':<46}{'engine':>10}{'naive':>10}{'target':>10}"]
    for key in ROWS:
        target = f"≤ {TARGETS[key]}" if key in TARGETS else ""
        lines.append(f"{key:<46}{results['engine'][key]:>10}{results['naive'][key]:>10}{target:>10}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat, naive=args.naive)))
        return
    results = run(args.repeat)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
