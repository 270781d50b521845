"""The conduct API (``/api/v1/conduct/``): a party's place in the procedure, a step from a
conversation, and confirming, declining and lifting blocks (thin views, in OpenAPI).

Authorisation as everywhere: ``conversations.access`` for the conversation or party (404 for
what the caller cannot see), the actions for four eyes and the supervisor's lift. Every step is
audited. Domain errors become the API's one error shape (``balie.api.errors``)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from balie.api.permissions import acting_agent
from balie.audit import trail
from balie.conduct.actions import (
    MAX_MESSAGES,
    StepInput,
    check_confirm_block,
    check_lift_block,
    check_reject_block,
    check_take_step,
)
from balie.conduct.models import Block, BlockState, ConductStep
from balie.conduct.queries import active_blocks, conduct_of, pending_blocks
from balie.conduct.workflow import Step
from balie.conversations.access import (
    Action,
    access_conversation,
    agent_of,
    visible_parties,
)
from balie.core import clock
from balie.core.converters import MAX_ID
from balie.core.errors import Forbidden, NotFound

TAG = ["conduct"]


class StepRequest(serializers.Serializer[None]):
    """A step taken from a conversation."""

    step = serializers.ChoiceField(
        choices=["name", "warn", "remind", "announce", "request_block", "consult"]
    )
    message_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=MAX_MESSAGES,
        help_text="The messages of this conversation the step concerns.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4096,
        help_text="The text to send (empty: the step's template), or the question (consult).",
    )
    tone = serializers.ChoiceField(
        choices=["u", "je"],
        required=False,
        default="",
        help_text="u or je; absent: the conversation's form of address.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    until = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="A block's end; null: permanent."
    )


class DecideRequest(serializers.Serializer[None]):
    """Confirm, decline or lift a block."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    tone = serializers.ChoiceField(
        choices=["u", "je"],
        required=False,
        default="",
        help_text="u or je; absent: the conversation's form of address.",
    )


class BlockOutput(serializers.Serializer[Any]):
    """A block: asked, awaiting confirmation, in force or ended."""

    id = serializers.IntegerField()
    party_id = serializers.IntegerField()
    conversation_id = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=BlockState.values)
    until = serializers.DateTimeField(allow_null=True)
    permanent = serializers.BooleanField()
    reason = serializers.CharField()
    requested_by = serializers.IntegerField(source="requested_by_id")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    lifted_by = serializers.IntegerField(source="lifted_by_id", allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()


class StepOutput(serializers.Serializer[Any]):
    """A recorded step: who, when, about which messages, what was sent or why not."""

    id = serializers.IntegerField()
    party_id = serializers.IntegerField()
    conversation_id = serializers.IntegerField(allow_null=True)
    step = serializers.ChoiceField(choices=[s.value for s in Step])
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    agent_id = serializers.IntegerField(allow_null=True)
    message_ids = serializers.SerializerMethodField()
    block_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    body = serializers.CharField()
    sent_message_id = serializers.IntegerField(source="message_id", allow_null=True)
    not_sent = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_message_ids(self, step: ConductStep) -> list[int]:
        """The ids of the messages the step concerns."""
        return sorted(m.pk for m in step.concerning.all())


class ConductOutput(serializers.Serializer[Any]):
    """A party's place in the procedure."""

    party_id = serializers.IntegerField()
    state = serializers.CharField()
    next_steps = serializers.ListField(child=serializers.CharField())
    block = BlockOutput(allow_null=True)
    steps = StepOutput(many=True)


def _audit(request: Request, step: ConductStep) -> None:
    trail.record(
        request=request._request,
        action=f"conduct_{step.step}",
        obj=step,
        detail={"party": step.party_id, "block": step.block_id, "to": step.to_state},
    )


def _stepped(request: Request, step: ConductStep, status: int = 200) -> Response:
    _audit(request, step)
    return Response(StepOutput(step).data, status=status)


@extend_schema(tags=TAG, responses={200: ConductOutput})
@api_view(["GET"])
def party(request: Request, party_id: int) -> Response:
    """A party's state, the steps allowed next, its open block and its latest 20 steps."""
    found = visible_parties(request.user).filter(pk=party_id).first()
    if found is None:
        raise NotFound("not found")
    conduct = conduct_of(party_id, clock.now(), history=20)
    trail.record(request=request._request, action="view_conduct", obj=found)
    return Response(
        ConductOutput(
            {
                "party_id": party_id,
                "state": conduct.state.value,
                "next_steps": [s.value for s in conduct.next_steps],
                "block": conduct.block,
                "steps": conduct.steps,
            }
        ).data
    )


@extend_schema(tags=TAG, request=StepRequest, responses={201: StepOutput})
@api_view(["POST"])
def step(request: Request, conversation_id: int) -> Response:
    """Take a step from a conversation: name, warn, remind, announce (each sends its message;
    ``not_sent`` says why it could not be), ask to block, or consult colleagues (a note)."""
    # visible and permitted first (404/403, so ids cannot be probed), then the body (400)
    raw = request.data if isinstance(request.data, dict) else {}
    needs = Action.NOTE if raw.get("step") == Step.CONSULT else Action.REPLY
    conversation = access_conversation(request.user, conversation_id, for_action=needs)
    agent = acting_agent(request)
    data = StepRequest(data=request.data)
    data.is_valid(raise_exception=True)
    given: dict[str, Any] = data.validated_data
    taken = check_take_step(
        conversation,
        agent,
        StepInput(
            step=given["step"],
            message_ids=given["message_ids"],
            body=given["body"],
            tone=given["tone"],
            reason=given["reason"],
            until=given["until"],
        ),
    )
    return _stepped(request, taken, 201)


@extend_schema(
    tags=TAG,
    request=DecideRequest,
    responses={200: StepOutput},
    description="confirm (four eyes: not the one who asked), decline (with a reason) or lift "
    "(supervisors, with a reason) a block.",
)
@api_view(["POST"])
def decide(request: Request, block_id: int, action: str) -> Response:
    """Confirm, decline or lift a block of the caller's organisation."""
    agent = acting_agent(request)
    data = DecideRequest(data=request.data)
    data.is_valid(raise_exception=True)
    given: dict[str, Any] = data.validated_data
    if action == "confirm":
        taken = check_confirm_block(block_id, agent, tone=given["tone"])
    elif action == "decline":
        taken = check_reject_block(block_id, agent, given["reason"])
    else:
        taken = check_lift_block(block_id, agent, given["reason"])
    return _stepped(request, taken)


@extend_schema(tags=TAG, responses={200: BlockOutput(many=True)})
@api_view(["GET"])
def blocks(request: Request) -> Response:
    """The organisation's blocks awaiting confirmation, then those in force (agents and
    supervisors of the organisation)."""
    agent = agent_of(request.user)
    if agent is None:
        raise Forbidden("only agents can see blocks", code="not_an_agent")
    rows: list[Block] = [
        *pending_blocks(agent.organisation_id)[:200],
        *active_blocks(agent.organisation_id, clock.now())[:200],
    ]
    return Response(BlockOutput(rows, many=True).data)


urlpatterns = [
    path("blocks/", blocks, name="conduct-blocks"),
    *(
        path(
            f"blocks/<id:block_id>/{name}/",
            decide,
            {"action": name},
            name=f"conduct-block-{name}",
        )
        for name in ("confirm", "decline", "lift")
    ),
    path("parties/<id:party_id>/", party, name="conduct-party"),
    path("conversations/<id:conversation_id>/steps/", step, name="conduct-step"),
]
