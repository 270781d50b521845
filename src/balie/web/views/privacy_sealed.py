"""Reading a sealed original from the conversation timeline (supervisors only).

The timeline offers "Origineel tonen" on a masked message whose original is sealed, to
supervisors only; the form asks for a reason and the answer replaces the button with the
original, in place (htmx). The view opens the conversation through ``conversations.access``
(404 for what the person cannot see) and leaves the rest to :func:`balie.privacy.sealed.unseal`,
which checks the role and records every attempt, refused ones too. Nothing of the answer may
be cached.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from balie.conversations import access
from balie.conversations.models import Conversation, Message
from balie.core.errors import NotFound
from balie.privacy.sealed import unseal
from balie.web.views.common import EVERYONE
from balie.web.views.composer import conversation_form, htmx


@conversation_form(access.Action.READ, "message-{message_id}-unseal-feedback", EVERYONE)
def _unseal(request: HttpRequest, conversation: Conversation, message_id: int) -> HttpResponse:
    if not Message.objects.filter(pk=message_id, conversation=conversation).exists():
        raise NotFound("not found")
    original = unseal(request, message_id, request.POST.get("reason", ""))
    template = "web/privacy/_original.html" if htmx(request) else "web/privacy/original.html"
    context = {"conversation": conversation, "message_id": message_id, "original": original}
    return render(request, template, context)


#: POST ``/gesprekken/<id>/berichten/<id>/origineel/`` with ``reason``
unseal_message = never_cache(_unseal)
