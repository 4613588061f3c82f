#!/usr/bin/env bash
# make bench: the measurements of bench/, printed as a table and kept in bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY="${SECRET_KEY:-bench}"
.venv/bin/python manage.py prepare_fonts >/dev/null
# The benchmarks that touch tables need them (the same database `make run` uses).
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python -m bench.run
