"""The privacy API's sealed originals (``/api/v1/privacy/messages/<id>/unseal/``): the text of
a masked message as received, for supervisors, with a reason; every attempt is audited by
:func:`balie.privacy.sealed.unseal` (refused ones too). Never cached."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.privacy.sealed import REASON_MAX, unseal


class UnsealRequest(serializers.Serializer[None]):
    reason = serializers.CharField(
        max_length=REASON_MAX, help_text="Why the original is needed; kept in the audit trail."
    )


class UnsealResponse(serializers.Serializer[None]):
    id = serializers.IntegerField()
    body = serializers.CharField(help_text="The text as received, before masking.")


@extend_schema(tags=["privacy"], request=UnsealRequest, responses={200: UnsealResponse})
@api_view(["POST"])
def unseal_message(request: Request, message_id: int) -> Response:
    """The original of a masked message (supervisors of its organisation; 404 for a message
    the caller cannot see or without a sealed original, 403 for others, audited)."""
    reason = request.data.get("reason", "") if hasattr(request.data, "get") else ""
    body = unseal(request._request, message_id, reason if isinstance(reason, str) else "")
    response = Response({"id": message_id, "body": body})
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("messages/<id:message_id>/unseal/", unseal_message, name="privacy-message-unseal"),
]
