"""Events about internal tasks (handlers in ``balie.handlers``)."""

from __future__ import annotations

from dataclasses import dataclass

from balie.core.events import Event, event


@event("backoffice_task_changed")
@dataclass(frozen=True)
class TaskChanged(Event):
    """A task was forwarded (``from_state`` empty) or moved along its workflow."""

    task_id: int
    conversation_id: int
    team_id: int
    from_state: str
    to_state: str
    actor_agent_id: int | None
    organisation_id: int | None = None  # lets realtime pushes skip a lookup


@event("backoffice_task_overdue")
@dataclass(frozen=True)
class TaskOverdue(Event):
    """A task's term passed: the team lead is told."""

    task_id: int
    team_id: int
    organisation_id: int


def is_forwarded(payload: dict[str, object]) -> bool:
    """``when`` of the notification mail: only a newly forwarded task."""
    return payload.get("from_state") == ""
