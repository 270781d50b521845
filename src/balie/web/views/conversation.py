"""One conversation: header, timeline and composer, beside the inbox list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.audit import trail
from balie.conversations import access
from balie.conversations.models import Message
from balie.core.errors import NotFound
from balie.web.views.common import EVERYONE, Workspace, workspace_view
from balie.web.views.inbox import filtered, nav_views, views_for, with_preview

#: messages shown at first; older ones load upwards on demand
HISTORY = 100


@workspace_view(*EVERYONE)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversation if the person may read it (404 for foreign and absent ids alike)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    try:
        conversation = access.access_conversation(request.user, pk, for_action=access.Action.READ)
    except NotFound as exc:
        from django.http import Http404

        raise Http404 from exc
    view = request.GET.get("view", "mine")
    if view not in views_for(workspace):
        view = "mine"
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-created_at", "-pk")[:HISTORY]
    )[::-1]
    trail.record(request=request, action="view_messages", obj=conversation)
    workspace.views = nav_views(request, view)
    rows = with_preview(filtered(request, view).order_by("last_inbound_at", "pk"))[:50]
    return render(
        request,
        "web/conversation.html",
        {
            "workspace": workspace,
            "view": view,
            "conversation": conversation,
            "history": messages,
            "page": {"object_list": rows},
            "current_id": conversation.pk,
        },
    )
