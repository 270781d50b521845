from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from balie.audit import trail
from balie.audit.models import AuditChain, AuditEntry
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
    """Writes an audit entry each time someone opens, adds, changes or deletes an object
    holding personal data in the admin (and its inline rows: a party's digital addresses).
    ``detail`` names the changed fields, never their values."""

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response: HttpResponse = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None:
                trail.record(request=request, action="admin_view", obj=obj)
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        fields = sorted(getattr(form, "changed_data", []) or [])
        action = "admin_change" if change else "admin_add"
        trail.record(request=request, action=action, obj=obj, detail={"fields": fields})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for doomed in getattr(formset, "deleted_forms", []):
            if doomed.instance.pk is not None:  # recorded first: a deleted row has no pk
                trail.record(request=request, action="admin_delete", obj=doomed.instance)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in getattr(formset, "new_objects", []):
            trail.record(request=request, action="admin_add", obj=obj)
        for obj, fields in getattr(formset, "changed_objects", []):
            trail.record(
                request=request, action="admin_change", obj=obj, detail={"fields": sorted(fields)}
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        trail.record(request=request, action="admin_delete", obj=obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            trail.record(request=request, action="admin_delete", obj=obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]


#: The name that says what it does; ``AuditedViewMixin`` stays for the admins that use it.
AuditedAdminMixin = AuditedViewMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """Superusers see every entry; staff agents the entries of their organisation's people."""

    organisation_path = "actor__agent__organisation"

    list_display = [
        "seq", "at", "actor_label", "action", "object_type", "object_id", "result", "origin"
    ]  # fmt: skip
    list_filter = ["action", "object_type", "result"]
    search_fields = ["actor_label", "object_id"]


@admin.register(AuditChain)
class AuditChainAdmin(ReadOnlyAdmin):
    """The chain's head and the pruning anchor, for a look before and after verifying."""

    list_display = ["seq", "hash", "anchor_seq", "anchor_hash", "pruned_before"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)
