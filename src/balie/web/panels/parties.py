"""The hint "Mogelijk dezelfde persoon als …" in the conversation's sidebar: the other parties
of the organisation that share a verified phone number or e-mail address with this one, with a
link to the merge confirmation. Supervisors and administrators only (they decide on merges;
an agent would otherwise learn of parties in conversations they may not see, ADR 0018)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from balie.conversations.models import Conversation
from balie.parties.merge import suggestions
from balie.parties.overview import PartyFacts, describe
from balie.web.panels import Panel, register
from balie.web.views.common import STEERING, role_of

#: others named at once
SHOWN = 3


def context(request: HttpRequest, conversation: Conversation) -> dict[str, Any] | None:
    """The parties possibly the same person as this conversation's (nothing when none)."""
    if role_of(request.user) not in STEERING:
        return None
    party_id = conversation.party_id
    found = suggestions(conversation.organisation_id, party_id=party_id)
    if not found:
        return None
    rows = describe(found[:SHOWN])
    return {
        "others": [
            {"row": row, "label": _label(row.second if row.first.id == party_id else row.first)}
            for row in rows
        ],
        "more": max(0, len(found) - SHOWN),
    }


def _label(party: PartyFacts) -> str:
    return party.name or _("Unnamed party #%(id)s") % {"id": party.id}


register(Panel("parties-merge", "sidebar", "web/panels/parties.html", context, order=190))
