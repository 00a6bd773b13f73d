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
    row = AuditEvent.objects.get(verb="worker.ping", data__token=token)
    assert row.data["worker"], "the task ran in-process, not on a worker"


def test_a_wrong_broker_url_fails_loudly_instead_of_losing_the_task():
    """With a broker nobody listens on, publishing raises: a task is never dropped in silence."""
    from celery import Celery
    from kombu.exceptions import OperationalError

    # set_as_current=False: shared tasks in later tests must keep resolving to the real app.
    probe = Celery("probe", broker="redis://127.0.0.1:6390/0", set_as_current=False)  # nothing listens there
    token = uuid.uuid4().hex
    with pytest.raises(OperationalError):
        probe.send_task("workbench.tasks.ping", args=(token,), retry=False)
    assert not AuditEvent.objects.filter(data__token=token).exists()
