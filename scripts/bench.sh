#!/usr/bin/env bash
# make bench: build the bench city in PostgreSQL, measure every figure of bench/, print a table and
# write bench/results.json. Needs PostgreSQL and Redis on 127.0.0.1 (as `make test` does); the city
# lives in a database of its own (sanitation_bench), never the one `make run` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY="${SECRET_KEY:-bench}"
if ! .venv/bin/python -c 'import psycopg2; psycopg2.connect("postgres://postgres@127.0.0.1:5432/postgres").close()' 2>/dev/null; then
  echo "make bench: PostgreSQL does not answer on 127.0.0.1:5432 as user postgres (trust auth)." >&2
  echo "  Start it (e.g. pg_ctlcluster <version> main start, or docker compose up -d db with that port published)." >&2
  exit 1
fi
if ! .venv/bin/python -c 'import redis; redis.Redis(host="127.0.0.1", port=6379).ping()' 2>/dev/null; then
  echo "make bench: Redis does not answer on 127.0.0.1:6379 (the cycle figure runs a real Celery worker)." >&2
  exit 1
fi
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=var
.venv/bin/python manage.py prepare_fonts >/dev/null
DATABASE_URL=sqlite://:memory: .venv/bin/python manage.py collectstatic --noinput -v0  # gunicorn serves the pages as in production
.venv/bin/python -m bench.run "$@"
