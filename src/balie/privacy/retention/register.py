"""The register of processing activities (AVG art. 30), generated from the configuration.

One entry per organisation in the shape of a public register entry (like "BZ 24/7 Contactcenter
M4089"): purposes, legal basis, data subjects, categories of data, retention, recipients, and
transfers outside the EU. The channels, topics, teams and retention terms come from the
database as ``balie apply`` and the admin left them, so the entry stays true as they change.
"""

from __future__ import annotations

from typing import Any

from balie.audit.prune import retention_days as audit_days
from balie.channels.models import Channel
from balie.organisations.models import Organisation, Team, Topic
from balie.parties.models import AddressKind, PartyKind
from balie.privacy.retention.models import DEFAULT_DAYS, Data, Disposal, RetentionTerm

#: What a contact on each channel kind holds beside the message itself.
CHANNEL_DATA = {
    "whatsapp": "WhatsApp number and profile name",
    "email": "e-mail address",
    "webchat": "web chat session",
    "phone": "phone number and call times",
    "messenger": "Messenger user id and name",
    "instagram": "Instagram user id and name",
    "x": "X user id and handle",
    "api": "the address given by the calling system",
}


def _term_text(term: RetentionTerm | None, data: str) -> dict[str, Any]:
    if term is None:
        return {"scope": "all", "data": data, "days": DEFAULT_DAYS, "disposal": Disposal.DESTROY}
    scope = " / ".join(str(s) for s in (term.channel, term.topic) if s) or "all"
    return {
        "scope": scope,
        "data": term.data,
        "days": term.days,
        "disposal": term.disposal,
        "basis": term.basis,
    }


def entry(organisation: Organisation) -> dict[str, Any]:
    """The organisation's register entry as plain data (six queries)."""
    channels = list(Channel.objects.filter(organisation=organisation, is_active=True))
    kinds = sorted({c.kind for c in channels})
    topics = list(Topic.objects.filter(organisation=organisation).order_by("name"))
    teams = list(Team.objects.filter(organisation=organisation).order_by("name"))
    terms = list(
        RetentionTerm.objects.filter(organisation=organisation).select_related("channel", "topic")
    )
    general = {t.data: t for t in terms if t.channel_id is None and t.topic_id is None}
    retention = [_term_text(general.get(d), d) for d in (Data.CONTACTS, Data.PERFORMANCE)]
    retention += [_term_text(t, t.data) for t in terms if t.channel_id or t.topic_id]
    restricted = [t.name for t in topics if getattr(t, "restricted", False)]
    return {
        "name": f"Klantcontact {organisation.name} (Balie)",
        "controller": organisation.name,
        "purposes": [
            "Answering the questions and requests of citizens and businesses that reach the "
            "contact centre by phone, e-mail, web chat and social media.",
            "Forwarding a question to the back office and telling the citizen what happens "
            "and within which term.",
            "Keeping the promised response times and reporting on them (anonymous counts).",
            "Coaching and quality of service of the contact centre's staff.",
        ],
        "legal_basis": "AVG art. 6(1)(e): a task in the public interest",
        "data_subjects": [
            *(f"{label} who contact the organisation" for label in PartyKind.labels),
            "staff of the contact centre (agents, supervisors, back office)",
        ],
        "categories": [
            "name as given by the person",
            *(CHANNEL_DATA.get(kind, kind) for kind in kinds),
            "content of messages and attachments",
            "preferred language and country",
            "the record of each contact (klantcontact): channel, subject, summary, time",
            "for staff: name, user name, which contacts they handled",
        ],
        "special_categories": (
            "May occur in messages (health, criminal matters); such conversations go to a "
            "designated team"
            + (f" ({', '.join(restricted)})" if restricted else "")
            + "; Balie asks citizens not to send them over unsafe channels."
        ),
        "channels": [{"kind": c.kind, "name": c.name} for c in channels],
        "address_kinds": [str(label) for value, label in AddressKind.choices if value in kinds],
        "retention": retention,
        "audit_trail_days": audit_days(),
        "recipients": [
            *(f"team {t.name}" for t in teams),
            "the organisation's back office departments a question is forwarded to",
        ],
        "processors": [
            f"{kind}: the platform provider carries the messages"
            for kind in kinds
            if kind in ("whatsapp", "messenger", "instagram", "x")
        ],
        "transfer_outside_eu": "none: Balie runs on the organisation's own infrastructure in "
        "the EU and sends personal data nowhere else",
        "security": [
            "role-based access; a second factor for staff and administrators",
            "audit trail of every view, change, export and deletion, hash-chained (BIO 8.15)",
            "retention terms enforced daily; legal holds",
        ],
    }


def _lines(title: str, items: list[str]) -> list[str]:
    return [f"## {title}", "", *(f"- {item}" for item in items), ""]


def markdown(data: dict[str, Any]) -> str:
    """The entry as Markdown for a public register page."""
    out = [f"# {data['name']}", "", f"**Controller:** {data['controller']}", ""]
    out += _lines("Purposes", data["purposes"])
    out += ["## Legal basis", "", data["legal_basis"], ""]
    out += _lines("Data subjects", data["data_subjects"])
    out += _lines("Categories of personal data", data["categories"])
    out += ["## Special categories", "", data["special_categories"], ""]
    out += _lines(
        "Retention",
        [
            f"{r['data']}, {r['scope']}: {r['days']} days, then {r['disposal']}"
            for r in data["retention"]
        ]
        + [f"audit trail: {data['audit_trail_days']} days"],
    )
    out += _lines("Recipients", data["recipients"])
    if data["processors"]:
        out += _lines("Processors", data["processors"])
    out += ["## Transfer outside the EU", "", data["transfer_outside_eu"], ""]
    out += _lines("Security measures", data["security"])
    return "\n".join(out)
