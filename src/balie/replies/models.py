"""How Balie speaks: what it read in the citizen's messages (language, tone, abuse flag) and
what agents answer with (canned replies, greetings and signatures)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tone(models.TextChoices):
    FORMAL = "u", _("formal (u)")
    INFORMAL = "je", _("informal (je)")


class LanguageSource(models.TextChoices):
    DETECTED = "detected", _("detected")
    CHANNEL = "channel", _("given by the channel")
    AGENT = "agent", _("set by an agent")


class MessageAnalysis(models.Model):
    """What the text of one inbound message tells (written by the enrichment handler)."""

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    confidence = models.FloatField(_("confidence"), default=0.0)
    tone = models.CharField(_("tone"), max_length=2, choices=Tone.choices, blank=True)
    #: the tone rules that matched: [{"rule","label","match","tone","weight"}]
    tone_reasons = models.JSONField(_("tone reasons"), default=list, blank=True)
    abusive = models.BooleanField(_("possibly abusive"), default=False)
    #: what triggered the flag: [{"category","match"}]
    triggers = models.JSONField(_("triggers"), default=list, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"))

    class Meta:
        verbose_name = _("message analysis")
        verbose_name_plural = _("message analyses")
        indexes = [models.Index(fields=["conversation", "abusive"], name="analysis_conv_abusive")]

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.language or '?'} {self.tone or '?'}"


class ConversationSpeech(models.Model):
    """Per conversation: who set its language (the agent's correction wins over later
    detection) and the tone the agent chose (which picks the canned replies' variant)."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    language_source = models.CharField(
        _("language set by"), max_length=10, choices=LanguageSource.choices, blank=True
    )
    detected_language = models.CharField(_("detected language"), max_length=8, blank=True)
    confidence = models.FloatField(_("confidence"), default=0.0)
    tone = models.CharField(_("chosen tone"), max_length=2, choices=Tone.choices, blank=True)
    tone_chosen_by = models.ForeignKey(
        "organisations.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("conversation speech")
        verbose_name_plural = _("conversation speech")

    def __str__(self) -> str:
        return f"conversation {self.conversation_id}: {self.language_source} {self.tone}"


class CannedReply(models.Model):
    """One variant of a canned reply: a shortcut per organisation, per language and tone.

    The body may use the variables of :mod:`balie.replies.variables` (``{naam}``, …).
    ``tone`` empty: the variant for either tone.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    shortcut = models.SlugField(_("shortcut"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="nl")
    tone = models.CharField(_("tone"), max_length=2, choices=Tone.choices, blank=True)
    body = models.TextField(_("text"))
    team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owning team"),
    )
    owner = models.ForeignKey(
        "organisations.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    review_on = models.DateField(_("review on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcut", "language", "tone"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "shortcut", "language", "tone"],
                name="canned_reply_variant_once",
            )
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} ({self.language}{'/' + self.tone if self.tone else ''})"


class Greeting(models.Model):
    """The opening and signature filled into the composer, per organisation, team or channel
    (the most specific one that exists wins), per language and tone (empty: either)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "organisations.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, default="nl")
    tone = models.CharField(_("tone"), max_length=2, choices=Tone.choices, blank=True)
    opening = models.TextField(_("opening"), blank=True)
    signature = models.TextField(_("signature"), blank=True)

    class Meta:
        verbose_name = _("greeting and signature")
        verbose_name_plural = _("greetings and signatures")
        # one per scope, language and tone: kept by ``balie apply`` and the admin's form
        # (a unique constraint cannot treat the NULL scopes as equal on SQLite)

    def __str__(self) -> str:
        scope = self.channel or self.team or self.organisation
        return f"{scope} ({self.language}{'/' + self.tone if self.tone else ''})"
