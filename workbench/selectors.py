"""Reads for people."""
from .models import Stakeholder, StakeholderGroup


def group_list():
    return StakeholderGroup.objects.order_by("name", "id")


def stakeholder_of(user) -> Stakeholder | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Stakeholder.objects.select_related("group").filter(user=user).first()
