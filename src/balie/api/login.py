"""Password logins outside the admin: the token endpoint, and the answer to a locked-out login.

``POST /api/v1/auth/token/`` exchanges a username and password for a new API token, shown
once. The attempt goes through ``django.contrib.auth.authenticate`` with the request, so
django-axes counts it together with the admin's login: after ``BALIE_LOGIN_FAILURE_LIMIT``
failures for one username from one address, both refuse even the right password for
``BALIE_LOGIN_COOLOFF_MINUTES``; :func:`lockout_response` is what they answer then.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from balie.api.auth import do_create_token
from balie.api.errors import error_body
from balie.api.models import PREFIX_LENGTH

log = structlog.get_logger(__name__)

# django-axes ships no Dutch translation, so the two messages live here.
LOCKED_OUT = {
    "nl": "Te veel mislukte inlogpogingen. Probeer het over {minutes} minuten opnieuw.",
    "en": "Too many failed login attempts. Try again in {minutes} minutes.",
}


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="The API token; shown only in this answer.")
    prefix = serializers.CharField(help_text="First characters, to tell tokens apart later.")


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token, shown once."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(description="Missing or invalid fields."),
            401: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Too many failed attempts: locked for a while."),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """A new token for the user, shown once; wrong credentials count toward a lockout."""
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = authenticate(
            request._request,  # the HttpRequest: axes marks it when the user is locked out
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        if user is None:
            # AxesMiddleware turns the answer into the lockout answer once the limit is hit.
            return Response(
                error_body("not_authenticated", "wrong username or password"),
                status=status.HTTP_401_UNAUTHORIZED,
            )
        # A password login happened: last_login is set and django-axes clears the failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        key = do_create_token(user, name="api")
        return Response(
            {"token": key, "prefix": key[:PREFIX_LENGTH]}, status=status.HTTP_201_CREATED
        )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked-out login gets (AXES_LOCKOUT_CALLABLE): 429, in Dutch or English.

    The API answers its error shape; the admin a short page.
    """
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    language = "en" if (get_language() or "nl").startswith("en") else "nl"
    message = LOCKED_OUT[language].format(minutes=minutes)
    log.warning("login_locked_out", path=request.path)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("locked_out", message), status=429)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Balie</title><p>{message}</p>",
            status=429,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(minutes * 60)
    return response
