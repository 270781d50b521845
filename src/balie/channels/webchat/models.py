"""A web chat visitor's session: the token that lets a reconnecting widget resume its
conversation, and who the visitor is (an anonymous id, or a verified identifier)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitorSession(models.Model):
    """One visitor of one web chat channel. The token is kept as its SHA-256 only."""

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, related_name="webchat_sessions"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    #: the value of the visitor's ``webchat`` digital address (an anonymous id or the
    #: identifier the organisation's site vouched for with its HMAC)
    visitor_id = models.CharField(_("visitor id"), max_length=320)
    verified = models.BooleanField(_("identity verified"), default=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    topic_code = models.CharField(_("topic"), max_length=64, blank=True)
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("web chat session")
        verbose_name_plural = _("web chat sessions")
        indexes = [models.Index(fields=["conversation"], name="webchat_session_conv")]

    def __str__(self) -> str:
        return f"web chat session #{self.pk}"

    @property
    def group(self) -> str:
        """The channel-layer group of this visitor's open sockets."""
        return f"webchat.{self.pk}"
