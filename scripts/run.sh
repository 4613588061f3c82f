#!/usr/bin/env bash
# `make run`: migrate, translate, load the demo, then web server + Celery worker + beat.
# Ctrl-C stops every process started here.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=sanitation.settings.base
export DEBUG="${DEBUG:-true}"
port="${PORT:-8000}"
bin=.venv/bin
mkdir -p var

$bin/python manage.py migrate --noinput -v0
$bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=var
$bin/python manage.py prepare_fonts -v0 >/dev/null
$bin/python manage.py seed_demo --logins

pids=()
stop() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

$bin/celery -A sanitation worker --loglevel=INFO --concurrency=2 &
pids+=($!)
$bin/celery -A sanitation beat --loglevel=INFO &
pids+=($!)
$bin/python manage.py runserver "0.0.0.0:${port}" --noreload &
pids+=($!)

database=$($bin/python -c 'import django; django.setup(); from django.db import connection as c; print(c.vendor)' 2>/dev/null || echo "?")
broker=${REDIS_URL:-"filesystem (var/broker)"}
cat <<INFO

  环卫工作计划管理 / Sanitation work planning
  打开 / open:  http://127.0.0.1:${port}/
  数据库 / database: ${database} · 消息队列 / broker: ${broker}
  演示账号见上 (密码 demo-2026) / demo logins above. Ctrl-C 停止 / stops everything.

INFO
wait -n
