"""One error shape for the whole API: ``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from balie.core.errors import BalieError

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    """The error JSON."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain and DRF errors onto the one error shape; unknown errors stay 500s."""
    if isinstance(exc, BalieError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return Response(error_body("not_found", "not found"), status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", "the request has invalid fields", fields)
    else:
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(code, str(detail))
    return response


#: paths whose clients are programs: a path no route matches answers JSON there
JSON_PREFIXES = ("/api/", "/routing/", "/attachments/", "/phone/", "/webhooks/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: under :data:`JSON_PREFIXES` the API's JSON error (a path no route
    matches, such as ``/api/v1/conversations/0.5/``), elsewhere Django's page."""
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse(error_body("not_found", "not found"), status=404)
    return defaults.page_not_found(request, exception)
