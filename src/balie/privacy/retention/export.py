"""Access (AVG art. 15): everything Balie holds about a party, as one JSON document.

The same data feeds the readable HTML page in the workspace (``web/views/rights.py``) and the
admin's export action; each export is an audit entry (``export_party``) with the format and
the counts, never the content.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse

from balie.audit import trail
from balie.audit.models import AuditEntry
from balie.conversations.models import Attachment, Conversation, Klantcontact, Message
from balie.core import clock
from balie.parties.models import Party
from balie.privacy.models import SealedOriginal
from balie.privacy.retention import holdings
from balie.privacy.retention.models import LegalHold, RightsRequest
from balie.privacy.retention.terms import Terms

#: the e-mail headers an export shows of a message
EMAIL_HEADERS = ("subject", "from", "to", "cc", "in_reply_to")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def collect(party: Party) -> dict[str, Any]:
    """The party's data: identity, digital addresses, conversations with their messages and
    attachments (metadata), klantcontacten, legal holds, requests, and who looked at it.

    Then the rows other capabilities hold (:data:`balie.privacy.retention.holdings.SECTIONS`:
    conduct, service levels, privacy findings, call backs, back-office tasks, out-of-hours
    arrivals, calls, text analysis, web chat sessions), each a key of its own.

    A fixed number of queries (nine, and one a section) whatever the number of conversations
    and messages.
    """
    messages = Message.objects.order_by("created_at", "pk").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )
    conversations = list(
        Conversation.objects.filter(party=party)
        .select_related("channel", "topic")
        .prefetch_related(Prefetch("messages", queryset=messages))
        .order_by("created_at", "pk")
    )
    terms = Terms(party.organisation_id)
    klantcontacten = Klantcontact.objects.filter(party=party).order_by("plaatsgevonden_op")
    holds = LegalHold.objects.filter(
        Q(party=party) | Q(conversation__party=party), lifted_at__isnull=True
    )
    sealed = set(
        SealedOriginal.objects.filter(message__conversation__party=party).values_list(
            "message_id", flat=True
        )
    )
    requests = RightsRequest.objects.filter(
        organisation_id=party.organisation_id, party_uuid=str(party.uuid)
    )
    viewed = AuditEntry.objects.filter(
        object_type__in=("parties.party", "conversations.conversation"),
        object_id__in=[str(party.pk), *(str(c.pk) for c in conversations)],
    ).order_by("seq")
    return {
        "generated_at": clock.now().isoformat(),
        "controller": party.organisation.name,
        "party": {
            "uuid": str(party.uuid),
            "kind": party.kind,
            "name": party.display_name,
            "preferred_language": party.preferred_language,
            "country": party.country,
            "created_at": _iso(party.created_at),
        },
        "digital_addresses": [
            {"kind": a.kind, "value": a.value, "label": a.label, "verified": a.verified}
            for a in party.addresses.order_by("pk")
        ],
        "conversations": [
            {
                "id": c.pk,
                "channel": c.channel.kind,
                "topic": c.topic.name if c.topic else "",
                "subject": c.subject,
                "status": c.status,
                "language": c.language,
                "created_at": _iso(c.created_at),
                "resolved_at": _iso(c.resolved_at),
                "retention_days": terms.for_contact(c.channel_id, c.topic_id).days,
                "messages": [
                    {
                        "id": m.pk,
                        "direction": m.direction,
                        "text": m.body,
                        "at": _iso(m.created_at),
                        "email": _email(m.metadata),
                        "original_sealed": m.pk in sealed,
                        "attachments": [
                            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in m.attachments.all()
                        ],
                    }
                    for m in c.messages.all()
                    if m.direction != "note"  # internal notes are the organisation's own
                ],
            }
            for c in conversations
        ],
        "klantcontacten": [
            {
                "uuid": str(k.uuid),
                "channel": k.kanaal,
                "subject": k.onderwerp,
                "content": k.inhoud,
                "took_place_at": _iso(k.plaatsgevonden_op),
                "reference": k.referentienummer,
            }
            for k in klantcontacten
        ],
        "legal_holds": [{"reason": h.reason, "since": _iso(h.placed_at)} for h in holds],
        "requests": [
            {"kind": r.kind, "outcome": r.outcome, "ground": r.ground, "at": _iso(r.decided_at)}
            for r in requests
        ],
        "access_log": [{"at": _iso(e.at), "action": e.action, "result": e.result} for e in viewed],
        # what the other capabilities hold about the person (holdings.SECTIONS)
        **holdings.export_sections(party),
    }


def _email(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """An e-mail's headers as kept with the message (the parts of the body are its text)."""
    mail = (metadata or {}).get("email")
    if not isinstance(mail, dict):
        return None
    return {key: mail.get(key) for key in EMAIL_HEADERS if mail.get(key)}


def counts(data: dict[str, Any]) -> dict[str, int]:
    """How many items of each kind an export holds (for the audit entry and the request)."""
    return {
        "addresses": len(data["digital_addresses"]),
        "conversations": len(data["conversations"]),
        "messages": sum(len(c["messages"]) for c in data["conversations"]),
        "klantcontacten": len(data["klantcontacten"]),
        **{s.key: len(data.get(s.key, [])) for s in holdings.SECTIONS if data.get(s.key)},
    }


def record_export(request: HttpRequest, party: Party, fmt: str, data: dict[str, Any]) -> None:
    """Audit the export and keep it as an access request granted."""
    user = getattr(request, "user", None)
    RightsRequest.objects.create(
        organisation_id=party.organisation_id,
        party_uuid=str(party.uuid),
        kind=RightsRequest.Kind.ACCESS,
        outcome=RightsRequest.Outcome.GRANTED,
        decided_by=user.get_username() if user is not None else "system",
        counts=counts(data),
    )
    trail.record(
        request=request, action="export_party", obj=party, detail={"format": fmt, **counts(data)}
    )


def json_download(data: dict[str, Any], party: Party) -> HttpResponse:
    """The export as a JSON file to save."""
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="inzage-{party.uuid}.json"'
    response["Cache-Control"] = "no-store"
    return response
