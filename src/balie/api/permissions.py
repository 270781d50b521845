"""Who may use the API: an authenticated agent (or staff member) of the organisation."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from balie.core.errors import Forbidden
from balie.organisations.models import Agent


class IsAgentOrStaff(BasePermission):
    """Authenticated, and either an agent or a staff member."""

    message = "only agents and staff may use the API"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_staff or hasattr(user, "agent"))


def organisation_ids(request: Request) -> list[int] | None:
    """The organisations the caller may see; None means all (superusers)."""
    user = request.user
    if user.is_superuser:
        return None
    agent = getattr(user, "agent", None)
    return [agent.organisation_id] if agent is not None else []


def acting_agent(request: Request) -> Agent:
    """The agent behind the request; staff without an agent profile cannot act on contacts."""
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise Forbidden("only agents can answer or change conversations", code="not_an_agent")
    return agent  # type: ignore[no-any-return]


def require_supervisor_or_self(request: Request, agent: Agent) -> None:
    """Agents change their own presence; supervisors and superusers anyone's in their org."""
    me = getattr(request.user, "agent", None)
    if request.user.is_superuser or (me is not None and me.pk == agent.pk):
        return
    if me is not None and me.is_supervisor and me.organisation_id == agent.organisation_id:
        return
    raise Forbidden("you may only change your own presence", code="not_your_agent")
