"""The back office in the admin: the organisation's care policy and per-topic terms are
configuration; tasks and their facts are read-only here (they change through the actions)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from balie.backoffice.models import CarePolicy, Task, TaskFact, TopicTerm
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(CarePolicy)
class CarePolicyAdmin(OrganisationScopedAdmin):
    list_display = ["organisation", "default_term_days", "afterhours_reply", "auto_check"]


@admin.register(TopicTerm)
class TopicTermAdmin(OrganisationScopedAdmin):
    organisation_path = "topic__organisation"
    list_display = ["topic", "amount", "unit"]


class ReadOnly(OrganisationScopedAdmin):
    """Written by the back-office actions only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(ReadOnly):
    conversation_path = "conversation"
    list_display = ["id", "team", "requested_action", "state", "due_at", "extensions"]
    list_filter = ["state"]


@admin.register(TaskFact)
class TaskFactAdmin(ReadOnly):
    list_display = ["task", "kind", "at", "due_at", "met", "wall_minutes"]
    list_filter = ["kind", "met"]
