"""The routing API for the workspace: queue feed, offers, supervisor actions (thin views)."""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api.permissions import acting_agent
from balie.core.errors import InvalidInput
from balie.routing import offers, supervise
from balie.routing.feeds import queue_snapshot

# Domain errors become the API's one error shape in ``balie.api.errors.exception_handler``.


def _field(data: Any, name: str) -> Any:
    if name not in data:
        raise InvalidInput(f"{name} is required", code="missing_field")
    return data[name]


@api_view(["GET"])
def feed(request: Request) -> Response:
    """Queue lengths and longest wait per channel kind, and agents by presence."""
    return Response(queue_snapshot(acting_agent(request).organisation_id))


@api_view(["POST"])
def offer_answer(request: Request, offer_id: int, answer: str) -> Response:
    """Accept or decline an offer made to the requesting agent."""
    agent = acting_agent(request)
    if answer == "accept":
        offers.do_accept_offer(offer_id, agent)
    else:
        offers.do_decline_offer(offer_id, agent)
    return Response({"offer_id": offer_id, "answer": answer})


@api_view(["POST"])
def supervise_conversation(request: Request, conversation_id: int, action: str) -> Response:
    """Supervisor: ``assign`` (agent_id), ``reprioritise`` (priority) or ``move`` (topic)."""
    actor = acting_agent(request)
    reason = str(request.data.get("reason", ""))
    try:
        if action == "assign":
            agent_id = int(_field(request.data, "agent_id"))
            supervise.check_assign_by_hand(conversation_id, agent_id, actor=actor, reason=reason)
        elif action == "reprioritise":
            priority = int(_field(request.data, "priority"))
            supervise.check_reprioritise(conversation_id, priority, actor=actor, reason=reason)
        else:
            topic = str(_field(request.data, "topic"))
            supervise.check_move(conversation_id, topic, actor=actor, reason=reason)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid number", code="invalid") from exc
    return Response({"conversation_id": conversation_id, "action": action})
