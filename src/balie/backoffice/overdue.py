"""Overdue tasks: the periodic sweep marks them and escalates to the team lead.

Runs once per schedule (``balie.handlers.PERIODIC``); each task is claimed under its row lock
with ``SKIP LOCKED`` where the database has it, so two workers never escalate one task twice.
"""

from __future__ import annotations

import structlog
from django.db import connection, transaction

from balie.backoffice import workflow
from balie.backoffice.actions import do_step
from balie.backoffice.events import TaskOverdue
from balie.backoffice.models import FactKind, Task
from balie.backoffice.workflow import TaskState
from balie.core import clock
from balie.core.events import publish
from balie.organisations.models import Agent, AgentRole

log = structlog.get_logger(__name__)
BATCH = 200


def sweep_overdue() -> int:
    """Mark running tasks past their term overdue and escalate them; returns how many."""
    done = 0
    while True:
        with transaction.atomic():
            due = Task.objects.filter(state__in=workflow.RUNNING, due_at__lt=clock.now())
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(no_key=True, skip_locked=True)
            else:
                due = due.select_for_update(no_key=True)
            tasks = list(due.select_related("team", "conversation").order_by("due_at")[:BATCH])
            for task in tasks:
                task.escalated_at = clock.now()
                do_step(task, TaskState.OVERDUE, actor=None, fact=FactKind.OVERDUE)
                publish(
                    TaskOverdue(
                        task_id=task.pk, team_id=task.team_id, organisation_id=task.organisation_id
                    )
                )
        done += len(tasks)
        if len(tasks) < BATCH:
            break
    if done:
        log.info("backoffice_tasks_overdue", count=done)
    return done


def team_leads(task: Task) -> list[Agent]:
    """Who hears of an overdue task: the team's supervisors, else the organisation's."""
    leads = list(
        Agent.objects.filter(teams=task.team_id, role=AgentRole.SUPERVISOR).select_related("user")
    )
    if leads:
        return leads
    return list(
        Agent.objects.filter(
            organisation_id=task.organisation_id, role=AgentRole.SUPERVISOR
        ).select_related("user")
    )
