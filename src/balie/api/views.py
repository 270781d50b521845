"""REST API v1 views: parse input, call one action, answer. Who may see and do what is decided
in ``balie.conversations.access`` (``docs/authorisation.md``); views of personal data are
written to the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api import replies
from balie.api import serializers as s
from balie.api.permissions import acting_agent, organisation_ids, require_supervisor_or_self
from balie.audit import trail
from balie.channels.models import Channel
from balie.conversations.access import (
    Action,
    access_conversation,
    require,
    visible_conversations,
    visible_parties,
)
from balie.conversations.actions import check_add_note, check_change_status, check_send_reply
from balie.conversations.models import Conversation, Message
from balie.core import clock
from balie.core.errors import InvalidInput
from balie.organisations.actions import do_set_presence
from balie.organisations.models import Agent
from balie.parties.models import Party


def _scoped(qs: QuerySet[Any], request: Request, field: str = "organisation_id") -> QuerySet[Any]:
    ids = organisation_ids(request)
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


class ConversationFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Conversation._meta.get_field("status").choices)
    channel_kind = filters.CharFilter(field_name="channel__kind")
    topic = filters.CharFilter(field_name="topic__code")
    unassigned = filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")

    class Meta:
        model = Conversation
        fields = ["status", "channel", "assignee", "team", "language", "priority", "party"]


class ConversationViewSet(viewsets.ReadOnlyModelViewSet[Conversation]):
    """The conversations visible to the caller, highest priority and newest first."""

    filterset_class = ConversationFilter
    serializer_class = s.ConversationSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        qs = Conversation.objects.select_related("channel", "topic", "party").order_by(
            "-priority", "-created_at"
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related("status_changes")
        return qs & visible_conversations(self.request.user)

    def get_serializer_class(self) -> type[Any]:
        return (
            s.ConversationDetailSerializer
            if self.action == "retrieve"
            else super().get_serializer_class()
        )

    @extend_schema(request=s.StatusChangeRequestSerializer, responses=s.ConversationSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        """Move the conversation along the workflow (409 when the table forbids it)."""
        conversation = access_conversation(request.user, pk, for_action=Action.STATUS)
        body = s.StatusChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = check_change_status(  # owns its transaction
            conversation.pk,
            body.validated_data["status"],
            actor=acting_agent(request),
            reason=body.validated_data["reason"],
        )
        return Response(s.ConversationSerializer(updated).data)

    @extend_schema(
        methods=["get"], responses=s.MessageSerializer(many=True), operation_id="messages_list"
    )
    @extend_schema(
        methods=["post"],
        request=s.MessageCreateSerializer,
        responses={201: s.MessageSerializer},
        operation_id="messages_create",
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """List the messages, or post a reply (to the citizen) or an internal note."""
        conversation = access_conversation(request.user, pk, for_action=Action.READ)
        if request.method == "GET":
            messages = Message.objects.filter(conversation=conversation).prefetch_related(
                "attachments"
            )
            page = self.paginate_queryset(messages)
            trail.record(request=request, action="view_messages", obj=conversation)
            return self.get_paginated_response(s.MessageSerializer(page, many=True).data)
        body = s.MessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kind = Action.NOTE if data["kind"] == "note" else Action.REPLY
        require(request.user, conversation, kind)
        agent = acting_agent(request)
        if data["kind"] == "note":
            message = check_add_note(conversation.pk, agent, data["body"])
        elif data["kind"] == "template":
            from balie.channels.whatsapp.templates import check_send_template

            message = check_send_template(
                conversation.pk, agent, data["template"], data["parameters"]
            )
        elif data["kind"] == "interactive":
            from balie.channels.whatsapp.templates import check_send_interactive

            message = check_send_interactive(
                conversation.pk, agent, data["interactive"], reply_to_id=data["reply_to"]
            )
        else:
            message = check_send_reply(
                conversation.pk, agent, data["body"], reply_to_id=data["reply_to"]
            )
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": s.FileCreateSerializer},
        responses={201: s.MessageSerializer},
        operation_id="files_create",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def files(self, request: Request, pk: str | None = None) -> Response:
        """Send a file to the citizen (WhatsApp: inside the 24-hour window; up to 16 MB)."""
        conversation = access_conversation(request.user, pk, for_action=Action.READ)
        body = s.FileCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        require(request.user, conversation, Action.REPLY)
        agent = acting_agent(request)
        if conversation.channel.kind != "whatsapp":
            raise InvalidInput("this channel does not send files", code="files_not_supported")
        from balie.channels.whatsapp.templates import MAX_OUTBOUND_MEDIA, check_send_media

        upload = body.validated_data["file"]
        if upload.size > MAX_OUTBOUND_MEDIA:  # refused before it is read into memory
            raise InvalidInput("the file is larger than 16 MB", code="media_size")
        message = check_send_media(
            conversation.pk,
            agent,
            data=upload.read(),
            filename=upload.name or "file",
            content_type=upload.content_type or "application/octet-stream",
            caption=body.validated_data["caption"],
            reply_to_id=body.validated_data["reply_to"],
        )
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.ReplyOptionsSerializer)
    @action(detail=True, methods=["get"], url_path="reply-options")
    def reply_options(self, request: Request, pk: str | None = None) -> Response:
        """Free-form reply allowed now? If not (WhatsApp's 24-hour window): why, and templates."""
        conversation = access_conversation(request.user, pk, for_action=Action.READ)
        options = replies.reply_options(conversation, clock.now())
        return Response(s.ReplyOptionsSerializer(options).data)


class PartyViewSet(viewsets.ReadOnlyModelViewSet[Party]):
    """Parties (citizens and organisations) visible to the caller. Each view is audited."""

    serializer_class = s.PartySerializer
    filterset_fields = ["kind", "country"]

    def get_queryset(self) -> QuerySet[Party]:
        qs = Party.objects.prefetch_related("addresses").order_by("-created_at")
        return qs & visible_parties(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        party = self.get_object()
        trail.record(request=request, action="view_party", obj=party)
        return Response(self.get_serializer(party).data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        trail.record(
            request=request,
            action="list_parties",
            obj=Party(pk=0),
            detail={"count": response.data.get("count", 0)},
        )
        return response


class AgentViewSet(viewsets.ReadOnlyModelViewSet[Agent]):
    """Agents and their presence."""

    serializer_class = s.AgentSerializer
    filterset_fields = ["presence", "teams", "is_supervisor"]

    def get_queryset(self) -> QuerySet[Agent]:
        qs = Agent.objects.select_related("user").prefetch_related("teams").order_by("pk")
        return _scoped(qs, self.request)

    @extend_schema(request=s.PresenceSerializer, responses=s.AgentSerializer)
    @action(detail=True, methods=["post"])
    def presence(self, request: Request, pk: str | None = None) -> Response:
        """Set presence: an agent their own, a supervisor anyone's in the organisation."""
        agent = self.get_object()
        require_supervisor_or_self(request, agent)
        body = s.PresenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = do_set_presence(agent.pk, body.validated_data["presence"])
        return Response(s.AgentSerializer(updated).data)


class ChannelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Channel]
):
    """Channels (their secrets are never shown)."""

    serializer_class = s.ChannelSerializer
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self) -> QuerySet[Channel]:
        return _scoped(Channel.objects.order_by("pk"), self.request)
