"""`make bench`: build the city, measure every figure, print one table, write bench/results.json.

    python -m bench.run [--scale 1.0] [--skip-build]

The order matters: the weekly report is measured once the city holds its first 100,000
inspections and again at 1,000,000, so the city is always built fresh (about ten minutes at
scale 1.0) unless --skip-build reuses the last one for the other figures (the scaling figure then
keeps its previous value from results.json). See README, "Benchmarks", for what each figure means.
"""

import argparse
import json
import time
from pathlib import Path

from bench import city

RESULTS = Path(__file__).with_name("results.json")


def _previous() -> dict:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def _city(scale: float, skip_build: bool) -> tuple[dict, dict | None]:
    from bench import reports

    if skip_build and city.exists():
        return city.facts(), _previous().get("reports", {}).get("scaling")
    print(f"Building the city (scale {scale}) in the database {city.DATABASE} …")
    city.build(scale)
    recent = max(1, round(city.RECENT_INSPECTIONS * scale))
    facts = city.grow(recent)
    at_small = reports.weekly_at_size(facts, "100k")
    facts = city.grow(max(0, round(city.INSPECTIONS * scale) - recent))
    at_large = reports.weekly_at_size(facts, "1m")
    return facts, reports.scaling(at_small, at_large) | {"plans": [at_small["plans"], at_large["plans"]]}


def measure(scale: float, skip_build: bool) -> dict:
    from bench import circular_render, collection_import, cycle, pages, reports

    started = time.perf_counter()
    facts, scaling = _city(scale, skip_build)
    results = {"city": facts}
    results["reports"] = reports.run(facts) | ({"scaling": scaling} if scaling else {})
    results["pages"] = pages.run()
    results["cycle"] = cycle.run(facts)
    results["collection_import"] = collection_import.run()
    results["circular_render"] = circular_render.run()
    results["seconds"] = round(time.perf_counter() - started)
    return results


def table(results: dict) -> str:
    from bench import circular_render, collection_import, cycle, pages, reports

    counts = results["city"]["counts"]
    parts = [
        "City: " + ", ".join(f"{table.split('_', 1)[1]} {count:,}" for table, count in counts.items()),
        reports.table(results["reports"]),
        pages.table(results["pages"]),
        cycle.table(results["cycle"]),
        collection_import.table(results["collection_import"]),
        circular_render.table(results["circular_render"]),
    ]
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the issue's sizes; 0.02 for a quick try")
    parser.add_argument("--skip-build", action="store_true", help="reuse the city of the last run")
    args = parser.parse_args()
    results = measure(args.scale, args.skip_build)
    print()
    print(table(results))
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"\n→ {RESULTS} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
