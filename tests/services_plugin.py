"""Pick the test backends before Django reads its settings.

Loaded with ``-p`` (see pytest.ini) so it runs before pytest-django imports the settings: it
probes PostgreSQL and Redis and, when they answer, points DATABASE_URL and REDIS_URL at them.
Without them the suite runs on SQLite with in-process tasks, and the tests that need the real
services are skipped -- unless WORKBENCH_REQUIRE_SERVICES=1 (as in CI), which makes a missing
service fail the run at once instead.
"""
from __future__ import annotations

import os

import pytest

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"

REQUIRE = os.environ.get("WORKBENCH_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}
problems: list[str] = []


def _probe_postgres(url: str) -> str | None:
    try:
        import psycopg

        conninfo = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means "not reachable"; the message says why
        return f"PostgreSQL at {url} is not reachable: {exc}".strip()


def _probe_redis(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        return None
    except Exception as exc:
        return f"Redis at {url} is not reachable: {exc}"


database_url = os.environ.get("WORKBENCH_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
redis_url = os.environ.get("WORKBENCH_TEST_REDIS_URL", DEFAULT_REDIS_URL)

if os.environ.get("WORKBENCH_TEST_SQLITE", "").lower() in {"1", "true", "yes"} and not REQUIRE:
    postgres_problem = "WORKBENCH_TEST_SQLITE=1 asked for SQLite"
    redis_problem = "WORKBENCH_TEST_SQLITE=1 asked for in-process tasks"
else:
    postgres_problem = _probe_postgres(database_url)
    redis_problem = _probe_redis(redis_url)

HAVE_POSTGRES = postgres_problem is None
HAVE_REDIS = redis_problem is None

if HAVE_POSTGRES:
    os.environ["DATABASE_URL"] = database_url
else:
    os.environ.pop("DATABASE_URL", None)
    os.environ["WORKBENCH_SQLITE_PATH"] = ":memory:"
    problems.append(postgres_problem)
if HAVE_REDIS:
    os.environ["REDIS_URL"] = redis_url
else:
    os.environ.pop("REDIS_URL", None)
    problems.append(redis_problem)

# One test database and one Celery queue per run, so runs sharing the servers never collide.
os.environ.setdefault("WORKBENCH_TEST_DB_NAME", f"test_workbench_{os.getpid()}")
# Not setdefault: xdist workers inherit the parent's environment, and each needs a queue of its
# own, or one worker's Celery thread would take tasks that point into the other's database.
os.environ["WORKBENCH_CELERY_QUEUE"] = os.environ.get("WORKBENCH_TEST_CELERY_QUEUE") or f"workbench-test-{os.getpid()}"

# Unit and API tests run tasks in-process; tests marked `services` start a real worker and switch
# eager mode off for their duration.
os.environ["WORKBENCH_EAGER_TASKS"] = "1"
os.environ.setdefault("WORKBENCH_THROTTLE_WRITES", "off")
os.environ.setdefault("DEBUG", "true")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls there are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    if REQUIRE and problems:
        raise pytest.UsageError(
            "WORKBENCH_REQUIRE_SERVICES=1 but a service is missing:\n  - " + "\n  - ".join(problems)
        )


def pytest_report_header(config):
    db = f"PostgreSQL ({database_url})" if HAVE_POSTGRES else "SQLite in memory"
    broker = f"Redis ({redis_url})" if HAVE_REDIS else "none (tasks in-process)"
    return [f"workbench backends: database {db}; broker {broker}"]


def pytest_collection_modifyitems(config, items):
    if HAVE_POSTGRES and HAVE_REDIS:
        return
    reason = "; ".join(problems) + " (set WORKBENCH_REQUIRE_SERVICES=1 to make this a failure)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)
