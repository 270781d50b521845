from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from balie.audit import trail
from balie.audit.models import AuditEntry
from balie.organisations.admin import OrganisationScopedAdmin


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records are documents: shown, never edited or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedViewMixin:
    """Writes an audit entry each time someone opens an object holding personal data."""

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response: HttpResponse = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None and response.status_code == 200:
            trail.record(request=request, action="admin_view", obj=obj)
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """Superusers see every entry; staff agents the entries of their organisation's people."""

    organisation_path = "actor__agent__organisation"

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "result", "origin"]
    list_filter = ["action", "object_type", "result"]
    search_fields = ["actor_label", "object_id"]
