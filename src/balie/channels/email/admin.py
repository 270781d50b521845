"""E-mail records in the admin: quarantine (with "Process again"), bounced addresses and the
IMAP cursors. Quarantined mail holds personal data: each view is audited and the raw
message is shown to superusers only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from balie.audit import trail
from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.channels.email.intake import reprocess
from balie.channels.email.models import MailboxCursor, QuarantinedMail, UndeliverableAddress
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(QuarantinedMail)
class QuarantinedMailAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """Mail the intake could not store, with the reason; "Process again" after a fix."""

    organisation_path = "channel__organisation"
    list_display = ["pk", "channel", "reason", "source", "received_at", "processed_at"]
    list_filter = ["channel", ("processed_at", admin.EmptyFieldListFilter)]
    actions = ["process_again"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The raw message is kept from everyone but superusers."""
        return [] if request.user.is_superuser else ["raw"]

    def has_process_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("email_channel.reprocess_quarantinedmail")

    @admin.action(description=_("Process again"), permissions=["process_again"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[QuarantinedMail]) -> None:
        """Feed the selected mails through the intake again; those that parse now are stored."""
        stored = 0
        for mail in queryset.filter(processed_at__isnull=True).select_related("channel"):
            counts = reprocess(mail)
            stored += counts.stored + counts.duplicates
            trail.record(request=request, action="email_quarantine_reprocess", obj=mail)
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail was processed again.",
                "%(count)d e-mails were processed again.",
                stored,
            )
            % {"count": stored},
        )


@admin.register(UndeliverableAddress)
class UndeliverableAddressAdmin(AuditedViewMixin, OrganisationScopedAdmin):
    """Addresses that bounced; delete a row once the citizen gave a working address."""

    list_display = ["address", "organisation", "bounces", "last_bounce_at", "reason"]
    search_fields = ["address"]
    readonly_fields = ["bounces", "last_bounce_at"]


@admin.register(MailboxCursor)
class MailboxCursorAdmin(ReadOnlyAdmin, OrganisationScopedAdmin):
    """How far each IMAP mailbox has been read."""

    organisation_path = "channel__organisation"
    list_display = ["channel", "mailbox", "uidvalidity", "last_uid", "updated_at"]
