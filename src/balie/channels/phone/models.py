"""The phone channel's own record: a call a PBX carried and Balie routed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    """A phone call routed for a PBX: the contact moment with wait and talk time.

    A caller who calls again while their earlier call's conversation is not closed joins that
    conversation (as a message does): one conversation may hold several calls, the latest of
    which carries it. ``klantcontact`` is the one klantcontact of the call, completed by the
    after-call form (``wrapped_up_at``)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="calls"
    )
    call_id = models.CharField(max_length=128)
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE)
    queued_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    abandoned = models.BooleanField(default=False)
    agent = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    wait_s = models.FloatField(null=True, blank=True)
    talk_s = models.FloatField(null=True, blank=True)
    klantcontact = models.OneToOneField(
        "conversations.Klantcontact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call",
    )
    wrapped_up_at = models.DateTimeField(_("after-call form sent at"), null=True, blank=True)

    class Meta:
        db_table = "routing_call"  # the table routing created; moved here in #9 without a copy
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["channel", "call_id"], name="call_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"call {self.call_id}"
