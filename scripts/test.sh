#!/usr/bin/env bash
# `make test`: translations, lint, migrations in step with models, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=sanitation.settings.test
bin=.venv/bin

$bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=var
$bin/python manage.py prepare_fonts >/dev/null  # cut the document fonts once, not in the first test
$bin/ruff check .
$bin/ruff format --check .
# No database needed to compare models with migrations.
DATABASE_URL=sqlite://:memory: $bin/python manage.py makemigrations --check --dry-run
$bin/pytest "$@"
