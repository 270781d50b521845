"""Serializers: shapes only. Logic lives in actions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from balie.channels.models import Channel
from balie.conversations.models import Attachment, Conversation, Message, StatusChange
from balie.conversations.workflow import Status
from balie.core.converters import MAX_ID
from balie.organisations.models import Agent, Presence
from balie.parties.models import DigitalAddress, Party
from balie.privacy.display import displayed_bodies, displayed_body


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a request body: a positive integer a database column holds (else 400)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class DigitalAddressSerializer(serializers.ModelSerializer[DigitalAddress]):
    class Meta:
        model = DigitalAddress
        fields = ["id", "kind", "value", "verified"]


class PartySerializer(serializers.ModelSerializer[Party]):
    addresses = DigitalAddressSerializer(many=True, read_only=True)

    class Meta:
        model = Party
        fields = [
            "id", "uuid", "kind", "display_name", "preferred_language", "country",
            "created_at", "addresses",
        ]  # fmt: skip


class StatusChangeSerializer(serializers.ModelSerializer[StatusChange]):
    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "actor", "reason", "at"]


class ConversationSerializer(serializers.ModelSerializer[Conversation]):
    channel_kind = serializers.CharField(source="channel.kind", read_only=True)
    topic = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    party_name = serializers.CharField(source="party.display_name", read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id", "uuid", "status", "channel", "channel_kind", "party", "party_name", "topic",
            "language", "priority", "team", "assignee", "subject", "created_at", "updated_at",
            "last_inbound_at", "first_response_at", "resolved_at",
        ]  # fmt: skip
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    status_changes = StatusChangeSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "status_changes"]
        read_only_fields = fields


class StatusChangeRequestSerializer(serializers.Serializer[None]):
    status = serializers.ChoiceField(choices=[s.value for s in Status])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size"]


class MessageListSerializer(serializers.ListSerializer[Message]):
    """A page of messages: their texts as shown worked out once for the page (a fixed number
    of queries, ``balie.privacy.display``)."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        self._context["bodies"] = displayed_bodies(items)
        return super().to_representation(items)


class MessageSerializer(serializers.ModelSerializer[Message]):
    attachments = AttachmentSerializer(many=True, read_only=True)
    #: masked while the privacy scan of a received message is pending
    body = serializers.SerializerMethodField()

    def get_body(self, message: Message) -> str:
        bodies = self.context.get("bodies") or {}
        return bodies[message.pk] if message.pk in bodies else displayed_body(message)

    class Meta:
        model = Message
        list_serializer_class = MessageListSerializer
        fields = [
            "id", "uuid", "direction", "body", "author", "reply_to", "provider_id",
            "delivery_status", "error_code", "error_text", "sent_at", "delivered_at", "read_at",
            "failed_at", "created_at", "attachments",
        ]  # fmt: skip
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer[None]):
    """A reply or note (``body``), an approved WhatsApp template (``template`` + parameters),
    or WhatsApp reply buttons or a list message (``interactive``, see
    ``balie.channels.whatsapp.interactive``)."""

    kind = serializers.ChoiceField(
        choices=["reply", "note", "template", "interactive"], default="reply"
    )
    interactive = serializers.JSONField(
        required=False,
        default=None,
        help_text="kind 'interactive': {type: button|list, body, header?, footer?, "
        "buttons: [{id, title}] | button + sections: [{title?, rows: [{id, title, "
        "description?}]}]}",
    )
    body = serializers.CharField(max_length=4096, trim_whitespace=True, required=False)
    reply_to = id_field(required=False, allow_null=True, default=None)
    template = id_field(required=False, allow_null=True, default=None)
    parameters = serializers.ListField(
        child=serializers.CharField(max_length=1024), required=False, default=list
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == "template":
            if attrs.get("template") is None:
                raise serializers.ValidationError({"template": "a template id is required"})
        elif attrs["kind"] == "interactive":
            from balie.channels.whatsapp.interactive import InteractiveInvalid, check_interactive

            try:
                attrs["interactive"] = check_interactive(attrs.get("interactive"))
            except InteractiveInvalid as exc:
                raise serializers.ValidationError({exc.field: exc.reason}) from exc
        elif not attrs.get("body"):
            raise serializers.ValidationError({"body": "This field is required."})
        return attrs


class FileCreateSerializer(serializers.Serializer[None]):
    """A file for the citizen (multipart): the file, an optional caption and message replied to."""

    file = serializers.FileField()
    caption = serializers.CharField(max_length=1024, required=False, default="", allow_blank=True)
    reply_to = id_field(required=False, allow_null=True, default=None)


class TemplateOptionSerializer(serializers.Serializer[None]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField()
    category = serializers.CharField()
    body = serializers.CharField()
    parameter_count = serializers.IntegerField()


class ReplyOptionsSerializer(serializers.Serializer[None]):
    """Whether a free-form reply may be sent now, why not, and what may be sent instead."""

    free_form = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    window_closes_at = serializers.DateTimeField(allow_null=True)
    templates = TemplateOptionSerializer(many=True)


class AgentSerializer(serializers.ModelSerializer[Agent]):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Agent
        fields = [
            "id", "username", "display_name", "organisation", "teams", "is_supervisor",
            "presence", "presence_changed_at",
        ]  # fmt: skip
        read_only_fields = fields


class PresenceSerializer(serializers.Serializer[None]):
    presence = serializers.ChoiceField(choices=Presence.values)


class ChannelSerializer(serializers.ModelSerializer[Channel]):
    class Meta:
        model = Channel
        fields = ["id", "kind", "key", "name", "settings", "team", "is_active"]
        read_only_fields = fields
