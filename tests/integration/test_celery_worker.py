"""A real worker takes a task from Redis and writes to PostgreSQL; the test reads the row back."""
import time
import uuid

import pytest
from django.db import close_old_connections

from workbench.models import AuditEvent
from workbench.tasks import ping

from .worker import real_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        if predicate():
            return True
        time.sleep(0.1)  # polling a real worker; bounded by the deadline above
    return False


def test_worker_runs_task_that_writes_to_postgres():
    from django.db import connection

    assert connection.vendor == "postgresql"
    token = uuid.uuid4().hex
    with real_worker():
        ping.delay(token)
        assert wait_for(lambda: AuditEvent.objects.filter(verb="worker.ping", data__token=token).exists()), (
            "the worker did not run the task within 30 s"
        )


def test_a_worker_on_a_wrong_broker_never_runs_the_task():
    """The guard the test above relies on: with a broker nobody listens on, the row never appears."""
    from workbench.celery import app

    token = uuid.uuid4().hex
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:6390/0"  # nothing listens there
    try:
        with pytest.raises(Exception):
            ping.apply_async((token,), retry=False)
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
    assert not AuditEvent.objects.filter(data__token=token).exists()
