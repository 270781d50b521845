"""The archivist's admin: retention terms, legal holds; the removal report and the requests of
data subjects (read-only); and the party admin's export action (:class:`PartyRightsMixin`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from balie.audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from balie.organisations.admin import OrganisationScopedAdmin
from balie.privacy.retention.models import (
    LegalHold,
    Placeholder,
    Removal,
    RetentionTerm,
    RightsRequest,
)


@admin.register(RetentionTerm)
class RetentionTermAdmin(AuditedAdminMixin, OrganisationScopedAdmin):
    """Terms per organisation, channel and topic category, with destroy or keep."""

    list_display = ["organisation", "data", "channel", "topic", "days", "disposal", "basis"]
    list_filter = ["organisation", "data", "disposal"]
    readonly_fields = ["updated_at"]


@admin.register(LegalHold)
class LegalHoldAdmin(AuditedAdminMixin, OrganisationScopedAdmin):
    """A hold on a party or a conversation stops its destruction until lifted."""

    list_display = ["organisation", "party", "conversation", "reason", "placed_at", "lifted_at"]
    list_filter = ["organisation"]
    raw_id_fields = ["party", "conversation"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.placed_by:
            obj.placed_by = request.user.get_username()
        super().save_model(request, obj, form, change)


@admin.register(Removal)
class RemovalAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """What the retention job and erasures removed: counts, never content."""

    list_display = ["at", "organisation", "cause", "kind", "channel_kind", "topic_code", "count"]
    list_filter = ["organisation", "cause", "kind"]


@admin.register(RightsRequest)
class RightsRequestAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """Access and erasure requests with their outcome and, for a refusal, the legal ground."""

    list_display = ["decided_at", "organisation", "kind", "outcome", "ground", "decided_by"]
    list_filter = ["organisation", "kind", "outcome", "ground"]


@admin.register(Placeholder)
class PlaceholderAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """Each organisation's anonymous party (created by the retention job)."""

    list_display = ["organisation", "party"]


class PartyRightsMixin:
    """Adds "export everything held (JSON)" to the party admin; audited as an export."""

    actions = ["export_held_data"]

    @admin.action(description=_("Export everything held about the party (JSON)"))
    def export_held_data(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        from balie.privacy.retention.export import collect, json_download, record_export

        parties = list(queryset[:2])
        if len(parties) != 1:
            self.message_user(  # type: ignore[attr-defined]
                request, _("Choose one party to export."), level="warning"
            )
            return None
        data = collect(parties[0])
        record_export(request, parties[0], "json", data)
        return json_download(data, parties[0])
