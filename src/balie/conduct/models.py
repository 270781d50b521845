"""A party's conduct: its state, every step taken (history), block requests and templates."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.conduct.workflow import State, Step

STATE_LABELS = {
    State.CLEAR: _("No procedure"),
    State.NAMED: _("Behaviour named"),
    State.WARNED: _("Warned"),
    State.REMINDED: _("Reminded of the warning"),
    State.ANNOUNCED: _("Block announced"),
    State.BLOCK_REQUESTED: _("Block awaiting confirmation"),
    State.BLOCKED: _("Blocked"),
}
STEP_LABELS = {
    Step.NAME: _("Name the behaviour"),
    Step.WARN: _("Warn with the consequence"),
    Step.REMIND: _("Say a warning was given"),
    Step.ANNOUNCE: _("Announce the block"),
    Step.REQUEST_BLOCK: _("Ask to block"),
    Step.CONFIRM_BLOCK: _("Confirm the block"),
    Step.REJECT_BLOCK: _("Decline the block"),
    Step.LIFT: _("Lift the block"),
    Step.EXPIRE: _("Block ended"),
    Step.CONSULT: _("Consult colleagues"),
}


class ConductState(models.Model):
    """Where a party is in the procedure (one row per party that has one)."""

    party = models.OneToOneField(
        "parties.Party",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="conduct",
        verbose_name=_("party"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=[(s.value, STATE_LABELS[s]) for s in State],
        default=State.CLEAR,
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("conduct state")
        verbose_name_plural = _("conduct states")

    def __str__(self) -> str:
        return f"{self.party_id}: {self.state}"


class BlockState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting confirmation")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Declined")
    LIFTED = "lifted", _("Lifted")
    EXPIRED = "expired", _("Ended")


class Block(models.Model):
    """A block of a party across all its digital addresses: asked by one person, in force
    once a second confirms, until ``until`` (None: permanent) or a supervisor lifts it."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    party = models.ForeignKey(
        "parties.Party", on_delete=models.CASCADE, related_name="blocks", verbose_name=_("party")
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("asked in conversation"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=BlockState.choices, default=BlockState.REQUESTED
    )
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        "organisations.Agent",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked by"),
    )
    requested_at = models.DateTimeField(_("asked at"))
    decided_by = models.ForeignKey(
        "organisations.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed or declined by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        "organisations.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        indexes = [models.Index(fields=["organisation", "state", "party"])]

    def __str__(self) -> str:
        return f"{self.party_id} {self.state}"

    @property
    def permanent(self) -> bool:
        """A block without an end date."""
        return self.until is None


class ConductStep(models.Model):
    """One step of the procedure: who, when, in which conversation, about which messages,
    what was sent (or why it could not be). A new row per step: the history."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.CASCADE,
        related_name="conduct_steps",
        verbose_name=_("party"),
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("conversation"),
    )
    step = models.CharField(
        _("step"), max_length=16, choices=[(s.value, STEP_LABELS[s]) for s in Step]
    )
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    agent = models.ForeignKey(
        "organisations.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
    )
    concerning = models.ManyToManyField(
        "conversations.Message", blank=True, related_name="+", verbose_name=_("messages concerned")
    )
    block = models.ForeignKey(
        Block, null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    reason = models.TextField(_("reason"), blank=True)
    body = models.TextField(_("message text"), blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("message sent or note written"),
    )
    not_sent = models.CharField(_("not sent because"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("conduct step")
        verbose_name_plural = _("conduct steps")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["party", "created_at"])]

    def __str__(self) -> str:
        return f"{self.party_id} {self.step}"


class Tone(models.TextChoices):
    FORMAL = "u", _("formal (u)")
    INFORMAL = "je", _("informal (je)")


class ConductTemplate(models.Model):
    """The message of a step in one language and tone; ``{until}`` is the block's end."""

    step = models.CharField(
        _("step"),
        max_length=16,
        choices=[
            (s.value, STEP_LABELS[s])
            for s in Step
            if s in {Step.NAME, Step.WARN, Step.REMIND, Step.ANNOUNCE, Step.CONFIRM_BLOCK}
        ],
    )
    language = models.CharField(_("language"), max_length=8)
    tone = models.CharField(_("tone"), max_length=2, choices=Tone.choices)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("conduct template")
        verbose_name_plural = _("conduct templates")
        constraints = [
            models.UniqueConstraint(
                fields=["step", "language", "tone"], name="conduct_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.language}/{self.tone}"
