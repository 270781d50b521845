"""The supervisor wall: queues, agents by state, and the conversations waiting longest."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.web.views.common import STEERING, Workspace, workspace_view
from balie.web.views.inbox import nav_views


@workspace_view(*STEERING)
def wall(request: HttpRequest) -> HttpResponse:
    """Queues per channel and topic, agents, longest waiting (refreshes live)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, "supervisor")
    return render(request, "web/supervisor.html", {"workspace": workspace})
