"""The privacy API (``/api/v1/privacy/``): everything held about a party (access, AVG art. 15)
for supervisors and administrators, as the workspace's JSON download.

The party is found through ``conversations.access`` (404 for what the caller cannot see); an
agent who may see it but handles no requests gets 403. Each export is an access request and an
audit entry (format ``api``)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.conversations.access import is_supervisor, visible_parties
from balie.core.errors import Forbidden, NotFound
from balie.privacy.retention.export import collect, record_export


@extend_schema(tags=["privacy"], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def party_export(request: Request, party_id: int) -> Response:
    """Everything held about the party: identity, addresses, conversations with their
    messages, klantcontacten, legal holds, requests and who looked at the data."""
    found = visible_parties(request.user).select_related("organisation").filter(pk=party_id)
    party = found.first()
    if party is None:
        raise NotFound("not found")
    if not is_supervisor(request.user):
        raise Forbidden("only supervisors and administrators handle access requests")
    data = collect(party)
    record_export(request._request, party, "api", data)
    return Response(data)


urlpatterns = [
    path("parties/<id:party_id>/export/", party_export, name="privacy-party-export"),
]
