"""Round tasks: opening and closing rounds on time (beat runs ``advance_rounds`` every minute),
and sending one notification e-mail. Both call services and are idempotent."""
from __future__ import annotations

from celery import shared_task

__all__ = ["advance_rounds", "send_notification"]


@shared_task(name="consultations.tasks.advance_rounds", ignore_result=True)
def advance_rounds() -> dict:
    from consultations.services.rounds import rounds_advance

    summary = rounds_advance()
    return {key: value for key, value in summary.items() if value}


@shared_task(
    name="consultations.tasks.send_notification",
    ignore_result=True,
    autoretry_for=(OSError,),  # a mail server that is down: try again later
    retry_backoff=30,
    max_retries=5,
)
def send_notification(notification_id: int) -> bool:
    from consultations.services.notifications import notification_send

    return notification_send(notification_id=notification_id)
