"""Offers for the logged-in agent: the banner above the list, accept and decline.

An offer names the channel, topic, language, how long the citizen has waited and the time
left. Accepting opens the conversation; declining (or letting it lapse) hands the contact on
as the routing engine decides (:mod:`balie.routing.offers`): the next eligible agent, or back
to the queue. A refusal (lapsed, already answered) is a Dutch message, never an error page.
The banner is refreshed on ``balie:offers`` (pushed ``contact_offered`` and
``offer_resolved``), and ``balie.js`` reads each offer's ``data-announce`` aloud once.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from balie.conversations import access
from balie.core import clock
from balie.core.errors import BalieError, NotFound
from balie.routing.models import Offer, OfferOutcome
from balie.routing.offers import do_accept_offer, do_decline_offer
from balie.web.views.common import ANSWERING, Workspace, workspace_view

log = structlog.get_logger(__name__)

#: Refusals of the offer actions, saying what happens now.
REFUSALS = {
    "offer_lapsed": gettext_lazy(
        "This offer has lapsed or the contact was handled meanwhile. The contact goes on to "
        "a colleague; new offers appear here."
    ),
    "not_your_offer": gettext_lazy("This offer was made to a colleague."),
}


def pending_offers(workspace: Workspace) -> list[Offer]:
    """The agent's offers still open, soonest to lapse first (1 query)."""
    if workspace.agent is None:
        return []
    return list(
        Offer.objects.filter(
            agent=workspace.agent, outcome=OfferOutcome.PENDING, expires_at__gt=clock.now()
        )
        .select_related("entry__conversation__channel", "entry__conversation__topic")
        .order_by("expires_at", "pk")
    )


def _banner(
    request: HttpRequest, *, notice: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "offers": pending_offers(workspace),
        "now": clock.now(),
        "offer_notice": notice,
        "offer_error": error,
    }
    return render(request, "web/_offers.html", context, status=status)


@workspace_view(*ANSWERING)
def offers(request: HttpRequest) -> HttpResponse:
    """The agent's pending offers with channel, topic, language, waiting time and time left."""
    return _banner(request)


def _refused(request: HttpRequest, exc: BalieError) -> HttpResponse:
    text = str(REFUSALS.get(exc.code, _("This offer can no longer be answered.")))
    log.info("offer_answer_refused", code=exc.code)
    if not request.headers.get("HX-Request"):
        flash.error(request, text)
        return redirect("web:inbox")
    return _banner(request, error=text, status=exc.status)


@require_POST
@workspace_view(*ANSWERING)
def answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept (then open the conversation) or decline an offer made to this agent (404 for
    anyone else's); a lapsed or answered offer is refused in Dutch."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    agent = workspace.agent
    if answer not in ("accept", "decline") or agent is None:
        raise Http404
    try:
        offer_id = access.access_offer(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    try:
        if answer == "accept":
            do_accept_offer(offer_id, agent)
        else:
            do_decline_offer(offer_id, agent)
    except BalieError as exc:
        return _refused(request, exc)
    offer = Offer.objects.values("outcome", "entry__conversation_id").get(pk=offer_id)
    if answer == "accept":
        conversation_id = offer["entry__conversation_id"]
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("web:conversation", args=[conversation_id])
            return response
        return redirect("web:conversation", conversation_id)
    if offer["outcome"] != OfferOutcome.DECLINED:  # lapsed or answered before this decline
        notice = _("This offer had already lapsed; the contact went on to a colleague.")
    else:
        notice = _("Offer declined. The contact goes to a colleague.")
    if not request.headers.get("HX-Request"):
        flash.info(request, notice)
        return redirect("web:inbox")
    return _banner(request, notice=notice)
