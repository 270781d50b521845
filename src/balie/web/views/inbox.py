"""The inbox: the conversations a person may see, by view, filtered, sorted and paginated.

Views: *mine* (assigned to me), *team* (my teams' queues), *unassigned* (waiting for anyone),
*all* (supervisors). Every list starts from ``access.visible_conversations``, so a view can
only narrow what the role may see. Counts per view come from one aggregate query.

The query string narrows further: ``q`` (full-text search, ``conversations.search``),
``channel``, ``topic``, ``language``, ``status`` and ``label``; ``sort`` is ``waiting``
(longest waiting first), ``newest`` or ``due`` (nearest service-level due time first; each row
shows its due time and state, ``balie.sla``); ``page`` pages by :data:`PAGE_SIZE`. ``current`` (the
conversation open beside the list) keeps the row marked after a live refresh. The number of
queries does not depend on the number of rows (``tests/web/test_inbox_filters.py``).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from balie.channels.models import ChannelKind
from balie.conversations import access
from balie.conversations.models import Conversation, Label, Message
from balie.conversations.search import search_conversations
from balie.conversations.workflow import Status
from balie.core import clock
from balie.organisations.models import Agent, Topic
from balie.privacy.display import Text, displayed_texts
from balie.sla.clocks import state_at
from balie.web.views.common import EVERYONE, Role, Workspace, workspace_view

PAGE_SIZE = 50
OPEN = [Status.NEW, Status.QUEUED, Status.ASSIGNED, Status.PENDING, Status.ON_HOLD]
WAITING = [Status.NEW, Status.QUEUED]

VIEW_LABELS = {
    "mine": _("My conversations"),
    "team": _("My teams' queue"),
    "unassigned": _("Unassigned"),
    "all": _("All"),
}
SORTS = {
    "waiting": ("last_inbound_at", "pk"),  # longest waiting first
    "newest": ("-updated_at", "-pk"),
    "due": (F("sla_clock__due_at").asc(nulls_last=True), "pk"),  # most urgent first
}


def views_for(workspace: Workspace) -> list[str]:
    """The inbox views a role has, in menu order."""
    if workspace.role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return ["mine", "team", "unassigned", "all"]
    return ["mine", "team", "unassigned"]


def _view_filter(key: str, agent: Agent | None) -> Q:
    if key == "mine":
        return Q(assignee_id=agent.pk if agent else None, status__in=OPEN)
    if key == "team":
        teams = list(agent.teams.values_list("pk", flat=True)) if agent else []
        return Q(team_id__in=teams, status__in=WAITING)
    if key == "unassigned":
        return Q(assignee__isnull=True, status__in=WAITING)
    return Q(status__in=OPEN)


def view_counts(workspace: Workspace) -> dict[str, int]:
    """Open conversations per view, in one query."""
    keys = views_for(workspace)
    visible = access.visible_conversations(workspace.user)
    aggregates = {k: Count("pk", filter=_view_filter(k, workspace.agent)) for k in keys}
    return {k: int(v) for k, v in visible.aggregate(**aggregates).items()}


def nav_views(request: HttpRequest, current: str | None) -> list[dict[str, Any]]:
    """The left navigation: inbox views with counts, then the pages the role has."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    counts = view_counts(workspace)
    inbox = reverse("web:inbox")
    items = [
        {
            "key": key,
            "label": VIEW_LABELS[key],
            "url": f"{inbox}?view={key}",
            "count": counts[key],
            "current": key == current,
        }
        for key in views_for(workspace)
    ]
    if workspace.is_supervisor:
        items.append(
            {
                "key": "supervisor",
                "label": _("Supervision"),
                "url": reverse("web:supervisor"),
                "count": None,
                "current": current == "supervisor",
            }
        )
    return items


def filtered(request: HttpRequest, view: str) -> QuerySet[Conversation]:
    """The conversations of ``view`` with the query string's filters applied."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    qs = access.visible_conversations(workspace.user).filter(_view_filter(view, workspace.agent))
    params = request.GET
    if channel := params.get("channel"):
        qs = qs.filter(channel__kind=channel)
    if topic := params.get("topic"):
        qs = qs.filter(topic__code=topic)
    if language := params.get("language"):
        qs = qs.filter(language=language)
    if (status := params.get("status")) and status in Status.__members__.values():
        qs = qs.filter(status=status)
    if label := params.get("label"):
        qs = qs.filter(labels__name=label)  # a name is unique per organisation: no duplicates
    if query := params.get("q", "").strip():
        qs = search_conversations(qs, query)
    return qs


def with_preview(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Rows for the list: names, channel, topic, and the last message's first words."""
    last = Message.objects.filter(conversation=OuterRef("pk")).exclude(direction="note")
    return (
        qs.select_related("channel", "topic", "party", "assignee")
        .prefetch_related("labels")
        .annotate(
            last_body=Subquery(last.order_by("-pk").values("body")[:1]),
            last_id=Subquery(last.order_by("-pk").values("pk")[:1]),
            last_direction=Subquery(last.order_by("-pk").values("direction")[:1]),
            sla_due=F("sla_clock__due_at"),  # the same join as the sort: no extra query
            sla_warn=F("sla_clock__warn_at"),
        )
    )


def shown_previews(rows: Any) -> None:
    """The previews as a person may see them: masked while the privacy scan of a received
    last message is pending (``balie.privacy.display``; at most three queries a page)."""
    rows = [r for r in rows if getattr(r, "last_id", None)]
    texts = [Text(r.last_id, r.last_direction, r.last_body or "", r.channel_id) for r in rows]
    channels = {r.channel_id: (r.channel.kind, r.organisation_id) for r in rows}
    shown = displayed_texts(texts, channels)
    for row in rows:
        row.last_body = shown[row.last_id]


def current_id(request: HttpRequest) -> int | None:
    """The conversation open beside the list (``?current=``), to mark its row."""
    value = request.GET.get("current", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def filter_choices(workspace: Workspace) -> dict[str, Any]:
    """The choices of the filter form: the organisation's topics, languages and labels."""
    organisation = workspace.organisation
    if organisation is None:
        return {
            "topics": Topic.objects.none(),
            "languages": [],
            "labels": Label.objects.none(),
            "statuses": [],
            "channel_kinds": [],
        }
    return {
        "topics": Topic.objects.filter(organisation=organisation).order_by("name"),
        "languages": list(organisation.languages or []),
        "labels": Label.objects.filter(organisation=organisation).order_by("name"),
        "statuses": [(s.value, s.value) for s in OPEN],  # the views show open ones only
        "channel_kinds": [k for k, _label in ChannelKind.choices],
    }


@workspace_view(*EVERYONE)
def inbox(request: HttpRequest) -> HttpResponse:
    """The list of conversations of one view, filtered and sorted (htmx swaps the list)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    view = request.GET.get("view", "mine")
    if view not in views_for(workspace):
        view = "mine"
    sort = request.GET.get("sort", "waiting")
    qs = filtered(request, view).order_by(*SORTS.get(sort, SORTS["waiting"]))
    page = Paginator(with_preview(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    for row in page:  # on time, due soon or overdue, now
        row.sla_state = state_at(row.sla_due, row.sla_warn, now)  # type: ignore[attr-defined]
    shown_previews(page.object_list)
    workspace.views = nav_views(request, view)
    query = request.GET.copy()
    for key in ("page", "current"):
        query.pop(key, None)
    context = {
        "workspace": workspace,
        "view": view,
        "view_label": VIEW_LABELS[view],
        "page": page,
        "sort": sort,
        "filters": request.GET,
        "current_id": current_id(request),
        "query": query.urlencode(),
        **filter_choices(workspace),
    }
    template = "web/_list.html" if request.headers.get("HX-Request") else "web/inbox.html"
    return render(request, template, context)
