"""The routing API for the workspace: queue feed, offers, supervisor actions (thin views)."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api.permissions import acting_agent
from balie.conversations.access import Action, access_conversation, access_offer
from balie.core.converters import MAX_ID
from balie.routing import offers, supervise
from balie.routing.feeds import queue_snapshot

# Domain errors become the API's one error shape in ``balie.api.errors.exception_handler``.


class _SupervisorInput(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class _AssignInput(_SupervisorInput):
    agent_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class _ReprioritiseInput(_SupervisorInput):
    # the priority columns are smallints (PostgreSQL refuses more; SQLite would store it)
    priority = serializers.IntegerField(min_value=-(2**15), max_value=2**15 - 1)


class _MoveInput(_SupervisorInput):
    topic = serializers.SlugField(max_length=50)


_SUPERVISE_INPUT: dict[str, type[_SupervisorInput]] = {
    "assign": _AssignInput,
    "reprioritise": _ReprioritiseInput,
    "move": _MoveInput,
}


@api_view(["GET"])
def feed(request: Request) -> Response:
    """Queue lengths and longest wait per channel kind, and agents by presence."""
    return Response(queue_snapshot(acting_agent(request).organisation_id))


@api_view(["POST"])
def offer_answer(request: Request, offer_id: int, answer: str) -> Response:
    """Accept or decline an offer made to the requesting agent (anyone else's: 404)."""
    agent = acting_agent(request)
    offer_id = access_offer(agent, offer_id)
    if answer == "accept":
        offers.do_accept_offer(offer_id, agent)
    else:
        offers.do_decline_offer(offer_id, agent)
    return Response({"offer_id": offer_id, "answer": answer})


@api_view(["POST"])
def supervise_conversation(request: Request, conversation_id: int, action: str) -> Response:
    """Supervisor: ``assign`` (agent_id), ``reprioritise`` (priority) or ``move`` (topic)."""
    actor = acting_agent(request)
    access_conversation(request.user, conversation_id, for_action=Action.SUPERVISE)
    body = _SUPERVISE_INPUT[action](data=request.data)
    body.is_valid(raise_exception=True)  # 400 naming each field that is missing or out of range
    data, reason = body.validated_data, body.validated_data["reason"]
    if action == "assign":
        supervise.check_assign_by_hand(
            conversation_id, data["agent_id"], actor=actor, reason=reason
        )
    elif action == "reprioritise":
        supervise.check_reprioritise(conversation_id, data["priority"], actor=actor, reason=reason)
    else:
        supervise.check_move(conversation_id, data["topic"], actor=actor, reason=reason)
    return Response({"conversation_id": conversation_id, "action": action})
