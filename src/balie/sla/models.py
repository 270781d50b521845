"""Service-level policies, one clock per conversation, and the outcome of every target."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    """What a service level promises."""

    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    RESOLUTION = "resolution", _("resolution")


class ClockState(models.TextChoices):
    """How a conversation stands against its nearest due time."""

    ON_TIME = "on_time", _("on time")
    WARNING = "warning", _("due soon")
    BREACHED = "breached", _("overdue")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


class Policy(models.Model):
    """The promised times for conversations of a channel, topic and priority (each optional).

    The most specific active policy applies: a channel match outweighs a topic match, which
    outweighs a priority match. Each target is a rule in the shape of ``balie sla due``:
    ``{"business_minutes": 60}``, ``{"wall_minutes": 240}`` or
    ``{"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}}``; null: none.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("channel"),
        help_text=_("Empty: every channel."),
    )
    topic = models.ForeignKey(
        "organisations.Topic",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("topic"),
        help_text=_("Empty: every topic."),
    )
    priority = models.SmallIntegerField(
        _("priority"), null=True, blank=True, help_text=_("Empty: every priority.")
    )
    first_response = models.JSONField(_("first response"), null=True, blank=True)
    next_response = models.JSONField(_("next response"), null=True, blank=True)
    resolution = models.JSONField(_("resolution"), null=True, blank=True)
    warning_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warning at (% of the target)"),
        default=80,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="sla_policy_name"),
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=99),
                name="sla_policy_warning_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def rule_json(self, target: str) -> dict[str, Any] | None:
        """The stored rule of ``target`` (first_response, next_response, resolution)."""
        value = getattr(self, target)
        return value if isinstance(value, dict) and value else None


class Clock(models.Model):
    """A conversation's service-level clock: its due times and how it stands.

    ``due_at`` is the nearest running due time (response or resolution) and ``warn_at`` its
    warning instant; both null when nothing runs (answered and resolved, paused, or no policy).
    The sweep reads them by index.
    """

    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="sla_clock",
        verbose_name=_("conversation"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(_("started at"))
    response_target = models.CharField(
        _("response target"), max_length=16, choices=Target.choices, blank=True
    )
    response_started_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_business_minutes = models.FloatField(default=0)
    paused_wall_minutes = models.FloatField(default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    due_target = models.CharField(max_length=16, choices=Target.choices, blank=True)
    warn_at = models.DateTimeField(_("warning"), null=True, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ClockState.choices, default=ClockState.ON_TIME
    )
    warned = models.BooleanField(default=False)
    breached = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")
        indexes = [models.Index(fields=["organisation", "due_at"], name="sla_clock_org_due")]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.state}"


class Outcome(models.Model):
    """A reporting fact: one target met or missed, and the time it took (append-only)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="sla_outcomes"
    )
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL)
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    kind = models.CharField(_("rule"), max_length=32)
    met = models.BooleanField(_("met"))
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed at"), db_index=True)
    business_minutes = models.FloatField(_("business minutes taken"))
    wall_minutes = models.FloatField(_("wall minutes taken"))

    class Meta:
        verbose_name = _("service-level outcome")
        verbose_name_plural = _("service-level outcomes")
        indexes = [models.Index(fields=["organisation", "completed_at"], name="sla_outcome_org")]

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.target}: {'met' if self.met else 'missed'}"
