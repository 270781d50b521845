"""The web chat's HTTP side: the example page (in DEBUG, or for a channel whose settings ask
for it, as the demo's does), the files of a chat by the signed links the widget shows, and the
agent's "typing" signal for the visitor's widget."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_POST

from balie.channels.models import Channel
from balie.channels.webchat.adapter import push_typing
from balie.channels.webchat.config import WebchatSettings
from balie.channels.webchat.sessions import access_file
from balie.conversations.access import visible_conversations
from balie.core.errors import NotFound
from balie.organisations.models import AgentRole


@require_GET
def example(request: HttpRequest, key: str) -> HttpResponse:
    """A page of a pretend organisation site with the widget's one script tag."""
    channel = get_object_or_404(Channel, key=key, kind="webchat", is_active=True)
    if not (settings.DEBUG or channel.settings.get("example_page")):
        raise Http404("the example page is shown in DEBUG or when the channel asks for it")
    language = "en" if request.GET.get("lang") == "en" else "nl"
    return render(
        request,
        "webchat/example.html",
        {
            "channel": channel,
            "script_url": request.build_absolute_uri(static("webchat/widget.js")),
            "style_url": static("webchat/example.css"),
            "language": language,
            "theme": WebchatSettings.of(channel.settings).theme,
        },
    )


@require_GET
def file_download(request: HttpRequest, token: str) -> FileResponse:
    """A file of the visitor's conversation, by the signed link the widget shows: always a
    download (never rendered), ``nosniff``; a bad or expired link is 404."""
    try:
        attachment = access_file(token)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or f"bijlage-{attachment.pk}",
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def agent_typing(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent types an answer in a web chat conversation: the widget shows it (204).

    Login and an answering role are required (403 otherwise); a conversation the agent may
    not see, or one that is not a web chat, is 404 (the workspace then stops asking)."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponse(status=403)
    agent = getattr(user, "agent", None)
    if agent is None or (agent.role == AgentRole.BACKOFFICE and not user.is_superuser):
        return HttpResponse(status=403)
    conversation = get_object_or_404(
        visible_conversations(user).select_related("address"),
        pk=pk,
        channel__kind="webchat",
    )
    push_typing(conversation)
    return HttpResponse(status=204)
