"""Retention terms, legal holds, the removal report, and requests of data subjects."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.core import clock

#: One year for contacts and for agent performance data (the organisations' rule).
DEFAULT_DAYS = 365


class Data(models.TextChoices):
    """What a term applies to."""

    CONTACTS = "contacts", _("Contacts (messages, attachments, klantcontacten, parties)")
    PERFORMANCE = "performance", _("Agent performance data (who handled which contact)")


class Disposal(models.TextChoices):
    """The archivist's choice at the end of the term (Archiefwet selection list)."""

    DESTROY = "destroy", _("Destroy")
    KEEP = "keep", _("Keep (transfer to the archive)")


class RetentionTerm(models.Model):
    """A term set by the organisation's archivist; the most specific one applies: channel and
    topic, then topic, then channel, then the organisation's own, then one year."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    data = models.CharField(_("data"), max_length=16, choices=Data.choices, default=Data.CONTACTS)
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("channel"),
        help_text=_("Empty: every channel."),
    )
    topic = models.ForeignKey(
        "organisations.Topic",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("topic category"),
        help_text=_("Empty: every topic."),
    )
    days = models.PositiveIntegerField(
        _("term in days"),
        default=DEFAULT_DAYS,
        help_text=_("Counted from the contact's resolution."),
    )
    disposal = models.CharField(
        _("at the end of the term"),
        max_length=8,
        choices=Disposal.choices,
        default=Disposal.DESTROY,
    )
    basis = models.CharField(
        _("basis"),
        max_length=200,
        blank=True,
        help_text=_("The selection list's category or the decision the term comes from."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("retention term")
        verbose_name_plural = _("retention terms")
        ordering = ["organisation", "data", "channel", "topic"]

    def __str__(self) -> str:
        scope = " / ".join(str(s) for s in (self.channel, self.topic) if s) or str(_("all"))
        return f"{self.get_data_display()}: {scope}: {self.days}"

    def clean(self) -> None:
        """One term per organisation, data, channel and topic."""
        scope: dict[str, Any] = {"channel_id": self.channel_id, "topic_id": self.topic_id}
        same = RetentionTerm.objects.filter(
            organisation_id=self.organisation_id, data=self.data, **scope
        ).exclude(pk=self.pk)
        if self.organisation_id and same.exists():
            raise ValidationError(_("A term for this channel and topic exists already."))


class LegalHold(models.Model):
    """A party or a conversation that must not be destroyed (an objection, a court case, an
    inquiry): the retention job and erasure pass it by until the hold is lifted."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    party = models.ForeignKey(
        "parties.Party",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("party"),
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("conversation"),
    )
    reason = models.CharField(_("reason"), max_length=500)
    placed_by = models.CharField(_("placed by"), max_length=150, blank=True)
    placed_at = models.DateTimeField(_("placed at"), default=clock.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=Q(party__isnull=False) | Q(conversation__isnull=False),
                name="legal_hold_names_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.party or self.conversation}: {self.reason}"

    def clean(self) -> None:
        if self.party_id is None and self.conversation_id is None:
            raise ValidationError(_("Choose the party or the conversation to hold."))


class Removal(models.Model):
    """What a run of the retention job (or an erasure) removed: counts, never content. These
    rows are the anonymous counts that stay for reports."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)
    cause = models.CharField(_("cause"), max_length=16, default="retention")
    kind = models.CharField(_("kind"), max_length=32)
    channel_kind = models.CharField(_("channel"), max_length=16, blank=True)
    topic_code = models.CharField(_("topic"), max_length=64, blank=True)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("removal")
        verbose_name_plural = _("removals")
        ordering = ["-at", "kind"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.kind}: {self.count}"


class Placeholder(models.Model):
    """The organisation's anonymous party: anonymised conversations and klantcontacten point at
    it, so the citizen's own party row can go while the counts stay."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    party = models.OneToOneField("parties.Party", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("anonymous party")
        verbose_name_plural = _("anonymous parties")

    def __str__(self) -> str:
        return str(self.party)


class Ground(models.TextChoices):
    """Grounds to refuse erasure (AVG art. 17(3))."""

    PUBLIC_TASK = "public_task", _("Art. 17(3)(b): legal obligation or public task")
    ARCHIVING = "archiving", _("Art. 17(3)(d): archiving in the public interest (Archiefwet)")
    LEGAL_CLAIMS = "legal_claims", _("Art. 17(3)(e): legal claims")
    LEGAL_HOLD = "legal_hold", _("A legal hold stands on this data")


class RightsRequest(models.Model):
    """A data subject's request (access, art. 15; erasure, art. 17) and its outcome."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (art. 15)")
        ERASURE = "erasure", _("Erasure (art. 17)")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    #: the party's UUID (kept as text: after an erasure the party row is gone)
    party_uuid = models.CharField(_("party"), max_length=36, db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    ground = models.CharField(_("legal ground"), max_length=16, choices=Ground.choices, blank=True)
    explanation = models.CharField(_("explanation"), max_length=1000, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=150)
    decided_at = models.DateTimeField(_("decided at"), default=clock.now)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.party_uuid}: {self.get_outcome_display()}"
