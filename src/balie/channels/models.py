"""A configured channel: one WhatsApp number, one mailbox, one web chat, one API form."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.core.crypto import EncryptedJSONField


class ChannelKind(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", _("E-mail")
    WEBCHAT = "webchat", _("Web chat")
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X"
    PHONE = "phone", _("Phone")
    API = "api", _("API / web form")


class Channel(models.Model):
    """A channel instance; its key appears in the webhook URL, its secrets are encrypted."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="channels",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    key = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = EncryptedJSONField(_("secrets"), blank=True, default=dict)
    team = models.ForeignKey(
        "organisations.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("default team"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class OutboxState(models.TextChoices):
    """Where an outbound message stands in the outbox (see :mod:`balie.channels.delivery`)."""

    QUEUED = "queued", _("Queued")  # written, never attempted
    SENDING = "sending", _("Sending")  # an attempt claimed; the provider may be called now
    WAITING = "waiting", _("Waiting")  # refused for now, retried after a backoff
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


#: the states an attempt or the sweep may still pick up (the partial index covers these)
OPEN_STATES = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.WAITING)


class OutboxQuerySet(models.QuerySet["OutboxEntry"]):
    def due(self, now: datetime, *, grace: timedelta = timedelta(0)) -> OutboxQuerySet:
        """The entries that have an attempt due at ``now``: the outbox's one due rule.

        An entry is due from its ``next_attempt_at``: for ``queued`` the moment it was
        written, for ``waiting`` the end of its backoff, for ``sending`` the moment the attempt
        counts as stuck. ``grace`` postpones ``queued`` and ``waiting`` entries (the sweep
        leaves them to the task that is coming); a stuck attempt has no task coming.
        One range read on the partial index ``outbox_due``.
        """
        return self.filter(state__in=OPEN_STATES).filter(
            Q(state=OutboxState.SENDING, next_attempt_at__lte=now)
            | Q(
                state__in=(OutboxState.QUEUED, OutboxState.WAITING),
                next_attempt_at__lte=now - grace,
            )
        )


class OutboxEntry(models.Model):
    """An outbound message's place in the outbox: its state and attempts in typed columns.

    One row per outbound message, written with it. The provider's idempotency key is the
    message's ``uuid`` (WhatsApp echoes it back as ``biz_opaque_callback_data``).
    """

    message = models.OneToOneField(
        "conversations.Message",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="outbox",
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        _("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    #: when the entry is next due (see :meth:`OutboxQuerySet.due`); null once sent or failed
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("attempt started at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(state__in=OPEN_STATES),
            )
        ]

    def __str__(self) -> str:
        return f"outbox #{self.pk} ({self.state})"
