"""Conversation, message, attachment, status history and the klantcontact record."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.conversations.delivery import DeliveryStatus
from balie.conversations.workflow import Status

STATUS_CHOICES = [(s.value, s.value.replace("_", " ")) for s in Status]
DELIVERY_CHOICES = [(s.value, s.value) for s in DeliveryStatus]


class Conversation(models.Model):
    """One thread with a party on one channel, from first message to resolution."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.PROTECT, verbose_name=_("channel")
    )
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        related_name="conversations",
        verbose_name=_("party"),
    )
    address = models.ForeignKey(
        "parties.DigitalAddress",
        null=True,
        on_delete=models.SET_NULL,
        verbose_name=_("digital address"),
    )
    topic = models.ForeignKey(
        "organisations.Topic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("topic"),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)
    team = models.ForeignKey(
        "organisations.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        "organisations.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=Status.NEW
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_inbound_at = models.DateTimeField(_("last inbound message"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    labels = models.ManyToManyField(
        "conversations.Label", blank=True, related_name="conversations", verbose_name=_("labels")
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["organisation", "status", "priority"]),
            models.Index(fields=["party", "channel", "status"]),
            # the inbox: a view's open conversations, longest waiting first
            models.Index(fields=["organisation", "status", "last_inbound_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject or self.channel}"


class Label(models.Model):
    """A word agents attach to conversations to find them again (per organisation; no colour:
    a label is read, never recognised by colour alone)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="label_once_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class ConversationChange(models.Model):
    """A row per edit of a conversation's facts (topic, language, labels, transfer): who
    changed what, when, and why; the conversation's history beside its status changes."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=16)
    old_value = models.CharField(_("old value"), max_length=500, blank=True)
    new_value = models.CharField(_("new value"), max_length=500, blank=True)
    actor = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("conversation change")
        verbose_name_plural = _("conversation changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class StatusChange(models.Model):
    """A row per status change: the conversation's history comes free."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=STATUS_CHOICES)
    to_status = models.CharField(_("to"), max_length=16, choices=STATUS_CHOICES)
    actor = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    NOTE = "note", _("Internal note")
    SYSTEM = "system", _("System")


class Message(models.Model):
    """A message in a conversation. Outbound rows in ``pending`` are the outbox."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    body = models.TextField(_("body"), blank=True)
    author = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL
    )
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    delivery_status = models.CharField(
        _("delivery status"), max_length=10, choices=DELIVERY_CHOICES, default="received"
    )
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error_text = models.CharField(_("error"), max_length=500, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    #: when the provider reported each status first (outbound only); kept even when a later
    #: status overtook it, so the history of a delivery stays readable
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=~Q(provider_id=""),
                name="message_provider_id_once_per_channel",
            )
        ]
        # the inbox's preview (last message per conversation) and the timeline's pages
        indexes = [
            models.Index(fields=["conversation", "id"]),
            # a conversation's latest messages by time (the timeline's first page and paging)
            models.Index(fields=["conversation", "created_at", "id"], name="message_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} #{self.pk}"


class Attachment(models.Model):
    """A file that came with or goes with a message; served only through an authorised view."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=128)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    provider_media_id = models.CharField(_("provider media id"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename or self.content_type


class Mention(models.Model):
    """A colleague named with ``@username`` in an internal note; ``seen_at`` once they opened
    the conversation after it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    agent = models.ForeignKey(
        "organisations.Agent", on_delete=models.CASCADE, related_name="mentions"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(fields=["message", "agent"], name="mention_once_per_note")
        ]
        indexes = [models.Index(fields=["agent", "seen_at"])]

    def __str__(self) -> str:
        return f"@{self.agent_id} in {self.message_id}"


class Klantcontact(models.Model):
    """The record of a handled contact (VNG Klantinteracties); a document, never edited."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="klantcontacten"
    )
    party = models.ForeignKey("parties.Party", on_delete=models.PROTECT)
    agent = models.ForeignKey(
        "organisations.Agent", null=True, blank=True, on_delete=models.SET_NULL
    )
    kanaal = models.CharField(_("channel"), max_length=50)
    onderwerp = models.CharField(_("subject"), max_length=200)
    inhoud = models.CharField(_("content"), max_length=1000, blank=True)
    taal = models.CharField(_("language (ISO 639-2/B)"), max_length=3)
    vertrouwelijk = models.BooleanField(_("confidential"), default=False)
    indicatie_contact_gelukt = models.BooleanField(_("contact succeeded"), null=True)
    plaatsgevonden_op = models.DateTimeField(_("took place at"))
    referentienummer = models.CharField(_("reference number"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("klantcontact")
        verbose_name_plural = _("klantcontacten")

    def __str__(self) -> str:
        return f"{self.kanaal}: {self.onderwerp}"
