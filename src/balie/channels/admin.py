from django.contrib import admin
from django.http import HttpRequest

from balie.channels.models import Channel, OutboxEntry
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(Channel)
class ChannelAdmin(OrganisationScopedAdmin):
    list_display = ["name", "kind", "key", "organisation", "is_active"]
    list_filter = ["organisation", "kind", "is_active"]
    # Secrets are set with `balie apply` from the environment; never shown here.
    exclude = ["secrets"]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(OrganisationScopedAdmin):
    """The outbox, read-only: what is waiting to be sent, how often it was tried, and why it
    failed. Entries change only through the outbox worker (``channels.delivery``)."""

    conversation_path = "message__conversation"
    list_display = ["message", "channel", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state", "channel__kind"]
    list_select_related = ["message", "channel"]
    readonly_fields = [
        "message", "channel", "state", "attempts", "next_attempt_at", "claimed_at", "last_error",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
