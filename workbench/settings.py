"""Settings for Workbench, read from environment variables.

With nothing set, Workbench runs on an embedded default that needs no services: SQLite in the
project folder, Celery tasks run in-process, a local-memory cache and e-mail printed to the console.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to a real Celery broker and cache. Every
variable is documented in README.md.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The one secret key that is public: fine for a laptop, refused by a system check when DEBUG is off.
DEFAULT_SECRET_KEY = "workbench-insecure-development-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; anything but a clear yes or no is a configuration error, not a guess."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY") or DEFAULT_SECRET_KEY
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("WORKBENCH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "workbench",
    "definitions",
    "consultations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "workbench.urls"
WSGI_APPLICATION = "workbench.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "workbench" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workbench.context_processors.roles",
            ],
        },
    },
]

# Database: SQLite beside the code unless DATABASE_URL says otherwise (psycopg 3 for PostgreSQL).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("WORKBENCH_SQLITE_PATH", str(BASE_DIR / "workbench.sqlite3")),
            # Writers wait for the lock instead of failing at once with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
# Test runs may share one server (several developers, or CI beside a developer): each run can name
# its own test database.
if os.environ.get("WORKBENCH_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["WORKBENCH_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: when set, the Celery broker and the cache; without it, tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "workbench"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("WORKBENCH_EAGER_TASKS", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # results that matter live in our own tables (Job rows)
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent, so a worker killed mid-task is safe to redo
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("WORKBENCH_VISIBILITY_TIMEOUT", 600)}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("WORKBENCH_CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "advance-rounds": {"task": "consultations.tasks.advance_rounds", "schedule": 60.0},
    "dispatch-queued-jobs": {"task": "consultations.tasks.dispatch_queued_jobs", "schedule": 60.0},
}
# Consolidation jobs: a part whose worker's heartbeat is older than this is taken back; a queued job
# sent this long ago and not started is sent again; threads each worker process gives numpy/BLAS
# (one per process: several worker processes on one machine must not oversubscribe its cores).
WORKBENCH_JOB_STALE_SECONDS = env_int("WORKBENCH_JOB_STALE_SECONDS", 300)
WORKBENCH_JOB_DISPATCH_GRACE_SECONDS = env_int("WORKBENCH_JOB_DISPATCH_GRACE_SECONDS", 120)
WORKBENCH_ANALYSIS_THREADS = env_int("WORKBENCH_ANALYSIS_THREADS", 1)

# E-mail: printed to the console unless EMAIL_URL names a server (smtp://user:pass@host:587/?tls=True).
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
vars().update(dj_email_url.parse(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Workbench <workbench@localhost>")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Limits that protect the service; each can be raised by an operator.
WORKBENCH_MAX_VERSION_BYTES = env_int("WORKBENCH_MAX_VERSION_BYTES", 2 * 1024 * 1024)
WORKBENCH_MAX_IMPORT_BYTES = env_int("WORKBENCH_MAX_IMPORT_BYTES", 200 * 1024 * 1024)
WORKBENCH_MAX_COMMENT_CHARS = env_int("WORKBENCH_MAX_COMMENT_CHARS", 20_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(WORKBENCH_MAX_VERSION_BYTES * 2, 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

THROTTLE_WRITES = os.environ.get("WORKBENCH_THROTTLE_WRITES", "120/min").strip()
if THROTTLE_WRITES.lower() in {"off", "none", "0", ""}:
    THROTTLE_WRITES = ""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request then gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "workbench.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["workbench.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"writes": THROTTLE_WRITES or None},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workbench.api.errors.exception_handler",
    # ?format= is ours (json|markdown|html on diffs and reports), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Workbench API",
    "DESCRIPTION": "Draft a definition together: versions, clauses, rounds, comments, votes and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WORKBENCH_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("WORKBENCH_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
