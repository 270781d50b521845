"""Partij (party) and digital addresses, after the VNG Klantinteracties standard."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    PERSON = "persoon", _("Person")
    ORGANISATION = "organisatie", _("Organisation")
    CONTACT_PERSON = "contactpersoon", _("Contact person")


class Party(models.Model):
    """Someone who contacts the organisation: a citizen, a company, a representative."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="parties",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.display_name or str(self.uuid)


class AddressKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    EMAIL = "email", _("E-mail address")
    WHATSAPP = "whatsapp", _("WhatsApp user")
    MESSENGER = "messenger", _("Messenger user")
    INSTAGRAM = "instagram", _("Instagram user")
    X = "x", _("X user")
    WEBCHAT = "webchat", _("Web chat visitor")


class DigitalAddress(models.Model):
    """A way to reach a party: phone number, e-mail address, platform user id."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("party")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AddressKind.choices)
    value = models.CharField(_("value"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)
    #: the handle the platform shows for this address, e.g. the citizen's WhatsApp username
    label = models.CharField(_("label"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digital address")
        verbose_name_plural = _("digital addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "value"], name="digital_address_once_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
