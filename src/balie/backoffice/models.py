"""Internal tasks (interne taak) with their term, history and reporting facts; per-topic
default terms; the organisation's out-of-hours care; arrivals outside opening hours.

Tables of this app only: facts about other apps' rows are kept here, keyed by them.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.backoffice.workflow import TaskState

STATE_CHOICES = [(s.value, s.value.replace("_", " ")) for s in TaskState]


class Task(models.Model):
    """Work forwarded from a conversation to a team (vakafdeling) with a deadline."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="backoffice_tasks",
        verbose_name=_("conversation"),
    )
    team = models.ForeignKey(
        "organisations.Team", on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    requested_action = models.CharField(_("requested action"), max_length=200)
    state = models.CharField(
        _("state"), max_length=24, choices=STATE_CHOICES, default=TaskState.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    first_due_at = models.DateTimeField(_("first due at"))
    created_by = models.ForeignKey(
        "organisations.Agent", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: the contact centre's agent the answer returns to
    return_to = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    #: the notification e-mail's Message-ID (a reply's In-Reply-To names it)
    mail_message_id = models.CharField(_("notification Message-ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("internal task")
        verbose_name_plural = _("internal tasks")
        indexes = [
            models.Index(fields=["team", "state", "due_at"]),
            models.Index(fields=["state", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requested_action[:40]}"

    @property
    def reference(self) -> str:
        """The short reference in e-mail subjects: ``T-12-3f9a1c``."""
        return f"T-{self.pk}-{self.uuid.hex[:6]}"


class TaskMessage(models.Model):
    """A message of the conversation the contact centre chose to send along."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="task_messages")
    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "message"], name="task_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.message_id}"


class TaskStep(models.Model):
    """A row per state change of a task: its history (who, when, why, which term)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(_("from"), max_length=24, choices=STATE_CHOICES, blank=True)
    to_state = models.CharField(_("to"), max_length=24, choices=STATE_CHOICES)
    actor = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class FactKind(models.TextChoices):
    FORWARDED = "forwarded", _("forwarded")
    EXTENDED = "extended", _("extended")
    OVERDUE = "overdue", _("overdue")
    ANSWERED = "answered", _("answered")
    CANCELLED = "cancelled", _("cancelled")


class TaskFact(models.Model):
    """Append-only reporting fact of a task's step (reports read these, never recompute)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="facts")
    team = models.ForeignKey("organisations.Team", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(
        "organisations.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FactKind.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    due_at = models.DateTimeField(_("due at"))
    #: answered or cancelled: within the (last) term?
    met = models.BooleanField(_("within the term"), null=True)
    wall_minutes = models.PositiveIntegerField(_("wall minutes since forwarded"), default=0)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind}"


class TermUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    BUSINESS_MINUTES = "business_minutes", _("business minutes")


class TopicTerm(models.Model):
    """The default term of a topic's internal tasks, counted on the receiving team's calendar."""

    topic = models.OneToOneField(
        "organisations.Topic", on_delete=models.CASCADE, related_name="backoffice_term"
    )
    amount = models.PositiveIntegerField(_("amount"), default=3)
    unit = models.CharField(
        _("unit"), max_length=16, choices=TermUnit.choices, default=TermUnit.WORKING_DAYS
    )

    class Meta:
        verbose_name = _("back office term")
        verbose_name_plural = _("back office terms")

    def __str__(self) -> str:
        return f"{self.topic}: {self.amount} {self.unit}"


class CarePolicy(models.Model):
    """An organisation's choices for forwarding and out-of-hours care (one row, optional)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="care_policy"
    )
    default_term_days = models.PositiveSmallIntegerField(
        _("default term (working days)"), default=3
    )
    afterhours_reply = models.BooleanField(_("automatic reply outside opening hours"), default=True)
    #: Balie asks "still needed?" itself at opening and closes on "no" or silence
    auto_check = models.BooleanField(_("ask 'still needed?' at opening"), default=False)
    check_timeout_minutes = models.PositiveIntegerField(
        _("close after silence (minutes)"), default=240
    )
    #: False turns read receipts off on every channel; otherwise each channel's setting
    read_receipts = models.BooleanField(
        _("read receipts to the citizen"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Off: none on any channel (reading without answering raises false expectations). "
            "Empty or on: each channel's setting."
        ),
    )
    #: approved WhatsApp templates for notices outside the 24-hour window ("" = none)
    term_template = models.CharField(_("WhatsApp template: term"), max_length=100, blank=True)
    check_template = models.CharField(
        _("WhatsApp template: still needed?"), max_length=100, blank=True
    )
    task_mail_from = models.EmailField(_("sender of task e-mails"), blank=True)

    class Meta:
        verbose_name = _("care policy")
        verbose_name_plural = _("care policies")

    def __str__(self) -> str:
        return str(self.organisation)


class OutOfHoursArrival(models.Model):
    """A conversation that received a message while closed, once per closed period (keyed
    by the next opening): the automatic reply, the mark, Balie's own check."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    arrived_at = models.DateTimeField(_("arrived at"))
    opens_at = models.DateTimeField(_("next opening"), db_index=True)
    replied = models.BooleanField(_("automatic reply sent"), default=False)
    marked_at = models.DateTimeField(_("marked at opening"), null=True, blank=True)
    check_sent_at = models.DateTimeField(_("check sent at"), null=True, blank=True)
    check_answered_at = models.DateTimeField(_("check answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed by Balie at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "opens_at"], name="out_of_hours_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} until {self.opens_at:%Y-%m-%d %H:%M}"
