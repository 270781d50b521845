"""Admin of organisations, teams, topics and agents, and the scoping every admin shares:
staff who are agents see only their organisation's rows (``docs/authorisation.md``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from balie.core.errors import InvalidInput
from balie.organisations.models import Agent, Calendar, Organisation, Team, Topic
from balie.routing.models import AgentChannel, AgentLanguage, AgentSkill, AgentTraining
from balie.sla.calendars import check_calendar, do_delete_calendar, do_save_calendar


class OrganisationScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff who are agents see their own organisation's rows only. Superusers, and staff
    without an agent profile (platform operators), see every organisation's: for them
    Django's model permissions, granted one by one, decide.

    ``organisation_path``: the lookup from the model to its organisation's id. Or
    ``conversation_path``: the lookup to a conversation, for rows about one; they are shown
    when the conversation is visible to the user (``conversations.access``), so restricted
    topics stay with their team here too.
    """

    organisation_path = "organisation"
    conversation_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_rows(
            super().get_queryset(request),
            request.user,
            organisation_path=self.organisation_path,
            conversation_path=self.conversation_path,
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Choices of organisation-owned rows (teams, topics, channels…) from one's own only."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = db_field.related_model
        if field is not None and not request.user.is_superuser:
            path = "pk" if model is Organisation else _organisation_field(model)
            if path and field.queryset is not None:
                field.queryset = scope_rows(field.queryset, request.user, organisation_path=path)
        return field


def _organisation_field(model: Any) -> str:
    names = {f.name for f in model._meta.get_fields()}
    return "organisation" if "organisation" in names else ""


def scope_rows(
    qs: QuerySet[Any], user: Any, *, organisation_path: str = "", conversation_path: str = ""
) -> QuerySet[Any]:
    """``qs`` narrowed to what ``user`` may see in the admin (see OrganisationScopedAdmin)."""
    agent = getattr(user, "agent", None)
    if getattr(user, "is_superuser", False) or agent is None:
        return qs
    if conversation_path:
        from balie.conversations.access import visible_conversations

        visible = visible_conversations(user).values("pk")
        return qs.filter(**{f"{conversation_path}__in": visible})
    return qs.filter(**{organisation_path: agent.organisation_id})


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    list_display = ["name", "slug", "time_zone"]
    search_fields = ["name", "slug"]
    organisation_path = "pk"


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "slug", "organisation"]
    list_filter = ["organisation"]


@admin.register(Topic)
class TopicAdmin(OrganisationScopedAdmin):
    list_display = [
        "name", "code", "organisation", "team", "required_training", "priority", "restricted"
    ]  # fmt: skip
    list_filter = ["organisation", "team", "restricted"]


class AgentLanguageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgentLanguage
    extra = 0


class AgentSkillInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgentSkill
    extra = 0


class AgentTrainingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgentTraining
    extra = 0


class AgentChannelInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgentChannel
    extra = 0


@admin.register(Agent)
class AgentAdmin(OrganisationScopedAdmin):
    list_display = ["display_name", "organisation", "presence", "is_supervisor"]
    list_filter = ["organisation", "presence", "is_supervisor", "teams"]
    search_fields = ["display_name", "user__username"]
    inlines = [AgentLanguageInline, AgentSkillInline, AgentTrainingInline, AgentChannelInline]
    readonly_fields = ["presence", "presence_changed_at"]


class CalendarForm(forms.ModelForm):  # type: ignore[type-arg]
    """Checks the whole calendar as business time reads it (the same check as ``balie apply``)."""

    class Meta:
        model = Calendar
        fields = [
            "organisation", "team", "channel", "time_zone", "holidays_country", "hours",
            "closed_days", "open_days",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        row = Calendar(
            time_zone=data.get("time_zone") or "",
            holidays_country=data.get("holidays_country") or "",
            hours=data.get("hours") or {},
            closed_days=data.get("closed_days") or [],
            open_days=data.get("open_days") or [],
        )
        try:
            check_calendar(row.as_json())
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from error
        return data


@admin.register(Calendar)
class CalendarAdmin(OrganisationScopedAdmin):
    """Opening hours; saving or deleting recomputes the open conversations' due times."""

    form = CalendarForm
    list_display = ["__str__", "organisation", "team", "channel", "time_zone", "holidays_country"]
    list_filter = ["organisation"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        do_save_calendar(obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_calendar(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for row in queryset:
            do_delete_calendar(row)
