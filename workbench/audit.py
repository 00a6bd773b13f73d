"""Recording audit events: every service that changes something calls ``record``."""
from __future__ import annotations

from typing import Any

from .models import AuditEvent


def record(*, actor, verb: str, target, scope: str = "", data: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event. ``actor`` may be a user, None (the system) or an anonymous user."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else "system"
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        scope=scope,
        data=data or {},
    )


def events_for_scope(scope: str):
    return AuditEvent.objects.filter(scope=scope).select_related("actor")
