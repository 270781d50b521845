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
