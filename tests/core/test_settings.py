"""Settings come from the environment; production settings pass Django's deployment check."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from sanitation.settings import test as test_settings

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'db_name': str(s.DATABASES['default']['NAME']), "
    "'broker': s.CELERY_BROKER_URL, 'cache': s.CACHES['default']['BACKEND'], 'tz': s.TIME_ZONE, "
    "'lang': s.LANGUAGE_CODE, 'media': str(s.MEDIA_ROOT), 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
    "'email_host': getattr(s, 'EMAIL_HOST', ''), 'email_backend': s.EMAIL_BACKEND}))"
)
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "TIME_ZONE", "LANGUAGE_CODE", "DEBUG", "SECRET_KEY", "CI")


def run_python(code: str, module: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    clean.update(DJANGO_SETTINGS_MODULE=module, **env)
    return subprocess.run(
        [sys.executable, *code], env=clean, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )


def settings_under(**env) -> dict:
    result = run_python(["-c", PRINT_SETTINGS], "sanitation.settings.base", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_need_no_server(tmp_path):
    values = settings_under(CELERY_BROKER_DIR=str(tmp_path))
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["db_name"].endswith("var/db.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["tz"] == "Asia/Shanghai"
    assert values["lang"] == "zh-hans"
    assert values["debug"] is False


def test_environment_switches_to_postgresql_redis_and_smtp():
    values = settings_under(
        DATABASE_URL="postgres://u:p@db.internal:5432/sanitation",
        REDIS_URL="redis://cache.internal:6379/2",
        TIME_ZONE="Asia/Urumqi",
        LANGUAGE_CODE="en",
        MEDIA_ROOT="/srv/media",
        ALLOWED_HOSTS="a.example,b.example",
        EMAIL_URL="smtp://mailer:secret@mail.internal:25",
        DEBUG="true",
    )
    assert values["db"] == "django.db.backends.postgresql"
    assert values["db_name"] == "sanitation"
    assert values["broker"] == "redis://cache.internal:6379/2"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["tz"] == "Asia/Urumqi"
    assert values["lang"] == "en"
    assert values["media"] == "/srv/media"
    assert values["hosts"] == ["a.example", "b.example"]
    assert values["email_host"] == "mail.internal"
    assert values["debug"] is True


def test_production_settings_pass_the_deployment_check():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "sanitation.settings.production",
        SECRET_KEY="k" * 20 + "-production-secret-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="hw.example.gov.cn",
        DATABASE_URL="postgres://u:p@db.internal:5432/sanitation",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(["manage.py", "check"], "sanitation.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_ci_without_postgresql_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setattr(test_settings, "_answers", lambda port: False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="PostgreSQL does not answer"):
        test_settings._choose_services()


def test_ci_without_redis_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setattr(test_settings, "_answers", lambda port: port == 5432)
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL", "sqlite://"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="Redis does not answer"):
        test_settings._choose_services()


def test_ci_runs_on_postgresql_and_redis():
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("only CI promises PostgreSQL and Redis")
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_file_validates():
    command = _compose_command()
    if command is None:
        if shutil.which("docker"):
            pytest.fail("a docker client is here but no compose to validate docker-compose.yml with")
        pytest.skip("no docker client on this machine")
    env = {**os.environ, "SECRET_KEY": "compose-validation"}
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for service in ("web:", "worker:", "beat:", "db:", "redis:"):
        assert service in result.stdout
    missing_secret = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"],
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "SECRET_KEY"},
        capture_output=True,
        text=True,
    )
    assert missing_secret.returncode != 0
