"""The back office in the workspace: its task list, a task's page (answer, more time), and the
contact centre's forms on a conversation (forward to a team, send the "still needed?" line).

Every view opens what it shows through ``backoffice.access`` (built on
``conversations.access``) and changes it through the back-office actions; a refusal comes back
in Dutch beside the form, as the composer's do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from balie.audit import trail
from balie.backoffice import actions, afterhours
from balie.backoffice.access import TaskAction, access_task, visible_tasks
from balie.backoffice.models import Task
from balie.backoffice.workflow import ACTIVE, TaskState
from balie.conversations import access
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Conversation
from balie.core import clock
from balie.core.errors import BalieError, Forbidden, InvalidInput, NotFound
from balie.web.views.common import EVERYONE, Workspace, workspace_view
from balie.web.views.composer import acting_agent, conversation_form, htmx
from balie.web.views.errors import dutch
from balie.web.views.inbox import nav_views

#: share of the term left below which a task is "almost due"
ALMOST = 0.2
STATE_LABELS = {
    TaskState.OPEN: gettext_lazy("open"),
    TaskState.EXTENSION_REQUESTED: gettext_lazy("more time asked"),
    TaskState.EXTENDED: gettext_lazy("extended"),
    TaskState.OVERDUE: gettext_lazy("overdue"),
    TaskState.ANSWERED: gettext_lazy("answered"),
    TaskState.CANCELLED: gettext_lazy("withdrawn"),
}
LIST_SIZE = 200


def due_state(task: Task, now: datetime) -> dict[str, str]:
    """The term as a word and an icon (never colour alone): on time, almost due, overdue."""
    if task.state not in ACTIVE:
        return {"key": "done", "icon": "✓", "text": str(STATE_LABELS[TaskState(task.state)])}
    if now >= task.due_at:
        return {"key": "late", "icon": "⚠", "text": _("overdue")}
    total = (task.due_at - task.created_at).total_seconds() or 1.0
    if (task.due_at - now).total_seconds() / total < ALMOST:
        return {"key": "almost", "icon": "⏳", "text": _("almost due")}
    return {"key": "ok", "icon": "●", "text": _("on time")}


def _row(task: Task, now: datetime) -> dict[str, Any]:
    return {"task": task, "due": due_state(task, now), "state": STATE_LABELS[TaskState(task.state)]}


@workspace_view(*EVERYONE)
def task_list(request: HttpRequest) -> HttpResponse:
    """The tasks the person may see: open ones by due time first (``?show=all``: all)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    show = "all" if request.GET.get("show") == "all" else "open"
    qs = visible_tasks(request.user).select_related("team", "conversation__party")
    if show == "open":
        qs = qs.filter(state__in=ACTIVE)
    now = clock.now()
    rows = [_row(t, now) for t in qs.order_by("due_at", "pk")[:LIST_SIZE]]
    workspace.views = nav_views(request, "tasks")
    context = {"workspace": workspace, "rows": rows, "show": show, "page_key": "tasks"}
    return render(request, "web/backoffice_tasks.html", context)


def _open_task(request: HttpRequest, pk: int, action: TaskAction = TaskAction.READ) -> Task:
    try:
        return access_task(request.user, pk, for_action=action)
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc


def _may(request: HttpRequest, task: Task, action: TaskAction) -> bool:
    from balie.backoffice.access import require_task

    try:
        require_task(request.user, task, action)
    except BalieError:
        return False
    return True


@workspace_view(*EVERYONE)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: what is asked, the term, the messages sent along, its history, and the
    forms to answer or ask for more time (for its team)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    task = _open_task(request, pk)
    trail.record(request=request, action="view", obj=task)
    now = clock.now()
    active = task.state in ACTIVE
    suggested = timezone.localtime(max(task.due_at, now) + timedelta(days=7))
    workspace.views = nav_views(request, "tasks")
    context = {
        "workspace": workspace,
        "page_key": "tasks",
        **_row(task, now),
        "messages_along": [
            tm.message
            for tm in task.task_messages.select_related("message__author").order_by(
                "message__created_at", "message__pk"
            )
        ],
        "steps": [
            {"step": s, "state": STATE_LABELS[TaskState(s.to_state)]}
            for s in task.steps.select_related("actor").order_by("at", "pk")
        ],
        "may_work": active and _may(request, task, TaskAction.WORK),
        "may_withdraw": active and _may(request, task, TaskAction.WITHDRAW),
        "may_open_conversation": access.visible_conversations(request.user)
        .filter(pk=task.conversation_id)
        .exists(),
        "suggested_date": suggested.date().isoformat(),
        "suggested_time": suggested.strftime("%H:%M"),
    }
    return render(request, "web/backoffice_task.html", context)


TaskBody = Callable[[HttpRequest, Task], None]


def _task_form(
    action: TaskAction, feedback: str
) -> Callable[[TaskBody], Callable[..., HttpResponse]]:
    """A POST on one task: open it (404/403), run the body, a refusal in Dutch beside the form."""

    def wrap(body: TaskBody) -> Callable[..., HttpResponse]:
        @require_POST
        @workspace_view(*EVERYONE)
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            task = _open_task(request, pk, action)
            try:
                body(request, task)
            except BalieError as exc:
                text = dutch(exc)
                if not htmx(request):
                    flash.error(request, text)
                    return redirect("web:backoffice_task", pk=task.pk)
                response = render(request, "web/_alert.html", {"text": text}, status=exc.status)
                response["HX-Retarget"] = f"#{feedback}"
                response["HX-Reswap"] = "innerHTML"
                return response
            if htmx(request):
                response = HttpResponse("")
                # the task page again, with its new state
                response["HX-Redirect"] = reverse("web:backoffice_task", args=[task.pk])
                return response
            return redirect("web:backoffice_task", pk=task.pk)

        view.__doc__ = body.__doc__
        view.__name__ = body.__name__
        return view

    return wrap


@_task_form(TaskAction.WORK, "answer-feedback")
def task_answer(request: HttpRequest, task: Task) -> None:
    """The back office answers; the answer goes to the contact centre's conversation."""
    actions.check_answer(task.pk, acting_agent(request), request.POST.get("answer", ""))


def parse_local(day: str, at: str) -> datetime:
    """A date and a time from a form, in the active (the organisation's) time zone."""
    parsed_day, parsed_time = parse_date(day.strip() or "-"), parse_time(at.strip() or "-")
    if parsed_day is None or parsed_time is None:
        raise InvalidInput("give the new deadline's date and time", code="due_at")
    return timezone.make_aware(datetime.combine(parsed_day, parsed_time))


def _parse_local_or_none(day: str, at: str) -> datetime | None:
    if not day.strip() and not at.strip():
        return None
    return parse_local(day, at or "17:00")


@_task_form(TaskAction.WORK, "extend-feedback")
def task_extend(request: HttpRequest, task: Task) -> None:
    """More time: a reason and the new deadline; the citizen is told the new term."""
    due_at = parse_local(request.POST.get("due_date", ""), request.POST.get("due_time", ""))
    actions.check_request_extension(
        task.pk, acting_agent(request), request.POST.get("reason", ""), due_at
    )


@_task_form(TaskAction.WITHDRAW, "withdraw-feedback")
def task_withdraw(request: HttpRequest, task: Task) -> None:
    """The contact centre withdraws the task (answered another way)."""
    actions.check_withdraw(task.pk, acting_agent(request), request.POST.get("reason", ""))


@conversation_form(access.Action.STATUS, "forward-feedback")
def forward(request: HttpRequest, conversation: Conversation) -> None:
    """Forward the conversation to a team with the requested action, the chosen messages and
    a deadline (empty: the topic's term on the team's calendar)."""
    team = request.POST.get("team", "")
    if not team.isdigit() or len(team) > 18:
        raise InvalidInput("choose a team", code="team")
    ids = [int(v) for v in request.POST.getlist("messages") if v.isdigit() and len(v) < 19]
    actions.check_forward(
        conversation.pk,
        acting_agent(request),
        team_id=int(team),
        requested_action=request.POST.get("requested_action", ""),
        message_ids=ids,
        due_at=_parse_local_or_none(
            request.POST.get("due_date", ""), request.POST.get("due_time", "")
        ),
    )


@conversation_form(access.Action.REPLY, "still-needed-feedback")
def still_needed(request: HttpRequest, conversation: Conversation) -> None:
    """Send the "still needed?" line for a question that arrived outside opening hours."""
    arrival = afterhours.marked(conversation)
    if arrival is None:
        raise InvalidInput("this question did not wait outside opening hours", code="not_marked")
    check_send_reply(
        conversation.pk,
        acting_agent(request),
        afterhours.still_needed_line(arrival, conversation),
    )
