"""Organisation, team, agent and topic: who works where on what."""

from __future__ import annotations

from typing import Any

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


class AgentRole(models.TextChoices):
    """What an agent does in the workspace (``docs/authorisation.md``)."""

    AGENT = "agent", _("agent")
    SUPERVISOR = "supervisor", _("supervisor")
    BACKOFFICE = "backoffice", _("back office")


class Agent(models.Model):
    """A person answering contacts; linked to a login. Skills and languages live in routing.

    ``role`` says what they do; ``is_supervisor`` is a stored copy of ``role == supervisor``
    that queries and older callers use. :meth:`save` keeps the two in step, and only there:
    a save that changed ``is_supervisor`` alone (``apply``, factories, the admin's checkbox)
    moves ``role`` to match; otherwise ``is_supervisor`` follows ``role``. Bulk ``update()``
    bypasses it, so nothing updates either field in bulk.
    """

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
    role = models.CharField(
        _("role"), max_length=16, choices=AgentRole.choices, default=AgentRole.AGENT
    )
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    interface_language = models.CharField(
        _("workspace language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the organisation's language."),
    )
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # from __dict__: a deferred field (``.only(...)``) must not cost a query here
        self._stored_role = (self.__dict__.get("role"), self.__dict__.get("is_supervisor"))

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save with ``role`` and ``is_supervisor`` in step."""
        self.sync_role()
        fields = kwargs.get("update_fields")
        if fields is not None and ({"role", "is_supervisor"} & set(fields)):
            kwargs["update_fields"] = {*fields, "role", "is_supervisor"}
        super().save(*args, **kwargs)
        self._stored_role = (self.role, self.is_supervisor)

    def sync_role(self) -> None:
        """Bring ``role`` and ``is_supervisor`` in step (see the class docstring)."""
        role_before, supervisor_before = self._stored_role
        if role_before is None or supervisor_before is None:
            return  # loaded without them (``.only(...)``): nothing to keep in step
        if self.is_supervisor != supervisor_before and self.role == role_before:
            if self.is_supervisor:
                self.role = AgentRole.SUPERVISOR
            elif self.role == AgentRole.SUPERVISOR:
                self.role = AgentRole.AGENT
        elif self.is_supervisor and self.role == AgentRole.AGENT and self._state.adding:
            # Agent(is_supervisor=True): a new supervisor from an older caller
            self.role = AgentRole.SUPERVISOR
        self.is_supervisor = self.role == AgentRole.SUPERVISOR


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


class Calendar(models.Model):
    """Opening hours on the calendar: the organisation's, or an override for a team or a channel.

    ``hours`` is ``{"mon": [["08:30", "12:30"], ["13:00", "17:00"]], ..., "sun": []}`` (local
    wall-clock blocks, ``24:00`` the end of the day); ``holidays_country`` names the public
    holidays (the ``holidays`` package; empty for none); ``closed_days`` and ``open_days`` are
    ISO dates the organisation closes or works on a holiday anyway. The shape is DESIGN.md's
    (``balie sla due``); ``balie.sla.calendars.calendar_for`` reads it. Change calendars
    through ``balie.sla.calendars.do_save_calendar`` so open conversations' due times follow.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="calendars",
        verbose_name=_("organisation"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendars",
        verbose_name=_("team"),
        help_text=_("Only for this team's conversations (empty: the organisation's calendar)."),
    )
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendars",
        verbose_name=_("channel"),
        help_text=_("Only for this channel's conversations (empty: the organisation's calendar)."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    holidays_country = models.CharField(
        _("public holidays of"),
        max_length=8,
        blank=True,
        default="NL",
        help_text=_("Country code (NL); its public holidays are closed. Empty: none."),
    )
    hours = models.JSONField(
        _("opening hours"),
        default=dict,
        help_text=_('Per weekday "mon".."sun": [["08:30", "12:30"], ["13:00", "17:00"]].'),
    )
    closed_days = models.JSONField(
        _("closed days"), default=list, blank=True, help_text=_('["2026-12-24", ...]')
    )
    open_days = models.JSONField(
        _("holidays open anyway"), default=list, blank=True, help_text=_('["2026-04-03", ...]')
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(channel__isnull=True),
                name="calendar_team_or_channel",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(team__isnull=True, channel__isnull=True),
                name="calendar_one_per_org",
            ),
            models.UniqueConstraint(
                fields=["organisation", "team"],
                condition=models.Q(team__isnull=False),
                name="calendar_one_per_team",
            ),
            models.UniqueConstraint(
                fields=["organisation", "channel"],
                condition=models.Q(channel__isnull=False),
                name="calendar_one_per_channel",
            ),
        ]

    def __str__(self) -> str:
        if self.channel_id:
            return f"{self.organisation} / {self.channel}"
        if self.team_id:
            return f"{self.organisation} / {self.team}"
        return str(self.organisation)

    def as_json(self) -> dict[str, Any]:
        """The DESIGN.md calendar shape (every weekday present)."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        hours = self.hours if isinstance(self.hours, dict) else {}
        return {
            "timezone": self.time_zone,
            "hours": {day: hours.get(day, []) for day in days},
            "holidays": self.holidays_country or None,
            "closed": list(self.closed_days or []),
            "open": list(self.open_days or []),
        }
