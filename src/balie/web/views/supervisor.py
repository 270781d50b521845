"""The supervisor wall: queues, agents by state, and the conversations waiting longest.

Three tables, read in a fixed number of queries whatever the number of agents and contacts:
the queues per channel (routing's own feed, :func:`balie.routing.feeds.queue_snapshot`) split
by topic, with the agents who could take one now (routing's board,
:mod:`balie.routing.board`); every agent by presence with their load per channel; and the
contacts waiting longest, each with "toewijzen aan…" (assign by hand, or move to another
topic, with a reason: :mod:`balie.routing.supervise`). The tables refresh on ``balie:wall``
and on a 15-second poll; only the tables are swapped, so focus and a half-typed reason stay.
No party names on the wall: a contact is named by its number, the link opens it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from django.contrib import messages as flash
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from balie.conversations import access
from balie.core import clock
from balie.core.errors import BalieError, Forbidden, InvalidInput, NotFound
from balie.core.sql import fetch_statements
from balie.organisations.models import Agent, Organisation, Presence, Topic
from balie.routing import selection as sel
from balie.routing.board import agent_load_statement, board_for, count_loads
from balie.routing.feeds import queue_snapshot
from balie.routing.models import AgentChannel, EntryState, QueueEntry
from balie.routing.supervise import check_assign_by_hand, check_move
from balie.web import labels
from balie.web.views.common import STEERING, Workspace, workspace_view
from balie.web.views.inbox import nav_views

log = structlog.get_logger(__name__)

#: How many of the longest-waiting contacts the wall lists.
LONGEST = 25
#: Agents by state: working first, then pausing, then away.
STATE_ORDER = (Presence.AVAILABLE, Presence.BUSY, Presence.AWAY, Presence.OFFLINE)
REFUSALS = {
    "reason_required": gettext_lazy("Give a reason."),
    "unknown_agent": gettext_lazy("Choose a colleague from the list."),
    "unknown_topic": gettext_lazy("Choose a topic from the list."),
    "not_queued": gettext_lazy(
        "This contact is no longer in the queue: it was taken meanwhile. The wall shows "
        "what waits now."
    ),
    "not_a_supervisor": gettext_lazy("Only a supervisor may do this."),
}


@dataclass
class QueueRow:
    """One queue (channel kind, or one topic within it): waiting, longest wait, agents free."""

    kind: str
    topic: str | None
    waiting: int = 0
    offered: int = 0
    longest_wait_s: int = 0
    available: int = 0
    topics: list[QueueRow] = field(default_factory=list)

    @property
    def channel(self) -> str:
        """The channel kind in words."""
        return labels.channel_label(self.kind)

    @property
    def longest_wait(self) -> str:
        """The longest wait in words (``3 min 20 s``); a dash when nobody waits."""
        return duration(self.longest_wait_s) if self.waiting else "—"


def duration(seconds: float) -> str:
    """``1 h 5 min``, ``3 min 20 s`` or ``45 s``."""
    s = max(0, round(seconds))
    if s >= 3600:
        return _("%(h)d h %(m)d min") % {"h": s // 3600, "m": s % 3600 // 60}
    if s >= 60:
        return _("%(m)d min %(s)d s") % {"m": s // 60, "s": s % 60}
    return _("%(s)d s") % {"s": s}


@dataclass
class AgentRow:
    """An agent with presence and load per channel kind (assigned and offered / capacity)."""

    id: int
    name: str
    presence: str
    since: Any
    loads: list[tuple[str, int, int]]

    @property
    def total(self) -> int:
        """Contacts held on every channel."""
        return sum(load for _, load, _ in self.loads)


def _free_agents(organisation: Organisation, kind: str, topic: dict[str, Any] | None) -> int:
    """Agents present, on shift, with room on ``kind`` and (for a topic) its skill and
    training: from routing's cached board (no query when it is fresh)."""
    board = board_for(organisation, clock.now())
    count = 0
    for agent_id, profile in board.profiles.items():
        state = board.states[agent_id]
        if not (state.on_shift and sel.has_room(profile, state, kind, board.mixing)):
            continue
        if topic is not None:
            if profile.skills.get(topic["code"], 0) < max(topic["min_skill"], 1):
                continue
            if topic["training"] and topic["training"] not in profile.trainings:
                continue
        count += 1
    return count


def queue_rows(organisation: Organisation) -> list[QueueRow]:
    """Per channel kind the feed's totals, then per topic within it (3 queries and the board)."""
    snapshot = queue_snapshot(organisation.pk)
    rows = {
        kind: QueueRow(kind, None, q["waiting"], q["offered"], q["longest_wait_s"])
        for kind, q in snapshot["queues"].items()
    }
    now = clock.now()
    per_topic = (
        QueueEntry.objects.filter(
            organisation=organisation, state__in=[EntryState.WAITING, EntryState.OFFERED]
        )
        .values(
            "channel_kind",
            "state",
            "conversation__topic__code",
            "conversation__topic__name",
            "conversation__topic__min_skill_level",
            "conversation__topic__required_training__code",
        )
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
        .order_by("channel_kind", "conversation__topic__name")
    )
    topics: dict[tuple[str, str], QueueRow] = {}
    for r in per_topic:
        kind, code = r["channel_kind"], r["conversation__topic__code"] or ""
        total = rows.setdefault(kind, QueueRow(kind, None))
        row = topics.get((kind, code))
        if row is None:
            row = QueueRow(kind, r["conversation__topic__name"] or str(_("no topic")))
            topic = None
            if code:
                topic = {
                    "code": code,
                    "min_skill": r["conversation__topic__min_skill_level"],
                    "training": r["conversation__topic__required_training__code"],
                }
            row.available = _free_agents(organisation, kind, topic)
            topics[(kind, code)] = row
            total.topics.append(row)
        if r["state"] == EntryState.WAITING:
            row.waiting += r["n"]
            row.longest_wait_s = max(0, round((now - r["oldest"]).total_seconds()))
        else:
            row.offered += r["n"]
    for total in rows.values():
        total.available = _free_agents(organisation, total.kind, None)
    return sorted(rows.values(), key=lambda q: (-q.longest_wait_s, q.channel))


def agent_rows(organisation: Organisation) -> dict[str, list[AgentRow]]:
    """Every agent of the organisation by presence, with load per channel (3 queries)."""
    agents = list(
        Agent.objects.filter(organisation=organisation)
        .order_by("display_name", "pk")
        .values_list("pk", "display_name", "presence", "presence_changed_at")
    )
    capacities: dict[int, dict[str, int]] = {}
    for agent_id, kind, capacity in AgentChannel.objects.filter(
        agent__organisation=organisation
    ).values_list("agent_id", "channel_kind", "capacity"):
        capacities.setdefault(agent_id, {})[kind] = capacity
    loads: dict[int, dict[str, int]] = {}
    if agents:
        loads = count_loads(fetch_statements([agent_load_statement([a[0] for a in agents])])[0])
    grouped: dict[str, list[AgentRow]] = {code.value: [] for code in STATE_ORDER}
    for agent_id, name, presence, since in agents:
        held, room = loads.get(agent_id, {}), capacities.get(agent_id, {})
        kinds = sorted(set(held) | set(room), key=labels.channel_label)
        per = [(labels.channel_label(k), held.get(k, 0), room.get(k, 0)) for k in kinds]
        grouped.setdefault(presence, []).append(AgentRow(agent_id, name, presence, since, per))
    return grouped


def longest_waiting(workspace: Workspace) -> list[QueueEntry]:
    """The contacts waiting longest that the supervisor may see (1 query)."""
    visible = access.visible_conversations(workspace.user).values("pk")
    return list(
        QueueEntry.objects.filter(
            organisation=workspace.organisation,
            state__in=[EntryState.WAITING, EntryState.OFFERED],
            conversation_id__in=visible,
        )
        .select_related("conversation__channel", "conversation__topic", "agent")
        .order_by("enqueued_at", "pk")[:LONGEST]
    )


def _wall_context(workspace: Workspace) -> dict[str, Any]:
    organisation = workspace.organisation
    if organisation is None:
        return {"workspace": workspace, "no_organisation": True}
    groups = agent_rows(organisation)
    return {
        "workspace": workspace,
        "queues": queue_rows(organisation),
        "agent_groups": [
            (code, labels.PRESENCE.get(code, code), rows) for code, rows in groups.items() if rows
        ],
        "agent_count": sum(len(rows) for rows in groups.values()),
        "waiting": longest_waiting(workspace),
        "longest": LONGEST,
        "now": clock.now(),
    }


@workspace_view(*STEERING)
def wall(request: HttpRequest) -> HttpResponse:
    """Queues per channel and topic, agents by state, longest waiting (refreshes live)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, "supervisor")
    return render(request, "web/supervisor.html", _wall_context(workspace))


@workspace_view(*STEERING)
def tables(request: HttpRequest) -> HttpResponse:
    """The wall's tables alone, for the live refresh and the poll."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    return render(request, "web/_wall_tables.html", _wall_context(workspace))


def _steer_context(workspace: Workspace, pk: int) -> dict[str, Any]:
    try:
        conversation = access.access_conversation(workspace.user, pk, for_action=access.Action.READ)
    except NotFound as exc:
        raise Http404 from exc
    organisation = conversation.organisation
    groups = agent_rows(organisation)
    return {
        "workspace": workspace,
        "conversation": conversation,
        "entry": QueueEntry.objects.filter(conversation=conversation).first(),
        "agent_groups": [
            (code, labels.PRESENCE.get(code, code), rows) for code, rows in groups.items() if rows
        ],
        "topics": Topic.objects.filter(organisation=organisation).order_by("name"),
    }


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


@workspace_view(*STEERING)
def steer(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Toewijzen aan…": assign the contact to a chosen colleague, or move it to another
    topic, each with a reason (a panel beside the tables, or a page of its own)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    context = _steer_context(workspace, pk)
    if _htmx(request):
        return render(request, "web/_wall_steer.html", context)
    workspace.views = nav_views(request, "supervisor")
    return render(request, "web/supervisor.html", {**_wall_context(workspace), **context})


def _refusal(exc: BalieError) -> str:
    if exc.code in REFUSALS:
        return str(REFUSALS[exc.code])
    if isinstance(exc, Forbidden):
        return str(_("Only a supervisor of this organisation may do this."))
    return str(_("That did not work. Check what you entered and try again."))


def _do(request: HttpRequest, pk: int, action: str) -> str:
    """Ask ``access``, then the routing engine's supervisor action; the success text."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    conversation = access.access_conversation(request.user, pk, for_action=access.Action.SUPERVISE)
    actor = workspace.agent
    if actor is None:
        raise Forbidden("only a supervisor may do this", code="not_a_supervisor")
    reason = request.POST.get("reason", "")
    if action == "assign":
        raw = request.POST.get("agent", "")
        if not raw.isdigit():
            raise InvalidInput("choose a colleague", code="unknown_agent")
        check_assign_by_hand(conversation.pk, int(raw), actor=actor, reason=reason)
        name = Agent.objects.filter(pk=int(raw)).values_list("display_name", flat=True).get()
        return _("Conversation %(id)s assigned to %(name)s.") % {"id": pk, "name": name}
    check_move(conversation.pk, request.POST.get("topic", ""), actor=actor, reason=reason)
    return _("Conversation %(id)s moved to another topic.") % {"id": pk}


@require_POST
@workspace_view(*STEERING)
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST ``assign`` (``agent``, ``reason``) or ``move`` (``topic``, ``reason``)."""
    if action not in ("assign", "move"):
        raise Http404
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    try:
        text = _do(request, pk, action)
    except NotFound as exc:
        raise Http404 from exc
    except BalieError as exc:
        log.info("wall_action_refused", action=action, code=exc.code)
        if not _htmx(request):
            flash.error(request, _refusal(exc))
            return redirect("web:supervisor_steer", pk)
        context = {
            **_steer_context(workspace, pk),
            "error": _refusal(exc),
            "failed": action,
            "posted": request.POST,
        }
        return render(request, "web/_wall_steer.html", context, status=exc.status)
    log.info("wall_action_done", action=action, conversation_id=pk)
    if not _htmx(request):
        flash.success(request, text)
        return redirect("web:supervisor")
    response = render(request, "web/_wall_done.html", {"text": text})
    response["HX-Trigger"] = "balie:wall"
    return response
