"""One JSON error shape for every 4xx: ``{"detail": message, "code": code, "errors": {field: [..]}}``."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workbench.errors import DomainError


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            message = _first_message(value)
            if message:
                return message if key in ("non_field_errors", "detail") else f"{key}: {message}"
    elif isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
    elif errors:
        return str(errors)
    return ""


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        message = _first_message(data) or "Invalid input."
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": message, "code": "invalid", "errors": errors}
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code}
    return response


def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ answer JSON, never Django's HTML 404 page."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}. See /api/docs/.", "code": "not_found"},
        status=status.HTTP_404_NOT_FOUND,
    )


__all__ = ["exception_handler", "api_not_found", "Http404", "DjangoPermissionDenied"]
