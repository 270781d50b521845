"""Partij (party) and digital addresses, after the VNG Klantinteracties standard."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.parties.normalise import normalise


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
    #: set when a person merged this party into another (``balie.parties.merge``); undone: None
    #: (the kept party erased by retention: None too, the merge then has nothing to undo)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("merged into"),
    )

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
    #: the comparable form of ``value`` (:mod:`balie.parties.normalise`), "" when none;
    #: set by :meth:`save` and by every bulk create (``parties.actions``)
    normalised = models.CharField(_("normalised value"), max_length=320, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digital address")
        verbose_name_plural = _("digital addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "value"], name="digital_address_once_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "normalised"], name="digital_address_normalised")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep ``normalised`` in step with ``kind`` and ``value``."""
        self.normalised = normalise(self.kind, self.value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"kind", "value"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "normalised"}
        super().save(*args, **kwargs)


class PartyMerge(models.Model):
    """One party merged into another by a person: exactly what moved (ids per model), so an
    undo puts back exactly that. A new row per merge; an undo fills ``undone_*``."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    #: the kept party erased (retention, art. 17): the record goes with it, nothing to undo
    survivor = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="+", verbose_name=_("kept party")
    )
    #: protected: retention keeps a merged party (no conversations of its own) while the
    #: merge stands, so it can be undone; once the kept party is gone, so is this row
    merged = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged party")
    )
    #: ``{"app.model": [ids]}`` of the rows moved from ``merged`` to ``survivor``
    moved = models.JSONField(_("moved"), default=dict)
    #: what the apps owning a one-to-one row on the parties need to undo their part
    #: (:mod:`balie.parties.ports`), by model label: ``{"conduct.conductstate": {…}}``
    carried = models.JSONField(_("carried rows before"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    merged_by = models.ForeignKey(
        "organisations.Agent",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("merged by"),
    )
    merged_at = models.DateTimeField(_("merged at"))
    undone_by = models.ForeignKey(
        "organisations.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("undone by"),
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undo_reason = models.TextField(_("reason for undoing"), blank=True)

    class Meta:
        verbose_name = _("party merge")
        verbose_name_plural = _("party merges")
        indexes = [models.Index(fields=["organisation", "-merged_at"], name="party_merge_recent")]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class MergeDismissal(models.Model):
    """A person said two parties are not the same person: the pair is never suggested again."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    #: the pair with the lower id first
    first = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    dismissed_by = models.ForeignKey(
        "organisations.Agent",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    dismissed_at = models.DateTimeField(_("dismissed at"))

    class Meta:
        verbose_name = _("dismissed merge suggestion")
        verbose_name_plural = _("dismissed merge suggestions")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="merge_dismissed_once")
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
