from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from balie.audit import trail
from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.channels.whatsapp.models import MessageTemplate, WebhookEvent
from balie.channels.whatsapp.retry import do_retry_events
from balie.organisations.admin import OrganisationScopedAdmin


class ProcessingFilter(admin.SimpleListFilter):
    """Where an event stands: processed, waiting for a retry, or parked for an administrator."""

    title = _("processing")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("parked", _("parked")),
            ("failing", _("failed, retry scheduled")),
            ("waiting", _("not processed yet")),
            ("processed", _("processed")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        state = self.value()
        if state == "parked":
            return queryset.filter(processed_at__isnull=True, parked_at__isnull=False)
        unparked = queryset.filter(processed_at__isnull=True, parked_at__isnull=True)
        if state == "failing":
            return unparked.filter(attempts__gt=0)
        if state == "waiting":
            return unparked
        if state == "processed":
            return queryset.filter(processed_at__isnull=False)
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """Raw events as Meta sent them (they hold personal data: each view is audited).

    Events that could not be applied are listed with their error, attempts and times (filter
    "parked"); "Process again" un-parks them. The raw body is shown only to superusers, on
    the (audited) detail page.
    """

    organisation_path = "channel__organisation"  # staff agents: their organisation's events
    list_display = [
        "pk",
        "channel",
        "received_at",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "parked_at",
        "last_error",
    ]
    list_filter = [ProcessingFilter, "channel"]
    actions = ["retry"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The raw payload is kept from everyone but superusers."""
        return [] if request.user.is_superuser else ["body"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Whether the user may have parked events processed again."""
        return request.user.has_perm("whatsapp.retry_webhookevent")

    @admin.action(description=_("Process again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        """Un-park the selected events and make them due now (processed ones are skipped)."""
        retried = do_retry_events(list(queryset.values_list("pk", flat=True)))
        for event in WebhookEvent.objects.filter(pk__in=retried):
            trail.record(request=request, action="whatsapp_event_retry", obj=event)
        self.message_user(
            request,
            ngettext(
                "%(count)d event will be processed again.",
                "%(count)d events will be processed again.",
                len(retried),
            )
            % {"count": len(retried)},
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(OrganisationScopedAdmin):
    """Templates are declared with `balie apply`; their review status comes from Meta."""

    organisation_path = "channel__organisation"

    list_display = ["name", "language", "category", "status", "channel", "updated_at"]
    list_filter = ["channel", "status", "category", "language"]
    readonly_fields = ["status", "status_reason", "provider_id", "parameter_count", "updated_at"]
