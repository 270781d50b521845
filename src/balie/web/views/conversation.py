"""One conversation: header, timeline, context sidebar and composer, beside the inbox list.

The timeline merges the messages with the conversation's history (status changes, edits,
routing's assignments) by time. The first page shows the latest :data:`HISTORY` messages;
older ones load upwards on demand. Live refreshes (``balie:conversation``) swap only the
header, the timeline and the sidebar (never the composer, so a draft stays), and keep the
older messages already loaded (the hidden ``from`` field says from where).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from balie.audit import trail
from balie.conversations import access
from balie.conversations.actions.notes import do_mark_mentions_seen
from balie.conversations.models import Conversation, Mention, Message
from balie.core import clock
from balie.core.errors import Forbidden, NotFound
from balie.web import panels
from balie.web.views import timeline as tl
from balie.web.views.common import EVERYONE, Workspace, workspace_view
from balie.web.views.composer import composer_context
from balie.web.views.inbox import (
    VIEW_LABELS,
    filter_choices,
    nav_views,
    views_for,
)

#: messages shown at first; older ones load upwards on demand
HISTORY = tl.PAGE


def open_conversation(
    request: HttpRequest, pk: int, action: access.Action = access.Action.READ
) -> Conversation:
    """The conversation through ``access`` (404 for foreign and absent ids, 403 when it may
    be read but not acted on)."""
    try:
        return access.access_conversation(request.user, pk, for_action=action)
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc


def _may(request: HttpRequest, conversation: Conversation, action: access.Action) -> bool:
    try:
        access.require(request.user, conversation, action)
    except Forbidden:
        return False
    return True


def live_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    """What the header, timeline and sidebar show (the parts live refreshes swap)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    since = request.GET.get("from")
    page = tl.latest(conversation, from_id=int(since) if since and since.isdigit() else None)
    may_act = _may(request, conversation, access.Action.STATUS)
    return {
        "workspace": workspace,
        "conversation": conversation,
        "timeline": page,
        "sidebar": tl.sidebar(request.user, conversation),
        "may_act": may_act,
        "may_supervise": workspace.is_supervisor,
        "edit": tl.edit_choices(conversation) if may_act else None,
        "mentions": _unseen_mentions(workspace, conversation),
        "panels_header": panels.shown(request, conversation, "header"),
        "panels_sidebar": panels.shown(request, conversation, "sidebar"),
    }


def _unseen_mentions(workspace: Workspace, conversation: Conversation) -> list[Mention]:
    """Mentions of the agent in other conversations not seen yet (the notice); those in this
    one count as seen now."""
    if workspace.agent is None:
        return []
    do_mark_mentions_seen(workspace.agent, conversation.pk)
    mine = Mention.objects.filter(agent=workspace.agent, seen_at__isnull=True)
    return list(
        mine.exclude(message__conversation=conversation)
        .select_related("message__author")
        .order_by("-created_at")[:5]
    )


@workspace_view(*EVERYONE)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversation if the person may read it (404 for foreign and absent ids alike)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    conversation = open_conversation(request, pk)
    view = request.GET.get("view", "mine")
    if view not in views_for(workspace):
        view = "mine"
    trail.record(request=request, action="view_messages", obj=conversation)
    workspace.views = nav_views(request, view)
    context = live_context(request, conversation)
    context.update(
        {
            "view": view,
            "view_label": VIEW_LABELS[view],  # the heading of the list beside it
            "current_id": conversation.pk,
            "composer": composer_context(request, conversation),
            "panels_composer": panels.shown(request, conversation, "composer"),
            "now": timezone.localtime(clock.now()),
            "filters": request.GET,
            **filter_choices(workspace),  # the list's filter form beside the conversation
        }
    )
    return render(request, "web/conversation.html", context)


@workspace_view(*EVERYONE)
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """The header, timeline and sidebar again (``balie:conversation``); the composer stays."""
    conversation = open_conversation(request, pk)
    trail.record(request=request, action="view_messages", obj=conversation)
    return render(request, "web/_live.html", live_context(request, conversation))


@workspace_view(*EVERYONE)
def older(request: HttpRequest, pk: int) -> HttpResponse:
    """The page of messages before ``before`` (a message id), for "Oudere berichten laden"."""
    conversation = open_conversation(request, pk)
    before = request.GET.get("before", "")
    if not before.isdigit():
        raise Http404
    cursor = Message.objects.filter(conversation=conversation, pk=int(before)).first()
    if cursor is None:
        raise Http404
    trail.record(request=request, action="view_messages", obj=conversation)
    page = tl.before(conversation, cursor)
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    context = {
        "conversation": conversation,
        "timeline": page,
        "may_supervise": workspace.is_supervisor,
    }
    return render(request, "web/_older.html", context)
