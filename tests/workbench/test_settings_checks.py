"""Settings come from the environment; production starts are refused with development defaults."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from workbench.checks import production_safety
from workbench.settings import DEFAULT_SECRET_KEY, env_bool

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_reads_yes_and_no(monkeypatch):
    monkeypatch.setenv("WB_FLAG", "yes")
    assert env_bool("WB_FLAG", False) is True
    monkeypatch.setenv("WB_FLAG", "0")
    assert env_bool("WB_FLAG", True) is False


def test_env_bool_refuses_a_guess(monkeypatch):
    monkeypatch.setenv("WB_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="WB_FLAG must be true or false"):
        env_bool("WB_FLAG", False)


def test_check_refuses_debug_off_with_default_secret_key():
    with override_settings(DEBUG=False, SECRET_KEY=DEFAULT_SECRET_KEY, CELERY_TASK_ALWAYS_EAGER=False):
        ids = [e.id for e in production_safety(None)]
    assert ids == ["workbench.E001"]


def test_check_refuses_debug_off_with_eager_tasks():
    with override_settings(DEBUG=False, SECRET_KEY="x" * 50, CELERY_TASK_ALWAYS_EAGER=True):
        ids = [e.id for e in production_safety(None)]
    assert ids == ["workbench.E002"]


def test_check_passes_a_proper_production_configuration():
    with override_settings(DEBUG=False, SECRET_KEY="x" * 50, CELERY_TASK_ALWAYS_EAGER=False):
        assert production_safety(None) == []


def _settings_in_subprocess(env: dict) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='workbench.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'],"
        " s.EMAIL_BACKEND, s.DEBUG, s.THROTTLE_WRITES or 'off')"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "WORKBENCH_", "DEBUG"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_embedded_default_needs_no_services():
    out = _settings_in_subprocess({})
    assert out == (
        "django.db.backends.sqlite3 True django.core.cache.backends.locmem.LocMemCache "
        "django.core.mail.backends.console.EmailBackend True 120/min"
    )


def test_database_and_redis_urls_switch_backends_and_turn_eager_off():
    out = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "REDIS_URL": "redis://127.0.0.1:6379/0",
         "WORKBENCH_THROTTLE_WRITES": "off", "DEBUG": "false", "SECRET_KEY": "s" * 40}
    )
    assert out == (
        "django.db.backends.postgresql False django.core.cache.backends.redis.RedisCache "
        "django.core.mail.backends.console.EmailBackend False off"
    )
