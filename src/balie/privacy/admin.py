"""The privacy guard in the admin: the policy per channel kind and the team for special
categories (an organisation's administrators), call-back requests (read only)."""

from __future__ import annotations

from django.contrib import admin

from balie.organisations.admin import OrganisationScopedAdmin
from balie.privacy.models import CallbackRequest, ChannelPolicy, PrivacySettings


@admin.register(ChannelPolicy)
class ChannelPolicyAdmin(OrganisationScopedAdmin):
    """Safe or unsafe per channel kind; warn or block outbound; what is kept at rest."""

    list_display = ("organisation", "channel_kind", "safe", "outbound", "at_rest")
    list_filter = ("safe", "outbound", "at_rest")


@admin.register(PrivacySettings)
class PrivacySettingsAdmin(OrganisationScopedAdmin):
    """The team that alone sees conversations with medical or criminal data."""

    list_display = ("organisation", "special_team")


@admin.register(CallbackRequest)
class CallbackRequestAdmin(OrganisationScopedAdmin):
    """Call-back requests (made from the conversation page; read only here)."""

    list_display = ("conversation", "state", "requested_by", "created_at")
    list_filter = ("state",)

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False
