"""Roles: facilitator (a Django group), stakeholder (a signed-up user with a profile), reader."""
from __future__ import annotations

FACILITATORS_GROUP = "facilitators"


def is_facilitator(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    # Cached on the user object: templates and permission checks ask many times per request.
    cached = getattr(user, "_wb_is_facilitator", None)
    if cached is None:
        cached = user.groups.filter(name=FACILITATORS_GROUP).exists()
        user._wb_is_facilitator = cached
    return cached


def roles_of(user) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return ["reader"]
    roles = ["reader"]
    if hasattr(user, "stakeholder"):
        roles.append("stakeholder")
    if is_facilitator(user):
        roles.append("facilitator")
    return roles
