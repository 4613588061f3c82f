"""Settings read from the environment; with nothing set, an embedded single-machine setup.

Embedded default: SQLite under var/ and a Celery broker on the file system, so that
`make run` works on a bare machine. DATABASE_URL and REDIS_URL switch to PostgreSQL
and Redis.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "import_export",
    "sanitation.organisations",
    "sanitation.core",
    "sanitation.documents",
    "plans",
    "plans.members",
    "plans.branches",
    "plans.ratings",
    "classification",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sanitation.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sanitation.urls"
WSGI_APPLICATION = "sanitation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sanitation.core.navigation.navigation",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------------

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL and immediate transactions avoid
    # "database is locked" when they write at the same moment.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache and broker when REDIS_URL is set --------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Auth -----------------------------------------------------------------------------------

AUTH_USER_MODEL = "organisations.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language and time ----------------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Files ----------------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Uploads. Form fields other than files are held in memory, 2.5 MB of them at most (a pasted plan
# is a few kilobytes); a file over 2.5 MB streams to a temporary file, never into memory, and
# each form refuses a file by its size before reading it (Excel 5 MB, documents and attachments
# 10 MB, photos 15 MB). A request over UPLOAD_MAX_REQUEST_BYTES is refused before it is read:
# gunicorn has no body limit of its own, and a proxy in front may have none either.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=200 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "sanitation.core.uploads.RequestSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail ---------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@sanitation.localhost")

# Celery ---------------------------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # kombu's filesystem transport: a broker that needs no server, shared by the
    # processes of one machine through a folder.
    _broker_dir = env.path("CELERY_BROKER_DIR", default=VAR_DIR / "broker")
    for _sub in ("queue", "processed", "control"):
        Path(_broker_dir, _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(_broker_dir, "queue")),
        "data_folder_out": str(Path(_broker_dir, "queue")),
        "processed_folder": str(Path(_broker_dir, "processed")),
        # Without it kombu keeps its exchange tables in ./control of whatever the cwd is.
        "control_folder": str(Path(_broker_dir, "control")),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="sanitation")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The cycle ------------------------------------------------------------------------------

# Monthly, quarterly and annual reports end in a circular: issued with its number at once, or,
# with False, left as a draft for the office to check and issue by hand.
CYCLE_ISSUE_CIRCULARS = env.bool("CYCLE_ISSUE_CIRCULARS", default=True)
# Seconds a run sleeps between collecting its numbers and writing its report. For tests only:
# it lets them kill a worker in the middle of a run. Leave it at 0.
CYCLE_RUN_DELAY_SECONDS = env.float("CYCLE_RUN_DELAY_SECONDS", default=0)

# Official documents ---------------------------------------------------------------------

# Faces by role, "Family:Style" as fontconfig names them (fc-list). A site with a licensed
# 仿宋 sets DOCUMENT_FONT_BODY="FangSong_GB2312:Regular", say.
DOCUMENT_FONTS = {
    "title": env.str("DOCUMENT_FONT_TITLE", default="Noto Serif CJK SC:Bold"),  # mark and title, 小标宋
    "body": env.str("DOCUMENT_FONT_BODY", default="Noto Serif CJK SC:Regular"),  # 仿宋 stand-in
    "heading1": env.str("DOCUMENT_FONT_HEADING1", default="Noto Sans CJK SC:Regular"),  # 黑体
    "heading2": env.str("DOCUMENT_FONT_HEADING2", default="AR PL UKai CN:Book"),  # 楷体
    "heading3": env.str("DOCUMENT_FONT_HEADING3", default="Noto Serif CJK SC:Bold"),  # bold body face
}
DOCUMENT_FALLBACK_FONTS = env.list("DOCUMENT_FALLBACK_FONTS", default=["Symbola:Regular"])
DOCUMENT_FONT_CACHE = env.path("DOCUMENT_FONT_CACHE", default=VAR_DIR / "fonts")

# Content-Security-Policy ----------------------------------------------------------------

# Enforced everywhere, in development too, so that an inline script or style shows up at once.
# blob: lets the inspection form preview a photo before it has uploaded.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (sanitation/core/login_throttle.py): failures counted in the cache over a
# window; a user name is locked for every address, an address for every user name.
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=15 * 60)
LOGIN_THROTTLE_USERNAME_FAILURES = env.int("LOGIN_THROTTLE_USERNAME_FAILURES", default=5)
LOGIN_THROTTLE_ADDRESS_FAILURES = env.int("LOGIN_THROTTLE_ADDRESS_FAILURES", default=50)
# Proxies in front of the application that append to X-Forwarded-For (0: none, REMOTE_ADDR is
# the client). Behind one, without this every login would share the proxy's address.
LOGIN_THROTTLE_TRUSTED_PROXIES = env.int("LOGIN_THROTTLE_TRUSTED_PROXIES", default=0)

# REST framework -------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    # ?ordering= on every list that names its ordering_fields (sanitation/core/api_ordering.py).
    "DEFAULT_FILTER_BACKENDS": ["sanitation.core.api_ordering.Ordering"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sanitation.core.api_schema.AutoSchema",
    # Scoped: only views that name a throttle_scope are counted (the token endpoint).
    "DEFAULT_THROTTLE_RATES": {"token": env.str("TOKEN_THROTTLE_RATE", default="10/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "环卫工作计划管理 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set several fields share (a rectification's state, an event's from and to).
    "ENUM_NAME_OVERRIDES": {
        "InspectionKindEnum": "supervision.models.InspectionKind",
        "RectificationStateEnum": "supervision.models.RectificationState",
        "ReportStateEnum": "supervision.models.ReportState",
    },
}

# Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every step of every render at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# Demo data ------------------------------------------------------------------------------

# Each app that has demo data offers a `seed()` function; `seed_demo` calls them in order,
# so the command needs to know no app (dependencies point towards sanitation/).
DEMO_SEEDERS = [
    "sanitation.organisations.demo.seed",
    "sanitation.documents.demo.seed",
    "plans.demo.seed",
    "plans.members.demo.seed",
    "plans.branches.demo.seed",
    "plans.ratings.demo.seed",
    "classification.demo.seed",
    "supervision.demo.seed",
]
# The users' own documents the demo is built from (a checkout of the project's shared folder).
SEEDS_DIR = env.path("SEEDS_DIR", default=BASE_DIR.parent / "shared" / "seeds")
DEMO_LOGINS = "sanitation.organisations.demo.logins"
