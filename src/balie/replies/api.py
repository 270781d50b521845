"""REST: ``GET /api/v1/replies/`` lists and searches the organisation's canned replies.

Read-only; the library is kept in the admin and ``balie apply``. Agents see their own
organisation's active replies; ``q`` searches shortcut, title and text; ``language`` and
``tone`` pick variants (a tone-less variant matches either tone).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from balie.conversations.access import agent_of
from balie.replies.library import search
from balie.replies.models import CannedReply, Tone


class CannedReplySerializer(serializers.ModelSerializer[CannedReply]):
    """One variant of a canned reply, its variables unfilled (``{naam}`` …)."""

    owner = serializers.CharField(source="owner.display_name", default=None, read_only=True)
    team = serializers.CharField(source="team.slug", default=None, read_only=True)

    class Meta:
        model = CannedReply
        fields = [
            "id",
            "shortcut",
            "title",
            "language",
            "tone",
            "body",
            "owner",
            "team",
            "review_on",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema(
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Search shortcut, title and text."),
        OpenApiParameter("language", OpenApiTypes.STR, description="ISO 639-1 code."),
        OpenApiParameter("tone", OpenApiTypes.STR, enum=["u", "je"], description="u or je."),
    ]
)
class CannedReplyList(generics.ListAPIView[CannedReply]):
    """The organisation's active canned replies, searchable."""

    serializer_class = CannedReplySerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[CannedReply]:
        agent = agent_of(self.request.user)
        if agent is None:
            return CannedReply.objects.none()
        params = self.request.query_params
        tone = params.get("tone", "")
        if tone and tone not in Tone.values:
            raise ValidationError({"tone": "u or je"})
        language = params.get("language", "").strip().lower()
        if len(language) > 8:
            raise ValidationError({"language": "an ISO 639-1 code"})
        return search(
            agent.organisation_id, params.get("q", "")[:200], language=language, tone=tone
        ).select_related("owner", "team")


urlpatterns = [path("", CannedReplyList.as_view(), name="replies")]
