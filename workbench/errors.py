"""Domain errors. Services raise them; the API maps them to HTTP in one place (api/errors.py),
pages show their message, management commands print it and exit non-zero."""
from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a message fit to show the person who made it."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status_code = 400
    code = "invalid"


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class ImmutableError(Conflict):
    """A published or final version, or anything else that must never change, was asked to change."""

    code = "immutable"
