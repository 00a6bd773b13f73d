"""Template context shared by every page."""
from .roles import is_facilitator


def roles(request):
    return {"is_facilitator": is_facilitator(getattr(request, "user", None))}
