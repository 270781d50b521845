"""WhatsApp-specific records: the raw webhook events and the template registry."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """A signed webhook POST exactly as Meta sent it, committed before we answer 200.

    Processing (parties, conversations, statuses, media) happens after commit from this row,
    so a crash or a slow step never loses an event and never makes Meta retry.
    """

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, related_name="whatsapp_events"
    )
    body = models.TextField(_("raw body"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.CharField(_("processing error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("WhatsApp webhook event")
        verbose_name_plural = _("WhatsApp webhook events")
        indexes = [models.Index(fields=["processed_at"], name="wa_event_processed_idx")]

    def __str__(self) -> str:
        return f"webhook event #{self.pk}"


class TemplateStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending review")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")
    PAUSED = "PAUSED", _("Paused")
    DISABLED = "DISABLED", _("Disabled")
    FLAGGED = "FLAGGED", _("Flagged")
    PENDING_DELETION = "PENDING_DELETION", _("Pending deletion")
    DELETED = "DELETED", _("Deleted")
    REINSTATED = "REINSTATED", _("Reinstated")


class TemplateCategory(models.TextChoices):
    UTILITY = "UTILITY", _("Utility")
    MARKETING = "MARKETING", _("Marketing")
    AUTHENTICATION = "AUTHENTICATION", _("Authentication")


class MessageTemplate(models.Model):
    """An approved (or pending) message template: the only way to write outside the window."""

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, related_name="whatsapp_templates"
    )
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=16)
    category = models.CharField(
        _("category"), max_length=16, choices=TemplateCategory.choices, blank=True
    )
    #: body text with {{1}}, {{2}} … placeholders, as submitted to Meta
    body = models.TextField(_("body"), blank=True)
    parameter_count = models.PositiveSmallIntegerField(_("number of body parameters"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.PENDING
    )
    provider_id = models.CharField(_("Meta template id"), max_length=64, blank=True)
    status_reason = models.CharField(_("status reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp message template")
        verbose_name_plural = _("WhatsApp message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "name", "language"], name="wa_template_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def usable(self) -> bool:
        """Whether Meta will accept sends with this template."""
        return self.status in {TemplateStatus.APPROVED, TemplateStatus.REINSTATED}
