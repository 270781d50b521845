"""An agent's routing profile: languages, topic skills, trainings and capacity per channel."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PROFICIENCY = [MinValueValidator(1), MaxValueValidator(5)]


class Training(models.Model):
    """A training an organisation requires for some topics (crisis, consular law)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="trainings",
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="training_code_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class AgentLanguage(models.Model):
    """A language an agent speaks, with proficiency 1–5."""

    agent = models.ForeignKey(
        "organisations.Agent", on_delete=models.CASCADE, related_name="languages"
    )
    language = models.CharField(_("language"), max_length=8)
    proficiency = models.PositiveSmallIntegerField(_("proficiency"), validators=PROFICIENCY)

    class Meta:
        verbose_name = _("agent language")
        verbose_name_plural = _("agent languages")
        constraints = [
            models.UniqueConstraint(fields=["agent", "language"], name="agent_language_once")
        ]

    def __str__(self) -> str:
        return f"{self.language}:{self.proficiency}"


class AgentSkill(models.Model):
    """A topic an agent handles, with proficiency 1–5."""

    agent = models.ForeignKey(
        "organisations.Agent", on_delete=models.CASCADE, related_name="skills"
    )
    topic = models.ForeignKey(
        "organisations.Topic", on_delete=models.CASCADE, verbose_name=_("topic")
    )
    proficiency = models.PositiveSmallIntegerField(_("proficiency"), validators=PROFICIENCY)

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [models.UniqueConstraint(fields=["agent", "topic"], name="agent_skill_once")]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.proficiency}"


class AgentTraining(models.Model):
    """A completed training, valid until its expiry date (inclusive)."""

    agent = models.ForeignKey(
        "organisations.Agent", on_delete=models.CASCADE, related_name="trainings"
    )
    training = models.ForeignKey(Training, on_delete=models.CASCADE, verbose_name=_("training"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent training")
        verbose_name_plural = _("agent trainings")
        constraints = [
            models.UniqueConstraint(fields=["agent", "training"], name="agent_training_once")
        ]

    def __str__(self) -> str:
        return f"{self.training_id} until {self.valid_until}"


class AgentChannel(models.Model):
    """A channel kind an agent serves and how many contacts of it at once."""

    agent = models.ForeignKey(
        "organisations.Agent", on_delete=models.CASCADE, related_name="channels"
    )
    channel_kind = models.CharField(_("channel kind"), max_length=16)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)

    class Meta:
        verbose_name = _("agent channel")
        verbose_name_plural = _("agent channels")
        constraints = [
            models.UniqueConstraint(fields=["agent", "channel_kind"], name="agent_channel_once")
        ]

    def __str__(self) -> str:
        return f"{self.channel_kind}×{self.capacity}"


class RoutingSettings(models.Model):
    """An organisation's routing choices (defaults apply when it has no row)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="routing_settings"
    )
    offer_timeout_s = models.PositiveSmallIntegerField(_("offer timeout (s)"), default=20)
    auto_accept_kinds = models.JSONField(
        _("auto-accept channel kinds"),
        default=list,
        blank=True,
        help_text=_('Channel kinds assigned without the agent accepting, e.g. ["email"].'),
    )
    chats_during_call = models.BooleanField(
        _("offer written contacts during a call"), default=False
    )
    answer_targets = models.JSONField(
        _("answer targets (s) per channel kind"), default=dict, blank=True
    )
    handling_times = models.JSONField(
        _("average handling time (s) per channel kind"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return f"routing settings of {self.organisation_id}"


class EscalationStep(models.Model):
    """After ``after_s`` seconds of waiting a topic's requirements widen (or narrow)."""

    topic = models.ForeignKey(
        "organisations.Topic", on_delete=models.CASCADE, related_name="escalation_steps"
    )
    after_s = models.PositiveIntegerField(_("after (s)"))
    min_skill = models.PositiveSmallIntegerField(null=True, blank=True, validators=PROFICIENCY)
    min_language = models.PositiveSmallIntegerField(null=True, blank=True, validators=PROFICIENCY)
    require_skill = models.BooleanField(null=True, blank=True)
    training = models.ForeignKey(Training, null=True, blank=True, on_delete=models.PROTECT)
    drop_training = models.BooleanField(default=False)
    supervisors_only = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["topic", "after_s"]

    def __str__(self) -> str:
        return f"{self.topic_id} after {self.after_s}s"


class EntryState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("offered")
    ASSIGNED = "assigned", _("assigned")
    DONE = "done", _("done")


class QueueEntry(models.Model):
    """A conversation's place in the routing queue (one per conversation, reused)."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="queue_entry"
    )
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    channel_kind = models.CharField(max_length=16)
    priority = models.SmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.WAITING)
    enqueued_at = models.DateTimeField()
    agent = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        indexes = [
            models.Index(fields=["organisation", "state", "priority", "enqueued_at"]),
            # The sweep's queue order over the waiting entries only: it stops after a batch
            # instead of sorting the whole queue for every batch of 50.
            models.Index(
                fields=["organisation", "-priority", "enqueued_at", "id"],
                condition=models.Q(state="waiting"),
                name="queue_waiting_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.state}"


class OfferOutcome(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    TIMED_OUT = "timed_out", _("timed out")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Offer(models.Model):
    """A contact offered to one agent until ``expires_at``; the outcome is kept."""

    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey("organisations.Agent", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    outcome = models.CharField(
        max_length=10, choices=OfferOutcome.choices, default=OfferOutcome.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["outcome", "expires_at"])]

    def __str__(self) -> str:
        return f"offer {self.pk} to {self.agent_id}: {self.outcome}"


class AgentRoutingState(models.Model):
    """The row locked to give an agent work; also idle time and the day's count (fairness)."""

    agent = models.OneToOneField(
        "organisations.Agent", on_delete=models.CASCADE, related_name="routing_state"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)
    handled_today = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("agent routing state")
        verbose_name_plural = _("agent routing states")

    def __str__(self) -> str:
        return f"routing state of {self.agent_id}"


class RoutingRecord(models.Model):
    """What routing did with a conversation and why (offers, declines, supervisor moves)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="routing_records"
    )
    kind = models.CharField(max_length=24)
    agent = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("routing record")
        verbose_name_plural = _("routing records")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.kind}"
