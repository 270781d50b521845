"""E-mail records: quarantine, the IMAP cursors, replies waiting for their parent, and the
addresses that bounce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuarantinedMail(models.Model):
    """A message the intake could not store, kept raw with the reason; intake goes on."""

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, related_name="quarantined_mail"
    )
    raw = models.BinaryField(_("raw message"))
    reason = models.CharField(_("reason"), max_length=500)
    source = models.CharField(_("source"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quarantined e-mail")
        verbose_name_plural = _("quarantined e-mails")
        permissions = [("reprocess_quarantinedmail", _("Can process quarantined e-mail again"))]

    def __str__(self) -> str:
        return f"quarantined mail #{self.pk}: {self.reason[:60]}"


class MailboxCursor(models.Model):
    """How far the intake read one IMAP mailbox: the last UID under one UIDVALIDITY."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    mailbox = models.CharField(_("mailbox"), max_length=200)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), default=0)
    last_uid = models.BigIntegerField(_("last UID read"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    #: the IDLE watcher that keeps this mailbox read (``host:pid``), until its lease lapses;
    #: the periodic poll and other processes' watchers leave a leased mailbox alone
    watched_by = models.CharField(_("watched by"), max_length=200, blank=True)
    watched_until = models.DateTimeField(_("watched until"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox cursor")
        verbose_name_plural = _("mailbox cursors")
        constraints = [
            models.UniqueConstraint(fields=["channel", "mailbox"], name="mail_cursor_once")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox}@{self.uidvalidity}:{self.last_uid}"


class PendingReply(models.Model):
    """A stored message that answers a Message-ID Balie has not seen yet; linked to it when
    that message arrives (mail arrives in any order)."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    parent_id = models.CharField(_("expected Message-ID"), max_length=255)
    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("reply waiting for its parent")
        verbose_name_plural = _("replies waiting for their parent")
        indexes = [models.Index(fields=["channel", "parent_id"], name="mail_pending_parent")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.parent_id}"


class UndeliverableAddress(models.Model):
    """An e-mail address a bounce reported as failed (keyed by the digital address's value,
    per organisation: ``parties.DigitalAddress`` is another app's table)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    address = models.CharField(_("address"), max_length=320)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=1)
    last_bounce_at = models.DateTimeField(_("last bounce at"))

    class Meta:
        verbose_name = _("undeliverable e-mail address")
        verbose_name_plural = _("undeliverable e-mail addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "address"], name="mail_undeliverable_once"
            )
        ]

    def __str__(self) -> str:
        return self.address
