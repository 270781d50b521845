"""The privacy guard's tables: the policy per channel kind, what a scan found, the sealed
originals of masked messages, special-category conversations, advice to the agent and
call-back requests. Each is keyed by a row of another app (a message, a conversation), never a
field added to it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.core.crypto import EncryptedJSONField

#: Channels where personal data beyond a name and phone number may not be exchanged.
UNSAFE_BY_DEFAULT = frozenset({"whatsapp", "messenger", "instagram", "x"})


class Outbound(models.TextChoices):
    WARN = "warn", _("warn the agent once")
    BLOCK = "block", _("block sending")


class AtRest(models.TextChoices):
    SEALED = "sealed", _("keep masked; the original encrypted, restricted and audited")
    MASKED = "masked", _("keep masked only")
    KEEP = "keep", _("keep as received")


class ChannelPolicy(models.Model):
    """An organisation's rule for one channel kind (no row: the defaults of :func:`policy`)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    channel_kind = models.CharField(_("channel kind"), max_length=16)
    safe = models.BooleanField(
        _("safe for personal data"),
        help_text=_("Unsafe: WhatsApp, Messenger, Instagram and X by default."),
    )
    outbound = models.CharField(
        _("outbound personal data"), max_length=8, choices=Outbound.choices, default=Outbound.WARN
    )
    at_rest = models.CharField(
        _("received personal data at rest"),
        max_length=8,
        choices=AtRest.choices,
        default=AtRest.SEALED,
    )

    class Meta:
        verbose_name = _("channel privacy policy")
        verbose_name_plural = _("channel privacy policies")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel_kind"], name="privacy_policy_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_kind}: {'safe' if self.safe else 'unsafe'}"


class PrivacySettings(models.Model):
    """An organisation's privacy settings: the team that handles special categories."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    special_team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team for special categories"),
        help_text=_("Only this team sees conversations with medical or criminal data."),
    )

    class Meta:
        verbose_name = _("privacy settings")
        verbose_name_plural = _("privacy settings")

    def __str__(self) -> str:
        return str(self.organisation_id)


class Finding(models.Model):
    """One span of personal data in a received message (offsets into the text received)."""

    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16)
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))

    class Meta:
        verbose_name = _("personal data found")
        verbose_name_plural = _("personal data found")
        indexes = [models.Index(fields=["conversation", "message"], name="privacy_find_conv")]
        constraints = [
            models.UniqueConstraint(fields=["message", "start"], name="privacy_finding_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}-{self.end}"


class SealedOriginal(models.Model):
    """The text of a masked message as received, encrypted (``core.crypto``); read only
    through :func:`balie.privacy.sealed.unseal`, which records an audit entry."""

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    content = EncryptedJSONField(_("original (encrypted)"))
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        verbose_name = _("sealed original")
        verbose_name_plural = _("sealed originals")

    def __str__(self) -> str:
        return str(self.message_id)


class SpecialConversation(models.Model):
    """A conversation with medical or criminal data: only ``team`` sees it (no team set when
    it was found: the usual rules)."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    team = models.ForeignKey(
        "organisations.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kinds = models.JSONField(_("kinds"), default=list)
    found_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("special-category conversation")
        verbose_name_plural = _("special-category conversations")

    def __str__(self) -> str:
        return str(self.conversation_id)


class Advice(models.Model):
    """Personal data arrived on an unsafe channel: the agent is shown a warning and a
    suggested reply until one answers it (``resolved_at``)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="+"
    )
    kinds = models.JSONField(_("kinds"), default=list)
    created_at = models.DateTimeField(_("created at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "organisations.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("privacy advice")
        verbose_name_plural = _("privacy advice")
        indexes = [models.Index(fields=["conversation", "resolved_at"], name="privacy_advice_open")]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {', '.join(self.kinds)}"


class CallbackState(models.TextChoices):
    OPEN = "open", _("to call")
    DONE = "done", _("called")


class CallbackRequest(models.Model):
    """The contact centre calls the citizen back (instead of exchanging data in the chat)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        "organisations.Agent", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=8, choices=CallbackState.choices, default=CallbackState.OPEN
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("call-back request")
        verbose_name_plural = _("call-back requests")
        indexes = [models.Index(fields=["organisation", "state"], name="privacy_callback_open")]

    def __str__(self) -> str:
        return f"{self.conversation_id} ({self.state})"


class Scanned(models.Model):
    """A received message on a guarded channel (unsafe, masked at rest) that the scan on
    receipt has handled: written in the transaction that masks it. Until this row exists,
    :func:`balie.privacy.display.displayed_body` masks the text on the fly, so nobody sees
    personal data the scan has not yet masked."""

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="+", primary_key=True
    )

    class Meta:
        verbose_name = _("scanned message")
        verbose_name_plural = _("scanned messages")

    def __str__(self) -> str:
        return str(self.message_id)
