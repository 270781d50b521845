from django.contrib import admin

from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.channels.whatsapp.models import MessageTemplate, WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(AuditedViewMixin, ReadOnlyAdmin):
    """Raw events as Meta sent them (they hold personal data: each view is audited)."""

    list_display = ["pk", "channel", "received_at", "processed_at", "error"]
    list_filter = ["channel", ("processed_at", admin.EmptyFieldListFilter)]
    exclude = ["body"]  # the raw payload is not shown in lists or forms


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Templates are declared with `balie apply`; their review status comes from Meta."""

    list_display = ["name", "language", "category", "status", "channel", "updated_at"]
    list_filter = ["channel", "status", "category", "language"]
    readonly_fields = ["status", "status_reason", "provider_id", "parameter_count", "updated_at"]
