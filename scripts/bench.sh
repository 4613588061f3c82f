#!/usr/bin/env bash
# make bench: the measurements of bench/, printed as a table and kept in bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY="${SECRET_KEY:-bench}"
.venv/bin/python manage.py prepare_fonts >/dev/null
.venv/bin/python -m bench.run
