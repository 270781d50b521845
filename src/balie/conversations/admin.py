from django.contrib import admin
from django.http import HttpRequest

from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.conversations.models import (
    Conversation,
    ConversationChange,
    Klantcontact,
    Label,
    Mention,
    Message,
    StatusChange,
)
from balie.organisations.admin import OrganisationScopedAdmin


class StatusChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "at"]


class ConversationChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    """Edits of the conversation's facts (topic, language, labels), read-only."""

    model = ConversationChange
    extra = 0
    can_delete = False
    readonly_fields = ["field", "old_value", "new_value", "actor", "reason", "at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MentionInline(admin.TabularInline):  # type: ignore[type-arg]
    """Colleagues named in a note, and when they saw it."""

    model = Mention
    extra = 0
    can_delete = False
    readonly_fields = ["agent", "created_at", "seen_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Label)
class LabelAdmin(OrganisationScopedAdmin):
    """Labels an organisation's agents put on conversations (configuration)."""

    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]


@admin.register(Conversation)
class ConversationAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """Conversations change through the workspace and the API (actions), not here."""

    conversation_path = "pk"

    list_display = ["pk", "status", "channel", "topic", "language", "assignee", "created_at"]
    list_filter = ["organisation", "status", "channel__kind", "topic", "language"]
    inlines = [StatusChangeInline, ConversationChangeInline]


@admin.register(Message)
class MessageAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    conversation_path = "conversation"
    list_display = ["pk", "conversation", "direction", "delivery_status", "created_at"]
    list_filter = ["direction", "delivery_status", "channel__kind"]
    inlines = [MentionInline]


@admin.register(Klantcontact)
class KlantcontactAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    conversation_path = "conversation"
    list_display = ["referentienummer", "kanaal", "onderwerp", "taal", "plaatsgevonden_op"]
    list_filter = ["organisation", "kanaal", "taal"]
