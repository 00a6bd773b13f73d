"""Permission classes shared by the apps' APIs. Services enforce the rules; these give early 401/403."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from workbench.roles import is_facilitator


class IsFacilitatorOrReadOnly(BasePermission):
    message = "Only facilitators can do this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and is_facilitator(request.user))


class IsFacilitator(BasePermission):
    message = "Only facilitators can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and is_facilitator(request.user))
