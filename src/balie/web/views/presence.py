"""The presence switch at the top of every workspace page: Beschikbaar, Pauze, Nawerk or
Afgemeld, with the agent's capacity and current load per channel in view.

A change goes through :func:`balie.organisations.actions.do_set_presence`; its event
(``agent_presence_changed``) makes routing offer waiting contacts to an agent who came
available, or stop counting on one who left (``balie.routing.handlers.on_presence_changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from balie.core.errors import BalieError
from balie.core.sql import fetch_statements
from balie.organisations.actions import do_set_presence
from balie.organisations.models import Agent, Presence
from balie.routing.board import agent_load_statement, count_loads
from balie.routing.models import AgentChannel
from balie.web import labels
from balie.web.views.common import ANSWERING, Workspace, workspace_view

#: The order of the switch: working first, then the pauses, then away.
CHOICES = (Presence.AVAILABLE, Presence.BUSY, Presence.AWAY, Presence.OFFLINE)


@dataclass(frozen=True)
class ChannelLoad:
    """Contacts an agent holds on one channel kind (assigned and offered) and may hold."""

    kind: str
    load: int
    capacity: int

    @property
    def label(self) -> str:
        """The channel kind in words."""
        return labels.channel_label(self.kind)

    @property
    def full(self) -> bool:
        """No room for another contact of this kind."""
        return self.load >= self.capacity


def channel_loads(agent: Agent) -> list[ChannelLoad]:
    """The agent's capacity and load per channel kind they serve, or hold work on (2 queries).

    The load is routing's own count (:func:`balie.routing.board.agent_load_statement`):
    assigned conversations and pending offers."""
    capacities = dict(
        AgentChannel.objects.filter(agent=agent).values_list("channel_kind", "capacity")
    )
    loads = count_loads(fetch_statements([agent_load_statement([agent.pk])])[0]).get(agent.pk, {})
    kinds = sorted(set(capacities) | set(loads), key=labels.channel_label)
    return [ChannelLoad(k, loads.get(k, 0), capacities.get(k, 0)) for k in kinds]


def switch_context(agent: Agent | None) -> dict[str, Any]:
    """What ``web/_presence.html`` needs for ``agent`` (nothing for staff without a profile)."""
    if agent is None:
        return {"presence_agent": None}
    return {
        "presence_agent": agent,
        "presence_choices": [(code.value, labels.PRESENCE[code.value]) for code in CHOICES],
        "presence_label": labels.PRESENCE.get(agent.presence, agent.presence),
        "channel_loads": channel_loads(agent),
    }


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = ""
    return redirect(target or "web:inbox")


def _current_path(request: HttpRequest) -> str:
    """The page the switch sits on (htmx names it), for the form's no-script fallback."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, {request.get_host()}):
        return urlsplit(current).path
    return request.get_full_path()


@workspace_view(*ANSWERING)
def presence(request: HttpRequest) -> HttpResponse:
    """GET: the switch (refreshed live). POST ``presence``: change it, then the switch again
    with a polite announcement (htmx), or back to the page it was sent from."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    agent = workspace.agent
    announcement, error, status = "", "", 200
    if request.method == "POST" and agent is not None:
        try:
            agent = do_set_presence(agent.pk, request.POST.get("presence", ""))
        except BalieError as exc:
            error, status = _("Choose a status from the list."), exc.status
        else:
            label = labels.PRESENCE.get(agent.presence, agent.presence)
            announcement = _("Your status is now %(status)s.") % {"status": label}
        if not request.headers.get("HX-Request"):
            if error:
                flash.error(request, error)
            else:
                flash.success(request, announcement)
            return _back(request)
    context = {
        **switch_context(agent),
        "presence_announcement": announcement,
        "presence_error": error,
        "presence_next": _current_path(request),
    }
    return render(request, "web/_presence.html", context, status=status)
