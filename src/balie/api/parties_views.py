"""Merging parties through the API (``/api/v1/parties/``): the suggestions, merging, the list
of merges and undoing one. Thin views over :mod:`balie.parties.merge` (in OpenAPI).

Supervisors and administrators of the organisation only (agents 403, staff without an agent
profile 403); a party or merge of another organisation answers 404. Every decision, refusals
included, is in the audit trail; listing suggestions is audited as a view of personal data."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api.permissions import acting_agent
from balie.audit import trail
from balie.core.converters import MAX_ID
from balie.core.errors import Forbidden
from balie.organisations.models import Agent, Organisation
from balie.parties.merge import MAX_REASON, check_merge_parties, check_undo_merge, may_merge
from balie.parties.models import Party, PartyMerge
from balie.parties.overview import audited, recent_merges, suggestion_rows

TAG = ["parties"]


class PartyFactsOutput(serializers.Serializer[Any]):
    """One party of a suggestion."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    conversations = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SuggestionOutput(serializers.Serializer[Any]):
    """Two parties sharing a verified address (shown masked)."""

    first = PartyFactsOutput()
    second = PartyFactsOutput()
    shared = serializers.CharField(source="masked", help_text="The shared address, masked.")
    kinds = serializers.ListField(child=serializers.CharField())


class MergeRequest(serializers.Serializer[None]):
    """Merge ``merged`` into ``survivor``."""

    survivor = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    merged = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(max_length=MAX_REASON)


class UndoRequest(serializers.Serializer[None]):
    """Why the merge is undone."""

    reason = serializers.CharField(max_length=MAX_REASON)


class MergeOutput(serializers.Serializer[Any]):
    """A merge: the parties, what moved (ids per model), who and when; undone or not."""

    id = serializers.IntegerField()
    survivor = serializers.IntegerField(source="survivor_id")
    merged = serializers.IntegerField(source="merged_id")
    moved = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    reason = serializers.CharField()
    merged_by = serializers.IntegerField(source="merged_by_id", allow_null=True)
    merged_at = serializers.DateTimeField()
    undone_by = serializers.IntegerField(source="undone_by_id", allow_null=True)
    undone_at = serializers.DateTimeField(allow_null=True)
    undo_reason = serializers.CharField()


def _supervisor(request: Request) -> Agent:
    agent = acting_agent(request)
    if not may_merge(agent):
        raise Forbidden("only supervisors merge parties", code="not_supervisor")
    return agent


@extend_schema(tags=TAG, responses={200: SuggestionOutput(many=True)})
@api_view(["GET"])
def merge_suggestions(request: Request) -> Response:
    """Pairs of parties of the caller's organisation that share a verified phone number or
    e-mail address, not dismissed, not merged (at most 100)."""
    agent = _supervisor(request)
    rows = suggestion_rows(agent.organisation_id)
    trail.record(
        request=request._request,
        action="view_merge_suggestions",
        obj=Organisation(pk=agent.organisation_id),
        detail={"count": len(rows)},
    )
    return Response(SuggestionOutput(rows, many=True).data)


@extend_schema(
    tags=TAG,
    methods=["GET"],
    responses={200: MergeOutput(many=True)},
    description="The organisation's latest 50 merges, undone ones included.",
)
@extend_schema(
    tags=TAG,
    methods=["POST"],
    request=MergeRequest,
    responses={201: MergeOutput},
    description="Merge a party into another of the same organisation (supervisors).",
)
@api_view(["GET", "POST"])
def merges(request: Request) -> Response:
    """List the merges, or merge two parties."""
    agent = _supervisor(request)
    if request.method == "GET":
        return Response(MergeOutput(recent_merges(agent.organisation_id), many=True).data)
    data = MergeRequest(data=request.data)
    data.is_valid(raise_exception=True)
    given: dict[str, Any] = data.validated_data
    merge = audited(
        request._request,
        "party_merge",
        Party(pk=given["survivor"]),
        lambda: check_merge_parties(given["survivor"], given["merged"], agent, given["reason"]),
        asked={"survivor": given["survivor"], "merged": given["merged"]},
    )
    return Response(MergeOutput(merge).data, status=201)


@extend_schema(tags=TAG, request=UndoRequest, responses={200: MergeOutput})
@api_view(["POST"])
def undo(request: Request, merge_id: int) -> Response:
    """Undo a merge: exactly what moved goes back; later rows stay with the survivor."""
    agent = _supervisor(request)
    data = UndoRequest(data=request.data)
    data.is_valid(raise_exception=True)
    reason: str = data.validated_data["reason"]
    merge = audited(
        request._request,
        "party_merge_undo",
        PartyMerge(pk=merge_id),
        lambda: check_undo_merge(merge_id, agent, reason),
    )
    return Response(MergeOutput(merge).data)


urlpatterns = [
    path("merge-suggestions/", merge_suggestions, name="parties-merge-suggestions"),
    path("merges/", merges, name="parties-merges"),
    path("merges/<id:merge_id>/undo/", undo, name="parties-merge-undo"),
]
