"""Offers for the logged-in agent: the banner above the list (htmx fragment)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.core import clock
from balie.routing.models import Offer, OfferOutcome
from balie.web.views.common import ANSWERING, Workspace, workspace_view


@workspace_view(*ANSWERING)
def offers(request: HttpRequest) -> HttpResponse:
    """The agent's pending offers with channel, topic, language, waiting time and time left."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    pending = (
        Offer.objects.filter(
            agent=workspace.agent, outcome=OfferOutcome.PENDING, expires_at__gt=clock.now()
        )
        .select_related("entry__conversation__channel", "entry__conversation__topic")
        .order_by("expires_at")
        if workspace.agent
        else Offer.objects.none()
    )
    return render(request, "web/_offers.html", {"offers": pending, "now": clock.now()})


@workspace_view(*ANSWERING)
def answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept or decline an offer made to this agent (404 for anyone else's)."""
    from django.http import Http404, HttpResponseNotAllowed
    from django.shortcuts import redirect

    from balie.conversations import access
    from balie.core.errors import NotFound
    from balie.routing.offers import do_accept_offer, do_decline_offer

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if answer not in ("accept", "decline") or workspace.agent is None:
        raise Http404
    try:
        offer_id = access.access_offer(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if answer == "accept":
        do_accept_offer(offer_id, workspace.agent)
        conversation_id = (
            Offer.objects.filter(pk=offer_id).values_list("entry__conversation_id", flat=True).get()
        )
        return redirect("web:conversation", conversation_id)
    do_decline_offer(offer_id, workspace.agent)
    return redirect("web:inbox")
