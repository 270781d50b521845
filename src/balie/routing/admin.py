from django.contrib import admin

from balie.organisations.admin import OrganisationScopedAdmin
from balie.routing.models import (
    AgentRoutingState,
    EscalationStep,
    Offer,
    QueueEntry,
    RoutingRecord,
    RoutingSettings,
    Training,
)


@admin.register(Training)
class TrainingAdmin(OrganisationScopedAdmin):
    list_display = ["name", "code", "organisation"]
    list_filter = ["organisation"]


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(OrganisationScopedAdmin):
    list_display = ["organisation", "offer_timeout_s", "chats_during_call"]


@admin.register(EscalationStep)
class EscalationStepAdmin(OrganisationScopedAdmin):
    organisation_path = "topic__organisation"
    list_display = ["topic", "after_s", "min_skill", "min_language", "supervisors_only"]
    list_filter = ["topic__organisation"]


class ReadOnlyAdmin(OrganisationScopedAdmin):
    """Routing's own records: changed by the engine's actions only, never by hand here."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(QueueEntry)
class QueueEntryAdmin(ReadOnlyAdmin):
    list_display = ["conversation", "channel_kind", "priority", "state", "enqueued_at", "agent"]
    list_filter = ["state", "channel_kind", "organisation"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    organisation_path = "entry__organisation"
    list_display = ["entry", "agent", "created_at", "expires_at", "outcome"]
    list_filter = ["outcome"]


@admin.register(AgentRoutingState)
class AgentRoutingStateAdmin(ReadOnlyAdmin):
    organisation_path = "agent__organisation"
    list_display = ["agent", "last_assigned_at", "day", "handled_today"]


@admin.register(RoutingRecord)
class RoutingRecordAdmin(ReadOnlyAdmin):
    conversation_path = "conversation"
    list_display = ["conversation", "kind", "agent", "actor", "at"]
    list_filter = ["kind"]
