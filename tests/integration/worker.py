"""A real Celery worker on the Redis broker, in a thread, for integration tests."""
from __future__ import annotations

import contextlib

from celery.contrib.testing.worker import start_worker

from workbench.celery import app

# The app reads Django settings under the CELERY_ namespace, so its configuration keys carry that
# prefix: setting ``app.conf.task_always_eager`` would be silently ignored.
KEYS = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")


@contextlib.contextmanager
def sending_to_redis(broker_url: str | None = None):
    """Tasks sent by this process go to the Redis broker (eager mode really off), with no worker in
    this process. The cached connection pools are dropped on the way in and out, so the new broker
    settings are the ones used and no later test inherits them."""
    from django.conf import settings

    saved = {key: app.conf.get(key) for key in KEYS}
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
    app.conf["CELERY_BROKER_URL"] = broker_url or settings.CELERY_BROKER_URL
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        app._pool = None
        app.amqp._producer_pool = None


@contextlib.contextmanager
def real_worker(*, concurrency: int = 1, broker_url: str | None = None):
    """Run tasks on a real worker: eager mode off, the Redis broker, a thread pool of ``concurrency``."""
    with sending_to_redis(broker_url):
        with start_worker(app, pool="threads", concurrency=concurrency, perform_ping_check=False,
                          shutdown_timeout=30, loglevel="WARNING"):
            yield app
