"""A real Celery worker on the Redis broker, in a thread, for integration tests."""
from __future__ import annotations

import contextlib

from celery.contrib.testing.worker import start_worker

from workbench.celery import app

# The app reads Django settings under the CELERY_ namespace, so its configuration keys carry that
# prefix: setting ``app.conf.task_always_eager`` would be silently ignored.
KEYS = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")


@contextlib.contextmanager
def real_worker(*, concurrency: int = 1, broker_url: str | None = None):
    """Run tasks on a real worker: eager mode off, the Redis broker, a thread pool of ``concurrency``."""
    from django.conf import settings

    saved = {key: app.conf.get(key) for key in KEYS}
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
    app.conf["CELERY_BROKER_URL"] = broker_url or settings.CELERY_BROKER_URL
    try:
        with start_worker(app, pool="threads", concurrency=concurrency, perform_ping_check=False,
                          shutdown_timeout=30, loglevel="WARNING"):
            yield app
    finally:
        for key, value in saved.items():
            app.conf[key] = value
