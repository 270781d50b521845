"""The back office and out-of-hours care on the conversation page.

- ``sidebar``: the conversation's tasks with their term (word and icon) and state;
- ``composer``: "Doorsturen naar vakafdeling" (team, requested action, the messages to send
  along, an optional deadline) for whoever may change the conversation's status, and the
  "still needed?" line for a question that waited outside opening hours;
- ``header``: the out-of-hours mark.

At start-up this module also fills the back office's template port: outside WhatsApp's
24-hour window a notice to the citizen goes as the organisation's approved template (the
domain may not import the adapter; the web layer may).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.backoffice import afterhours
from balie.backoffice.models import Task
from balie.backoffice.notify import register_template_sender
from balie.backoffice.terms import calendar_of, written_date
from balie.backoffice.workflow import ACTIVE
from balie.conversations import access
from balie.conversations.actions.reply import do_queue_outbound
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import Status
from balie.core import clock
from balie.core.errors import BalieError, WorkflowViolation
from balie.organisations.models import Team
from balie.privacy.display import displayed_bodies
from balie.web.panels import Panel, register
from balie.web.views.backoffice import STATE_LABELS, due_state

#: messages offered to send along (the latest)
CHOICES = 20


def _may(request: HttpRequest, conversation: Conversation, action: access.Action) -> bool:
    try:
        access.require(request.user, conversation, action)
    except BalieError:
        return False
    return True


def tasks_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The conversation's tasks (none: nothing shown)."""
    tasks = list(
        Task.objects.filter(conversation=conversation).select_related("team").order_by("-pk")[:10]
    )
    if not tasks:
        return None
    now = clock.now()
    return {
        "tasks": [
            {"task": t, "due": due_state(t, now), "state": STATE_LABELS[t.state]}  # type: ignore[index]
            for t in tasks
        ]
    }


def forward_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The forward form, for an assigned conversation whose status the person may change."""
    if conversation.status != Status.ASSIGNED:
        return None
    if not _may(request, conversation, access.Action.STATUS):
        return None
    if Task.objects.filter(conversation=conversation, state__in=ACTIVE).exists():
        return None
    messages = list(
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Direction.SYSTEM)
        .order_by("-created_at", "-pk")[:CHOICES]
    )[::-1]
    last_inbound = next((m.pk for m in reversed(messages) if m.direction == "inbound"), None)
    shown = displayed_bodies(messages)  # masked while the privacy scan is pending
    for m in messages:  # shown only, never saved
        m.body = shown[m.pk]
    return {
        "conversation": conversation,
        "teams": list(
            Team.objects.filter(organisation_id=conversation.organisation_id).order_by("name")
        ),
        "messages": messages,
        "checked": last_inbound,
    }


def still_needed_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The "still needed?" line when the question waited outside opening hours."""
    arrival = afterhours.marked(conversation)
    if arrival is None or not _may(request, conversation, access.Action.REPLY):
        return None
    return {
        "conversation": conversation,
        "line": afterhours.still_needed_line(arrival, conversation),
    }


def mark_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The out-of-hours mark: when the question arrived."""
    arrival = afterhours.marked(conversation)
    if arrival is None:
        return None
    zone = calendar_of(conversation.organisation, team=conversation.team).zone
    return {"arrived": written_date(arrival.arrived_at.astimezone(zone), "nl"), "at": arrival}


def send_whatsapp_template(
    conversation: Conversation,
    name: str,
    language: str,
    parameters: list[str],
    meta: dict[str, Any],
) -> Message:
    """Queue the organisation's approved WhatsApp template ``name`` in ``language`` (else
    Dutch, else the template's only language) and in the variant of the conversation's tone
    (``<name>_u``/``<name>_je``, docs/workspace.md), with as many ``parameters`` as it takes.
    Precondition: inside a transaction, ``conversation`` locked."""
    if conversation.channel.kind != "whatsapp":
        raise WorkflowViolation("this channel has no message templates", code="template")
    from balie.channels.whatsapp.templates import render, variant_named

    template = variant_named(conversation, name, language)
    if template is None:
        raise WorkflowViolation(
            f"the template {name!r} is not approved for this channel", code="template"
        )
    values = (list(parameters) + [""] * template.parameter_count)[: template.parameter_count]
    spec = {"name": template.name, "language": template.language, "parameters": values}
    return do_queue_outbound(
        conversation,
        render(template, values) or template.name,
        metadata={**meta, "whatsapp": {"type": "template", "template": spec}},
    )


register_template_sender(send_whatsapp_template)
register(Panel("backoffice_tasks", "sidebar", "web/panels/backoffice_tasks.html", tasks_context))
register(
    Panel("backoffice_forward", "composer", "web/panels/backoffice_forward.html", forward_context)
)
register(
    Panel(
        "still_needed", "composer", "web/panels/still_needed.html", still_needed_context, order=10
    )
)
register(Panel("out_of_hours", "header", "web/panels/out_of_hours.html", mark_context))
