"""Core tasks. ``ping`` proves the worker path end to end: broker, worker, database."""
from celery import shared_task

from .models import AuditEvent


@shared_task(name="workbench.tasks.ping", bind=True)
def ping(self, token: str) -> str:
    """Write one audit row carrying ``token`` and the worker's name (None when run in-process);
    tests and operators read it back to see that a worker ran it."""
    AuditEvent.objects.create(
        actor_label="system", verb="worker.ping", target_type="worker", target_id=token[:80], target_label="ping",
        data={"token": token, "worker": self.request.hostname},
    )
    return token
