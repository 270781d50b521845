"""Web chat sessions in the admin, read-only: which visitor (anonymous id or verified
identifier) chatted when, in which conversation. A visitor id is personal data: each view is
audited. The token itself is never stored, only its SHA-256 (not shown)."""

from __future__ import annotations

from django.contrib import admin

from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.channels.webchat.models import VisitorSession
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(VisitorSession)
class VisitorSessionAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """The sessions of the organisation's web chats."""

    organisation_path = "channel__organisation"
    list_display = ["pk", "channel", "visitor_id", "verified", "conversation", "last_seen_at"]
    list_filter = ["channel", "verified"]
    exclude = ["token_hash"]
