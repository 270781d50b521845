"""The conversation page's data: the timeline (messages and history merged by time), the
context sidebar, and the choices of the edit forms. Every query is bounded, so the page costs
the same number of queries for 5 messages or 5,000."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from balie.conversations import access
from balie.conversations.models import (
    Attachment,
    Conversation,
    ConversationChange,
    Klantcontact,
    Label,
    Message,
    StatusChange,
)
from balie.organisations.models import Agent, Team, Topic
from balie.privacy.display import displayed_bodies
from balie.privacy.sealed import sealed_among
from balie.routing.models import RoutingRecord
from balie.web import labels

#: messages per page; older ones load upwards (50 fill a 1366×768 screen several times over
#: and keep the first paint of a long conversation short)
PAGE = 50
#: at most this many messages kept by a live refresh after loading older ones
KEEP = 1000
#: history rows shown per kind within the page's time range
EVENTS = 300
ROUTING_KINDS = (
    "assigned", "accepted", "assigned_by_hand", "offered", "declined", "timed_out",
    "enqueued", "moved", "abandoned",
)  # fmt: skip


@dataclass
class Entry:
    """One line of the timeline: a message (with its attachments' download facts), or a small
    system event. For a message, ``text`` and ``quote`` are its text and the text it replies
    to as shown (``balie.privacy.display``); ``sealed``: its original may be unsealed."""

    at: datetime
    message: Message | None = None
    text: str = ""
    actor: str = ""
    reason: str = ""
    quote: str = ""
    sealed: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Page:
    """Timeline entries oldest first; ``oldest_id`` is the first message's id (the cursor)."""

    entries: list[Entry] = field(default_factory=list)
    has_older: bool = False
    oldest_id: int | None = None


def _messages(conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "reply_to")
        .order_by("-created_at", "-pk")
    )


def _older_than(message: Message) -> Q:
    return Q(created_at__lt=message.created_at) | Q(
        created_at=message.created_at, pk__lt=message.pk
    )


def latest(conversation: Conversation, *, from_id: int | None = None) -> Page:
    """The latest page, or (a live refresh after older pages were loaded) every message from
    ``from_id`` on, at most :data:`KEEP`."""
    cursor = None
    if from_id is not None:
        cursor = Message.objects.filter(conversation=conversation, pk=from_id).first()
    if cursor is None:
        return _page(conversation, list(_messages(conversation)[: PAGE + 1]), PAGE, until=None)
    found = list(_messages(conversation).exclude(_older_than(cursor))[: KEEP + 1])
    page = _page(conversation, found, KEEP, until=None)
    if not page.has_older:
        older = Message.objects.filter(conversation=conversation).filter(_older_than(cursor))
        page.has_older = older.exists()
    return page


def before(conversation: Conversation, cursor: Message) -> Page:
    """The page of messages just older than ``cursor``."""
    found = list(_messages(conversation).filter(_older_than(cursor))[: PAGE + 1])
    return _page(conversation, found, PAGE, until=cursor.created_at)


def _page(
    conversation: Conversation, found: list[Message], limit: int, until: datetime | None
) -> Page:
    has_older = len(found) > limit
    messages = found[:limit][::-1]
    since = messages[0].created_at if messages and has_older else None
    files = _files([m.pk for m in messages])
    # the texts as a person may see them (masked while the privacy scan is pending)
    quoted = [m.reply_to for m in messages if m.reply_to is not None]
    channel = {conversation.channel_id: (conversation.channel.kind, conversation.organisation_id)}
    shown = displayed_bodies([*messages, *quoted], channel)
    sealed = sealed_among(messages)
    entries = [
        Entry(
            at=m.created_at,
            message=m,
            text=shown[m.pk],
            quote=shown.get(m.reply_to_id or 0, ""),
            sealed=m.pk in sealed,
            files=files.get(m.pk, []),
        )
        for m in messages
    ]
    entries += history(conversation, since=since, until=until)
    entries.sort(key=lambda e: (e.at, e.message is not None))
    return Page(
        entries=entries, has_older=has_older, oldest_id=messages[0].pk if messages else None
    )


def _files(message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The attachments of these messages by message, as the timeline shows them (one query,
    plain values: a third of what ``prefetch_related`` costs for a page)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = Attachment.objects.filter(message_id__in=message_ids).order_by("pk")
    for row in rows.values("pk", "message_id", "filename", "content_type", "size"):
        found.setdefault(row["message_id"], []).append(row)
    return found


def _window(qs: QuerySet[Any], since: datetime | None, until: datetime | None) -> QuerySet[Any]:
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs


def _name(agent: Agent | None) -> str:
    return agent.display_name if agent else ""


def history(
    conversation: Conversation, *, since: datetime | None, until: datetime | None
) -> list[Entry]:
    """Status changes, edits and routing's assignments between ``since`` and ``until``."""
    entries: list[Entry] = []
    statuses = StatusChange.objects.filter(conversation=conversation).select_related("actor")
    for row in _window(statuses, since, until).order_by("-at", "-pk")[:EVENTS]:
        text = _("status: %(old)s → %(new)s") % {
            "old": labels.status_label(row.from_status),
            "new": labels.status_label(row.to_status),
        }
        reason = row.reason if row.actor_id else ""  # a person's words, not the system's
        entries.append(Entry(at=row.at, text=text, actor=_name(row.actor), reason=reason))
    changes = ConversationChange.objects.filter(conversation=conversation).select_related("actor")
    for change in _window(changes, since, until).order_by("-at", "-pk")[:EVENTS]:
        entries.append(
            Entry(
                at=change.at,
                text=change_text(change),
                actor=_name(change.actor),
                reason=change.reason,
            )
        )
    records = RoutingRecord.objects.filter(
        conversation=conversation, kind__in=ROUTING_KINDS
    ).select_related("agent", "actor")
    for record in _window(records, since, until).order_by("-at", "-pk")[:EVENTS]:
        entries.append(
            Entry(
                at=record.at,
                text=routing_text(record.kind, _name(record.agent)),
                actor=_name(record.actor),
                reason=record.reason if record.actor_id else "",
            )
        )
    return entries


def change_text(change: ConversationChange) -> str:
    """An edit in words: "onderwerp: Paspoort → Rijbewijs"."""
    values = {"old": change.old_value or "—", "new": change.new_value or "—"}
    texts = {
        "topic": _("topic: %(old)s → %(new)s"),
        "language": _("language: %(old)s → %(new)s"),
        "labels": _("labels: %(new)s"),
        "team": _("transferred to team %(new)s"),
        "assignee": _("transferred to %(new)s"),
    }
    return texts.get(change.field, "%(old)s → %(new)s") % values


def routing_text(kind: str, agent: str) -> str:
    """What routing did, in words: "toegewezen aan Sanne"."""
    texts = {
        "assigned": _("assigned to %(name)s"),
        "accepted": _("assigned to %(name)s"),
        "assigned_by_hand": _("assigned to %(name)s"),
        "offered": _("offered to %(name)s"),
        "declined": _("declined by %(name)s"),
        "timed_out": _("offer to %(name)s lapsed"),
        "enqueued": _("placed in the queue"),
        "moved": _("moved to another topic"),
        "abandoned": _("the caller hung up"),
    }
    return texts.get(kind, kind) % {"name": agent or _("someone")}


def sidebar(user: Any, conversation: Conversation) -> dict[str, Any]:
    """The party's other conversations (those the user may see), addresses, earlier
    klantcontacten and the conversation's labels."""
    visible = access.visible_conversations(user)
    others = list(
        visible.filter(party_id=conversation.party_id)
        .exclude(pk=conversation.pk)
        .select_related("channel", "topic")
        .order_by("-created_at")[:20]
    )
    contacts = list(
        Klantcontact.objects.filter(
            party_id=conversation.party_id, conversation__in=visible.values("pk")
        )
        .select_related("agent")
        .order_by("-plaatsgevonden_op")[:10]
    )
    return {
        "others": others,
        "addresses": list(conversation.party.addresses.order_by("kind", "pk")[:20]),
        "klantcontacten": contacts,
        "labels": list(conversation.labels.order_by("name")),
    }


def edit_choices(conversation: Conversation) -> dict[str, Any]:
    """Topics, languages, labels, teams and colleagues of the organisation, for the forms."""
    organisation_id = conversation.organisation_id
    return {
        "topics": list(Topic.objects.filter(organisation_id=organisation_id).order_by("name")),
        "languages": list(conversation.organisation.languages or []),
        "labels": list(Label.objects.filter(organisation_id=organisation_id)[:200]),
        "teams": list(Team.objects.filter(organisation_id=organisation_id).order_by("name")),
        "colleagues": list(  # the transfer form needs no more (a fifth of the cost)
            Agent.objects.filter(organisation_id=organisation_id)
            .order_by("display_name")
            .values("pk", "display_name")[:500]
        ),
    }
