from django.contrib import admin

from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.conversations.models import Conversation, Klantcontact, Message, StatusChange
from balie.organisations.admin import OrganisationScopedAdmin


class StatusChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "at"]


@admin.register(Conversation)
class ConversationAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """Conversations change through the workspace and the API (actions), not here."""

    conversation_path = "pk"

    list_display = ["pk", "status", "channel", "topic", "language", "assignee", "created_at"]
    list_filter = ["organisation", "status", "channel__kind", "topic", "language"]
    inlines = [StatusChangeInline]


@admin.register(Message)
class MessageAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    conversation_path = "conversation"
    list_display = ["pk", "conversation", "direction", "delivery_status", "created_at"]
    list_filter = ["direction", "delivery_status", "channel__kind"]


@admin.register(Klantcontact)
class KlantcontactAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    conversation_path = "conversation"
    list_display = ["referentienummer", "kanaal", "onderwerp", "taal", "plaatsgevonden_op"]
    list_filter = ["organisation", "kanaal", "taal"]
