"""Run every benchmark of bench/ and write bench/results.json (see README, "Benchmarks")."""

import json
from pathlib import Path

from bench import circular_render, collection_import


def main() -> None:
    results = {"circular_render": circular_render.run()}
    print(circular_render.table(results["circular_render"]))
    results["collection_import"] = collection_import.run()
    print(collection_import.table(results["collection_import"]))
    path = Path(__file__).with_name("results.json")
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"\n→ {path}")


if __name__ == "__main__":
    main()
