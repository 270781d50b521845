"""The conduct procedure in the workspace: a step from the conversation's panel, confirming,
declining and lifting a block, and the supervisors' page of blocks (``/gedrag/``).

Each view parses the form, asks ``access`` and calls one action of :mod:`balie.conduct.actions`;
every step is audited. Refusals come back in Dutch beside the form."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from balie.audit import trail
from balie.conduct.actions import (
    StepInput,
    check_confirm_block,
    check_lift_block,
    check_reject_block,
    check_take_step,
)
from balie.conduct.models import Block, ConductStep
from balie.conduct.queries import active_blocks, pending_blocks
from balie.conduct.workflow import Step
from balie.conversations import access
from balie.conversations.models import Conversation
from balie.core import clock
from balie.core.errors import BalieError, InvalidInput, NotFound
from balie.web.views.common import ANSWERING, STEERING, Workspace, workspace_view
from balie.web.views.composer import acting_agent, conversation_form
from balie.web.views.errors import dutch


def audit(request: HttpRequest, step: ConductStep) -> None:
    """Every step in the audit trail: who did what to whose conduct record."""
    trail.record(
        request=request,
        action=f"conduct_{step.step}",
        obj=step,
        detail={"party": step.party_id, "block": step.block_id, "to": step.to_state},
    )


def until_of(raw: str, zone: str) -> datetime | None:
    """A date from the form as the end of that day in the organisation's time zone (the block
    holds through it); empty: permanent."""
    if not raw.strip():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidInput("give the end date as a date", code="until") from exc
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))


def _ids(raw: list[str]) -> list[int]:
    if not all(value.isdigit() for value in raw):
        raise InvalidInput("choose messages from the list", code="conduct_messages")
    return [int(value) for value in raw]


@conversation_form(access.Action.NOTE, "conduct-feedback")
def step(request: HttpRequest, conversation: Conversation) -> None:
    """A step from the panel: name, warn, remind, announce, ask to block (these need the right
    to reply) or consult colleagues (the right to note)."""
    chosen = request.POST.get("step", "")
    if chosen != Step.CONSULT:
        access.require(request.user, conversation, access.Action.REPLY)
    taken = check_take_step(
        conversation,
        acting_agent(request),
        StepInput(
            step=chosen,
            message_ids=_ids(request.POST.getlist("messages")),
            body=request.POST.get(f"body-{chosen}", ""),
            tone=request.POST.get("tone", ""),
            reason=request.POST.get("reason", ""),
            until=until_of(request.POST.get("until", ""), conversation.organisation.time_zone),
        ),
    )
    audit(request, taken)


def _block_of(conversation: Conversation, block_pk: int) -> Block:
    found = Block.objects.filter(pk=block_pk, party_id=conversation.party_id).first()
    if found is None:
        raise NotFound("not found")
    return found


def decide(request: HttpRequest, block_pk: int, action: str) -> ConductStep:
    """Confirm, decline or lift a block (the actions check four eyes and the role)."""
    agent = acting_agent(request)
    reason = request.POST.get("reason", "")
    if action == "confirm":
        return check_confirm_block(block_pk, agent, tone=request.POST.get("tone", ""))
    if action == "decline":
        return check_reject_block(block_pk, agent, reason)
    if action == "lift":
        return check_lift_block(block_pk, agent, reason)
    raise NotFound("not found")


@conversation_form(access.Action.NOTE, "conduct-feedback")
def block(request: HttpRequest, conversation: Conversation, block_pk: int, action: str) -> None:
    """Confirm or decline the party's block from one of its conversations; lift (supervisor)."""
    audit(request, decide(request, _block_of(conversation, block_pk).pk, action))


@workspace_view(*STEERING)
def blocks(request: HttpRequest) -> HttpResponse:
    """Blocks awaiting confirmation and blocks in force, with their actions."""
    from balie.web.views.inbox import nav_views

    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, None)
    context: dict[str, Any] = {"page_key": "conduct", "pending": [], "active": []}
    if workspace.organisation is not None:
        organisation_id = workspace.organisation.pk
        context["pending"] = list(pending_blocks(organisation_id)[:200])
        context["active"] = list(active_blocks(organisation_id, clock.now())[:200])
        me = access.agent_of(request.user)
        context["me"] = me.pk if me else None
    return render(request, "web/conduct.html", context)


@require_POST
@workspace_view(*ANSWERING)
def block_action(request: HttpRequest, block_pk: int, action: str) -> HttpResponse:
    """The supervisors' page: confirm, decline or lift; back to the page with what happened."""
    try:
        audit(request, decide(request, block_pk, action))
    except NotFound as exc:
        raise Http404 from exc
    except BalieError as exc:
        flash.error(request, dutch(exc))
    else:
        flash.success(request, str(_DONE[action]))
    return redirect("web:conduct_blocks")


_DONE = {
    "confirm": _("The block is in force."),
    "decline": _("The block was declined."),
    "lift": _("The block was lifted."),
}
