"""The routing API: queue feed, offers, supervisor actions (thin views, documented in OpenAPI).

Mounted at ``/api/v1/routing/``; ``/routing/`` stays an alias for one release (namespace
``legacy_routing``) while the workspace and tests move. Domain errors become the API's one
error shape in ``balie.api.errors.exception_handler``.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api.permissions import acting_agent
from balie.conversations.access import Action, access_conversation, access_offer
from balie.core.converters import MAX_ID
from balie.routing import offers, supervise
from balie.routing.feeds import queue_snapshot

TAG = ["routing"]


class SupervisorInput(serializers.Serializer[None]):
    """Why a supervisor acts by hand (kept in the conversation's history)."""

    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AssignInput(SupervisorInput):
    """Assign a conversation to an agent of the organisation."""

    agent_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ReprioritiseInput(SupervisorInput):
    """Give a waiting conversation another priority."""

    # the priority columns are smallints (PostgreSQL refuses more; SQLite would store it)
    priority = serializers.IntegerField(min_value=-(2**15), max_value=2**15 - 1)


class MoveInput(SupervisorInput):
    """Move a conversation to another topic (by its code)."""

    topic = serializers.SlugField(max_length=50)


class OfferAnswerOutput(serializers.Serializer[None]):
    """The offer answered."""

    offer_id = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=["accept", "decline"])


class SuperviseOutput(serializers.Serializer[None]):
    """The conversation acted on."""

    conversation_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["assign", "reprioritise", "move"])


@extend_schema(
    tags=TAG,
    responses={200: OpenApiTypes.OBJECT},
    description="Queue lengths and longest wait per channel kind, and agents by presence.",
)
@api_view(["GET"])
def feed(request: Request) -> Response:
    """Queue lengths and longest wait per channel kind, and agents by presence."""
    return Response(queue_snapshot(acting_agent(request).organisation_id))


@extend_schema(tags=TAG, request=None, responses={200: OfferAnswerOutput})
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


def _supervised(request: Request, conversation_id: int, body: type[SupervisorInput]) -> Any:
    """The acting supervisor and the validated body (404/403 first, then 400 per field)."""
    actor = acting_agent(request)
    access_conversation(request.user, conversation_id, for_action=Action.SUPERVISE)
    data = body(data=request.data)
    data.is_valid(raise_exception=True)
    return actor, data.validated_data


@extend_schema(tags=TAG, request=AssignInput, responses={200: SuperviseOutput})
@api_view(["POST"])
def assign(request: Request, conversation_id: int) -> Response:
    """Supervisor: assign the conversation to an agent by hand."""
    actor, data = _supervised(request, conversation_id, AssignInput)
    supervise.check_assign_by_hand(
        conversation_id, data["agent_id"], actor=actor, reason=data["reason"]
    )
    return Response({"conversation_id": conversation_id, "action": "assign"})


@extend_schema(tags=TAG, request=ReprioritiseInput, responses={200: SuperviseOutput})
@api_view(["POST"])
def reprioritise(request: Request, conversation_id: int) -> Response:
    """Supervisor: change the priority of a waiting conversation."""
    actor, data = _supervised(request, conversation_id, ReprioritiseInput)
    supervise.check_reprioritise(
        conversation_id, data["priority"], actor=actor, reason=data["reason"]
    )
    return Response({"conversation_id": conversation_id, "action": "reprioritise"})


@extend_schema(tags=TAG, request=MoveInput, responses={200: SuperviseOutput})
@api_view(["POST"])
def move(request: Request, conversation_id: int) -> Response:
    """Supervisor: move the conversation to another topic."""
    actor, data = _supervised(request, conversation_id, MoveInput)
    supervise.check_move(conversation_id, data["topic"], actor=actor, reason=data["reason"])
    return Response({"conversation_id": conversation_id, "action": "move"})


def _delegate(handler: Any) -> Any:
    def legacy(self: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
        return handler(self, request, *args, **kwargs)

    return legacy


def _patterns(legacy: bool) -> list[URLPattern]:
    """The routes; ``legacy``: the same views left out of the OpenAPI document (the alias)."""

    def v(view: Any) -> Any:
        if not legacy:
            return view
        # own handler functions: extend_schema marks handlers, which a subclass would share
        handlers = {
            method: _delegate(getattr(view.cls, method))
            for method in view.cls.http_method_names
            if hasattr(view.cls, method) and method != "options"
        }
        undocumented: Any = type(f"Legacy{view.cls.__name__}", (view.cls,), handlers)
        return extend_schema(exclude=True)(undocumented.as_view())

    return [
        path("feed/", v(feed), name="routing-feed"),
        *(
            path(
                f"offers/<id:offer_id>/{answer}/",
                v(offer_answer),
                {"answer": answer},
                name=f"routing-offer-{answer}",
            )
            for answer in ("accept", "decline")
        ),
        *(
            path(f"conversations/<id:conversation_id>/{name}/", v(view), name=f"routing-{name}")
            for name, view in (("assign", assign), ("reprioritise", reprioritise), ("move", move))
        ),
    ]


# ``<id:…>`` is registered in balie.conf.urls: database ids only, out-of-range numbers are a 404.
urlpatterns = _patterns(legacy=False)
#: ``/routing/`` (namespace ``legacy_routing``): an alias for one release, not documented
legacy_urlpatterns = _patterns(legacy=True)
