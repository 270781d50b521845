"""WhatsApp-specific records: the raw webhook events and the template registry."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.core import clock

#: how long the webhook's own handler has to apply a new event before the sweep takes over
HANDLER_GRACE = timedelta(minutes=1)


def first_sweep_at() -> datetime:
    """When the sweep may first take a new event: after its handler's grace period."""
    return clock.now() + HANDLER_GRACE


class WebhookEvent(models.Model):
    """A signed webhook POST exactly as Meta sent it, committed before we answer 200.

    Processing (parties, conversations, statuses, media) happens after commit from this row,
    so a crash or a slow step never loses an event and never makes Meta retry.

    Retry state (see :mod:`balie.channels.whatsapp.retry`): ``next_attempt_at`` is when the
    sweep may take the event (``None`` once it is processed or parked), ``attempts`` counts
    failed applications, ``last_error`` holds the last one's exception type and message, and
    ``parked_at`` marks an event given up on until an administrator retries it.
    """

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, related_name="whatsapp_events"
    )
    body = models.TextField(_("raw body"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=first_sweep_at
    )
    parked_at = models.DateTimeField(_("parked at"), null=True, blank=True)
    last_error = models.TextField(_("processing error"), blank=True)

    class Meta:
        verbose_name = _("WhatsApp webhook event")
        verbose_name_plural = _("WhatsApp webhook events")
        indexes = [
            models.Index(fields=["processed_at"], name="wa_event_processed_idx"),
            # the sweep's due query; only events still waiting are in it, so it stays small
            models.Index(
                fields=["attempts", "id"],
                name="wa_event_due_idx",
                condition=models.Q(processed_at__isnull=True, parked_at__isnull=True),
            ),
        ]
        permissions = [("retry_webhookevent", _("Can process parked webhook events again"))]

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
