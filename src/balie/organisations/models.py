"""Organisation, team, agent and topic: who works where on what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A public body running a contact centre (a municipality, a ministry's consular centre)."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    languages = models.JSONField(_("languages"), default=list, help_text=_("ISO 639-1 codes"))
    min_language_proficiency = models.PositiveSmallIntegerField(
        _("minimum language proficiency"), default=3
    )
    business_hours = models.JSONField(
        _("business hours"),
        default=dict,
        blank=True,
        help_text=_('Per weekday "mon".."sun": [["08:30","17:00"]]; empty means 24/7.'),
    )
    signature = models.TextField(_("signature"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of agents (front office, back office, crisis team)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams", verbose_name=_("organisation")
    )
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Presence(models.TextChoices):
    OFFLINE = "offline", _("Offline")
    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    BUSY = "busy", _("Busy")


class Agent(models.Model):
    """A person answering contacts; linked to a login. Skills and languages live in routing."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="agents",
        verbose_name=_("organisation"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent",
        verbose_name=_("user"),
    )
    display_name = models.CharField(_("display name"), max_length=200)
    teams = models.ManyToManyField(Team, blank=True, related_name="agents", verbose_name=_("teams"))
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    presence = models.CharField(
        _("presence"), max_length=16, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    shifts = models.JSONField(
        _("shifts"),
        default=list,
        blank=True,
        help_text=_('[{"days": ["mon",…], "start": "08:00", "end": "17:00"}]; empty: any time.'),
    )

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.display_name


class Topic(models.Model):
    """What a contact is about (passport abroad, Schengen visa, waste collection)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="topics",
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"))
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("team")
    )
    required_training = models.ForeignKey(
        "routing.Training",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("required training"),
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    min_skill_level = models.PositiveSmallIntegerField(_("minimum skill level"), default=1)
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Special categories (social care, health): only the topic's team, the assignee "
            "and the agent offered the contact may see its conversations."
        ),
    )

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="topic_code_per_org")
        ]

    def __str__(self) -> str:
        return self.name
