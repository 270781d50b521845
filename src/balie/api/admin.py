"""API tokens in the admin: see and revoke them; new ones are made where they can be shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from balie.api.models import ApiToken
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(OrganisationScopedAdmin):
    """Read-only list with delete (revoke): the key is not stored, so it cannot be shown."""

    organisation_path = "user__agent__organisation"  # staff agents: their colleagues' tokens

    list_display = ["prefix", "user", "name", "created_at", "last_used_at"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "prefix", "name"]
    readonly_fields = ["user", "prefix", "name", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # balie manage create_token or POST /api/v1/auth/token/ show the key once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
