"""Who may see and work which internal task, on top of ``conversations.access``.

Visible: the back office sees the tasks of its teams; agents and supervisors those of the
conversations they may see. Working a task (answer, more time) is for members of its team and
supervisors; withdrawing it is for whoever may change the conversation's status. As there,
an absent and an invisible task are the same 404.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import QuerySet

from balie.backoffice.models import Task
from balie.conversations.access import (
    Action,
    _checked_id,
    agent_of,
    is_supervisor,
    require,
    visible_conversations,
)
from balie.core.errors import Forbidden, NotFound
from balie.organisations.models import Agent, AgentRole


class TaskAction(StrEnum):
    """What a caller wants to do with a task."""

    READ = "read"
    WORK = "work"  # answer, ask for more time
    WITHDRAW = "withdraw"  # the contact centre cancels it


def visible_tasks(actor: Any) -> QuerySet[Task]:
    """The tasks ``actor`` may read (see the module docstring)."""
    user = actor.user if isinstance(actor, Agent) else actor
    if getattr(user, "is_superuser", False):
        return Task.objects.all()
    agent = agent_of(actor)
    if agent is None:
        return Task.objects.none()
    mine = Task.objects.filter(organisation_id=agent.organisation_id)
    if agent.role == AgentRole.BACKOFFICE:
        return mine.filter(team_id__in=agent.teams.values("pk"))
    if agent.is_supervisor:
        return mine
    return mine.filter(conversation__in=visible_conversations(agent).values("pk"))


def require_task(actor: Any, task: Task, action: TaskAction) -> None:
    """Raise Forbidden unless ``actor`` may do ``action`` on the (visible) ``task``."""
    if action == TaskAction.READ:
        return
    agent = agent_of(actor)
    if agent is None:
        raise Forbidden("only agents can work tasks", code="not_an_agent")
    if action == TaskAction.WORK:
        if is_supervisor(actor) or agent.teams.filter(pk=task.team_id).exists():
            return
        raise Forbidden("only the task's team or a supervisor may do this", code="not_the_team")
    if agent.role == AgentRole.BACKOFFICE:
        raise Forbidden("the back office cannot withdraw a task", code="back_office")
    require(actor, task.conversation, Action.STATUS)


def access_task(actor: Any, task_id: Any, *, for_action: TaskAction = TaskAction.READ) -> Task:
    """The task if ``actor`` may do ``for_action`` on it; NotFound (404) or Forbidden (403)."""
    found = (
        visible_tasks(actor)
        .select_related("team", "conversation", "conversation__channel", "conversation__party")
        .filter(pk=_checked_id(task_id))
        .first()
    )
    if found is None:
        raise NotFound("not found")
    require_task(actor, found, for_action)
    return found
