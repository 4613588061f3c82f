# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=sanitation.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-cjk fonts-arphic-ukai fonts-symbola gettext curl \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN SECRET_KEY=build-only python manage.py compilemessages -v0 --ignore=.venv --ignore=var \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
 && SECRET_KEY=build-only python manage.py prepare_fonts \
 && useradd --system --uid 1000 --home /app app \
 && mkdir -p /app/var/media \
 && chown -R app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "sanitation.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
