"""Core tasks. ``ping`` proves the worker path end to end: broker, worker, database."""
from celery import shared_task

from .models import AuditEvent


@shared_task(name="workbench.tasks.ping")
def ping(token: str) -> str:
    """Write one audit row carrying ``token``; tests and operators read it back to see a worker ran."""
    AuditEvent.objects.create(
        actor_label="system", verb="worker.ping", target_type="worker", target_id=token[:80], target_label="ping",
        data={"token": token},
    )
    return token
