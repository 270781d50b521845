"""The routing API for the workspace: queue feed, offers, supervisor actions (thin views)."""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.core.errors import BalieError, Forbidden, InvalidInput, NotFound
from balie.organisations.models import Agent
from balie.routing import offers, supervise
from balie.routing.feeds import queue_snapshot


def _agent(request: Request) -> Agent:
    agent = Agent.objects.filter(user=request.user).first()
    if agent is None:
        raise Forbidden("not an agent")
    return agent


def _error(exc: BalieError) -> Response:
    status = {Forbidden: 403, NotFound: 404, InvalidInput: 400}.get(type(exc), 409)
    return Response({"error": exc.code, "detail": str(exc)}, status=status)


def _field(data: Any, name: str) -> Any:
    if name not in data:
        raise InvalidInput(f"{name} is required", code="missing_field")
    return data[name]


@api_view(["GET"])
def feed(request: Request) -> Response:
    """Queue lengths and longest wait per channel kind, and agents by presence."""
    try:
        return Response(queue_snapshot(_agent(request).organisation_id))
    except BalieError as exc:
        return _error(exc)


@api_view(["POST"])
def offer_answer(request: Request, offer_id: int, answer: str) -> Response:
    """Accept or decline an offer made to the requesting agent."""
    try:
        agent = _agent(request)
        if answer == "accept":
            offers.do_accept_offer(offer_id, agent)
        else:
            offers.do_decline_offer(offer_id, agent)
    except BalieError as exc:
        return _error(exc)
    return Response({"offer_id": offer_id, "answer": answer})


@api_view(["POST"])
def supervise_conversation(request: Request, conversation_id: int, action: str) -> Response:
    """Supervisor: ``assign`` (agent_id), ``reprioritise`` (priority) or ``move`` (topic)."""
    try:
        actor = _agent(request)
        reason = str(request.data.get("reason", ""))
        if action == "assign":
            agent_id = int(_field(request.data, "agent_id"))
            supervise.check_assign_by_hand(conversation_id, agent_id, actor=actor, reason=reason)
        elif action == "reprioritise":
            priority = int(_field(request.data, "priority"))
            supervise.check_reprioritise(conversation_id, priority, actor=actor, reason=reason)
        else:
            topic = str(_field(request.data, "topic"))
            supervise.check_move(conversation_id, topic, actor=actor, reason=reason)
    except (ValueError, TypeError):
        return _error(InvalidInput("invalid number", code="invalid"))
    except BalieError as exc:
        return _error(exc)
    return Response({"conversation_id": conversation_id, "action": action})
