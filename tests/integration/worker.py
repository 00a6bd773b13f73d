"""A real Celery worker on the Redis broker, in a thread, for integration tests."""
from __future__ import annotations

import contextlib

from celery.contrib.testing.worker import start_worker

from workbench.celery import app


@contextlib.contextmanager
def real_worker(*, concurrency: int = 1, broker_url: str | None = None):
    """Run tasks on a real worker: eager mode off, the Redis broker, a thread pool of ``concurrency``."""
    from django.conf import settings

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url or settings.CELERY_BROKER_URL
    try:
        with start_worker(app, pool="threads", concurrency=concurrency, perform_ping_check=False,
                          shutdown_timeout=30, loglevel="WARNING"):
            yield app
    finally:
        app.conf.update(saved)
