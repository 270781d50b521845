"""The composer: replies, notes (with @mentions), WhatsApp templates and files, and a second
try of a failed send. Every send goes through the actions after ``access`` checked the person
may do it; a refusal comes back as a Dutch alert beside the composer with an error status,
so htmx swaps the alert in and balie.js keeps the draft (it clears it only on success)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from balie.channels.replies import reply_options
from balie.conversations import access
from balie.conversations.actions import check_send_reply
from balie.conversations.actions.notes import check_add_note_with_mentions
from balie.conversations.actions.reply import MAX_BODY
from balie.conversations.models import Conversation, Direction, Message
from balie.core import clock
from balie.core.errors import BalieError, InvalidInput
from balie.web import labels
from balie.web.views.common import ANSWERING, EVERYONE, Role, workspace_view
from balie.web.views.errors import dutch

#: what a channel takes in one message (WhatsApp: 4,096 characters)
LIMITS = {"whatsapp": 4096}
#: the largest file a channel takes, in bytes (WhatsApp: 16 MB)
FILE_LIMITS = {"whatsapp": 16 << 20}


def window_text(closes_at: datetime | None, now: datetime) -> str:
    """``nog 3 uur 12 min om vrij te antwoorden`` (empty when closed or unknown)."""
    if closes_at is None or closes_at <= now:
        return ""
    minutes = int((closes_at - now).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min left to reply freely") % {
            "hours": hours,
            "minutes": minutes,
        }
    return _("%(minutes)d min left to reply freely") % {"minutes": minutes}


def _may(request: HttpRequest, conversation: Conversation, action: access.Action) -> bool:
    try:
        access.require(request.user, conversation, action)
    except BalieError:
        return False
    return True


def composer_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    """What the composer shows: tabs allowed, the channel's limits, the reply window and the
    templates when it is closed."""
    kind = conversation.channel.kind
    may_reply = _may(request, conversation, access.Action.REPLY)
    context: dict[str, Any] = {
        "channel": labels.channel_label(kind),
        "kind": kind,
        "limit": LIMITS.get(kind, MAX_BODY),
        "may_reply": may_reply and conversation.status != "closed",
        "may_note": _may(request, conversation, access.Action.NOTE),
        "file_limit": FILE_LIMITS.get(kind),
        "free_form": True,
        "window": "",
        "reason": "",
        "templates": [],
    }
    if context["may_reply"]:
        now = clock.now()
        options = reply_options(conversation, now)
        context["free_form"] = options["free_form"]
        context["reason"] = options["reason"]
        context["window"] = window_text(options["window_closes_at"], now)
        context["templates"] = [
            {"template": t, "parameters": range(1, t.parameter_count + 1)}
            for t in options["templates"]
        ]
        if kind == "whatsapp":
            from balie.channels.whatsapp.media import ALLOWED_TYPES

            context["accept"] = ",".join(sorted(ALLOWED_TYPES))
    return context


def htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (else a plain form post: answer with a redirect)."""
    return request.headers.get("HX-Request") == "true"


def done(request: HttpRequest, conversation: Conversation) -> HttpResponse:
    """Success: an empty feedback slot, and the page refreshes the timeline and header."""
    if not htmx(request):
        return redirect("web:conversation", pk=conversation.pk)
    response = HttpResponse("")
    response["HX-Trigger"] = "balie:conversation"
    return response


def refused(
    request: HttpRequest, conversation: Conversation, exc: BalieError, target: str
) -> HttpResponse:
    """A refusal in Dutch in the feedback slot ``target`` (an id), with the error's status so
    the draft is kept."""
    text = dutch(exc)
    if not htmx(request):
        flash.error(request, text)
        return redirect("web:conversation", pk=conversation.pk)
    response = render(request, "web/_alert.html", {"text": text}, status=exc.status)
    response["HX-Retarget"] = f"#{target}"
    response["HX-Reswap"] = "innerHTML"
    return response


def acting_agent(request: HttpRequest) -> Any:
    """The agent behind the request (refused for staff without an agent profile)."""
    agent = access.agent_of(request.user)
    if agent is None:
        raise InvalidInput("only agents can answer", code="not_an_agent")
    return agent


FormBody = Callable[..., HttpResponse | None]


def conversation_form(
    permission: access.Action, feedback: str, roles: tuple[Role, ...] = ANSWERING
) -> Callable[[FormBody], Callable[..., HttpResponse]]:
    """A POST form on one conversation, the shape every workspace action shares.

    Open the conversation (404 when the person may not see it), check ``permission``, run
    ``body(request, conversation, **url_kwargs)``; a refusal (any BalieError) comes back in
    Dutch in the feedback slot ``feedback`` (formatted with the URL's kwargs) and the draft is
    kept; success refreshes the page's live parts, unless the body answers itself.
    """

    def wrap(body: FormBody) -> Callable[..., HttpResponse]:
        @require_POST
        @workspace_view(*roles)
        @wraps(body)
        def view(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
            from balie.web.views.conversation import open_conversation

            conversation = open_conversation(request, pk)
            try:
                access.require(request.user, conversation, permission)
                answer = body(request, conversation, **kwargs)
            except BalieError as exc:
                return refused(request, conversation, exc, feedback.format(**kwargs))
            return answer or done(request, conversation)

        return view

    return wrap


@conversation_form(access.Action.REPLY, "composer-feedback")
def reply(request: HttpRequest, conversation: Conversation) -> None:
    """Send a free-form reply to the citizen."""
    reply_to = request.POST.get("reply_to", "")
    check_send_reply(
        conversation.pk,
        acting_agent(request),
        request.POST.get("body", ""),
        reply_to_id=int(reply_to) if reply_to.isdigit() else None,
    )


@conversation_form(access.Action.NOTE, "composer-feedback", EVERYONE)  # back office notes too
def note(request: HttpRequest, conversation: Conversation) -> None:
    """Add an internal note; ``@username`` notifies a colleague who may see the conversation."""
    check_add_note_with_mentions(
        conversation.pk, acting_agent(request), request.POST.get("body", "")
    )


@conversation_form(access.Action.REPLY, "composer-feedback")
def template(request: HttpRequest, conversation: Conversation) -> None:
    """Send an approved WhatsApp template with its variables (allowed outside the window)."""
    from balie.channels.whatsapp.templates import check_send_template

    raw = request.POST.get("template", "")
    if not raw.isdigit():
        raise InvalidInput("choose a template", code="template")
    parameters = request.POST.getlist(f"parameter-{raw}")
    check_send_template(conversation.pk, acting_agent(request), int(raw), parameters)


@conversation_form(access.Action.REPLY, "file-feedback")
def upload(request: HttpRequest, conversation: Conversation) -> None:
    """Send a file within the channel's limits (WhatsApp: its file types, up to 16 MB)."""
    from balie.channels.whatsapp.templates import check_send_media

    limit = FILE_LIMITS.get(conversation.channel.kind)
    if limit is None:
        raise InvalidInput("this channel does not send files", code="files_not_supported")
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput("choose a file", code="no_file")
    if upload.size is None or upload.size > limit:  # refused before it is read
        raise InvalidInput("the file is larger than 16 MB", code="media_size")
    check_send_media(
        conversation.pk,
        acting_agent(request),
        data=upload.read(),
        filename=upload.name or "file",
        content_type=upload.content_type or "application/octet-stream",
        caption=request.POST.get("caption", ""),
    )


@conversation_form(access.Action.REPLY, "message-{message_pk}-feedback")
def retry(request: HttpRequest, conversation: Conversation, message_pk: int) -> None:
    """Send a failed message again (as a new message; the failed one stays in the timeline)."""
    failed = Message.objects.filter(
        conversation=conversation,
        pk=message_pk,
        direction=Direction.OUTBOUND,
        delivery_status="failed",
    ).first()
    if failed is None:
        raise InvalidInput("this message did not fail", code="not_failed")
    resend(conversation, failed, acting_agent(request))


def resend(conversation: Conversation, failed: Message, agent: Any) -> Message:
    """The same text, template or nothing (a file must be chosen again) through the actions."""
    spec = (failed.metadata.get("whatsapp") or {}).get("template")
    if spec:
        from balie.channels.whatsapp.models import MessageTemplate
        from balie.channels.whatsapp.templates import check_send_template

        found = MessageTemplate.objects.filter(
            channel_id=conversation.channel_id, name=spec["name"], language=spec["language"]
        ).first()
        if found is None:
            raise InvalidInput("this template is not approved for the channel", code="template")
        return check_send_template(conversation.pk, agent, found.pk, spec["parameters"])
    if failed.attachments.exists():
        raise InvalidInput("choose the file again to send it", code="retry_media")
    return check_send_reply(conversation.pk, agent, failed.body, reply_to_id=failed.reply_to_id)
