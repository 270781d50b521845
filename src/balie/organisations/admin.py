from django.contrib import admin

from balie.organisations.models import Agent, Organisation, Team, Topic
from balie.routing.models import AgentChannel, AgentLanguage, AgentSkill, AgentTraining


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "time_zone"]
    search_fields = ["name", "slug"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "organisation"]
    list_filter = ["organisation"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "organisation", "team", "required_training", "priority"]
    list_filter = ["organisation", "team"]


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
class AgentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["display_name", "organisation", "presence", "is_supervisor"]
    list_filter = ["organisation", "presence", "is_supervisor", "teams"]
    search_fields = ["display_name", "user__username"]
    inlines = [AgentLanguageInline, AgentSkillInline, AgentTrainingInline, AgentChannelInline]
    readonly_fields = ["presence", "presence_changed_at"]
