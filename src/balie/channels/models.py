"""A configured channel: one WhatsApp number, one mailbox, one web chat, one API form."""

from __future__ import annotations

from django.db import models
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
