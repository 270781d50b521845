"""What other capabilities hold about a party and its conversations, as data: what an access
export shows of each, and what the retention job does with each when it destroys a
conversation's content.

The privacy app sits beside conduct, back office and routing and below the channel adapters
(DESIGN.md's layers), so it names their tables by label (``apps.get_model``) instead of
importing them: this module is the one list of them. ``tests/privacy/test_holdings.py`` walks
every installed model's relations to a party, a conversation, a message or a klantcontact and
fails when one is in neither table, so a new capability cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps
from django.db.models import CharField, F, Model, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: the tables whose rows are about a person: a relation to one of them makes a holding
PERSONAL = frozenset(
    {
        "parties.party",
        "parties.digitaladdress",
        "conversations.conversation",
        "conversations.message",
        "conversations.klantcontact",
    }
)
#: the tables a conversation's content lives in (what the retention job walks)
PER_CONVERSATION = frozenset(
    {"conversations.conversation", "conversations.message", "conversations.klantcontact"}
)


# --- access (AVG art. 15) ------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One readable part of the export: the rows of ``model`` reached from the party by
    ``party`` (a lookup), the ``fields`` with their column titles, oldest first."""

    key: str
    model: str
    title: Promise
    party: str
    fields: tuple[tuple[str, Promise], ...]
    order: str = "pk"


SECTIONS: tuple[Section, ...] = (
    Section(
        "conduct_state", "conduct.conductstate", _("Conduct procedure"), "party",
        (("state", _("state")), ("updated_at", _("since"))),
    ),
    Section(
        "conduct_steps", "conduct.conductstep", _("Steps about conduct"), "party",
        (
            ("created_at", _("when")), ("conversation_id", _("conversation")),
            ("step", _("step")), ("to_state", _("state after")), ("reason", _("reason")),
            ("body", _("message text")), ("not_sent", _("not sent because")),
        ),
    ),
    Section(
        "conduct_blocks", "conduct.block", _("Blocks"), "party",
        (
            ("requested_at", _("requested")), ("conversation_id", _("conversation")),
            ("state", _("state")), ("until", _("until")), ("reason", _("reason")),
            ("ended_at", _("ended")), ("end_reason", _("reason for ending")),
        ),
    ),
    Section(
        "service_levels", "sla.outcome", _("Response times"), "conversation__party",
        (
            ("conversation_id", _("conversation")), ("target", _("target")),
            ("met", _("met")), ("started_at", _("from")), ("due_at", _("due")),
            ("completed_at", _("done")),
        ),
    ),
    Section(
        "privacy_findings", "privacy.finding", _("Personal data found in messages"),
        "conversation__party",
        (
            ("conversation_id", _("conversation")), ("message_id", _("message")),
            ("kind", _("kind")), ("start", _("from character")), ("end", _("to character")),
        ),
    ),
    Section(
        "privacy_advice", "privacy.advice", _("Warnings about personal data"),
        "conversation__party",
        (
            ("created_at", _("when")), ("conversation_id", _("conversation")),
            ("kinds", _("kinds")), ("resolved_at", _("answered")),
        ),
    ),
    Section(
        "special_categories", "privacy.specialconversation", _("Special categories"),
        "conversation__party",
        (("found_at", _("when")), ("conversation_id", _("conversation")), ("kinds", _("kinds"))),
    ),
    Section(
        "call_backs", "privacy.callbackrequest", _("Call-back requests"), "conversation__party",
        (("created_at", _("when")), ("conversation_id", _("conversation")), ("state", _("state"))),
    ),
    Section(
        "backoffice_tasks", "backoffice.task", _("Forwarded to the back office"),
        "conversation__party",
        (
            ("created_at", _("when")), ("conversation_id", _("conversation")),
            ("requested_action", _("question")), ("state", _("state")), ("due_at", _("due")),
            ("answer", _("answer")), ("closed_at", _("closed")),
        ),
    ),
    Section(
        "out_of_hours", "backoffice.outofhoursarrival", _("Written outside opening hours"),
        "conversation__party",
        (
            ("arrived_at", _("arrived")), ("conversation_id", _("conversation")),
            ("opens_at", _("next opening")), ("replied", _("automatic reply")),
            ("check_sent_at", _("asked if still needed")),
            ("check_answered_at", _("answered")), ("closed_at", _("closed")),
        ),
    ),
    Section(
        "calls", "phone.call", _("Phone calls"), "conversation__party",
        (
            ("queued_at", _("called")), ("conversation_id", _("conversation")),
            ("answered_at", _("answered")), ("ended_at", _("ended")),
            ("abandoned", _("hung up while waiting")), ("wait_s", _("seconds waited")),
            ("talk_s", _("seconds talked")),
        ),
    ),
    Section(
        "text_analysis", "replies.messageanalysis", _("What Balie read from messages"),
        "conversation__party",
        (
            ("analysed_at", _("when")), ("message_id", _("message")),
            ("language", _("language")), ("tone", _("form of address")),
            ("abusive", _("possibly abusive")),
        ),
    ),
    Section(
        "conversation_tone", "replies.conversationspeech", _("Language and tone per conversation"),
        "conversation__party",
        (
            ("conversation_id", _("conversation")), ("detected_language", _("language")),
            ("tone", _("form of address")), ("updated_at", _("since")),
        ),
    ),
    Section(
        "web_chat_sessions", "webchat.visitorsession", _("Web chat sessions"),
        "conversation__party",
        (
            ("created_at", _("started")), ("conversation_id", _("conversation")),
            ("visitor_id", _("visitor")), ("verified", _("identity verified")),
            ("last_seen_at", _("last seen")),
        ),
    ),
)  # fmt: skip

#: exported by :func:`balie.privacy.retention.export.collect` itself
EXPORTED_BY_COLLECT = frozenset(
    {
        "parties.party",
        "parties.digitaladdress",
        "conversations.conversation",
        "conversations.message",  # with its e-mail metadata and whether an original is sealed
        "conversations.attachment",
        "conversations.klantcontact",
        "retention.legalhold",
    }
)

#: tables with a relation to a person's rows that the export leaves out, and why
NOT_EXPORTED: dict[str, str] = {
    "conversations.conversationchange": "the organisation's handling history (topic, team, "
    "assignee); the conversation's current topic, status and times are exported",
    "conversations.statuschange": "the organisation's handling history; the conversation's "
    "status and times are exported",
    "conversations.mention": "colleagues named in internal notes, which are the organisation's",
    "channels.outboxentry": "the delivery queue of outbound messages; the messages are exported",
    "email_channel.pendingreply": "a technical link from a reply to the Message-ID of its "
    "parent; the message with its e-mail headers is exported",
    "backoffice.taskmessage": "which messages went along with a task; both are exported",
    "privacy.sealedoriginal": "the text as received: each message says whether its original "
    "is sealed (original_sealed); a supervisor reads it through the audited unseal",
    "privacy.scanned": "a technical mark that the privacy scan ran",
    "routing.queueentry": "a place in the queue while the conversation waits",
    "routing.routingrecord": "how the work went among the agents: about staff, not the person",
    "sla.clock": "the running clock of an open conversation; its outcomes are exported",
    "retention.placeholder": "the organisation's anonymous party: nobody's data",
    "parties.partymerge": "staff merged two parties: what they hold is exported under the "
    "party that remains",
    "parties.mergedismissal": "staff noted two parties are different people (merge hints)",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def installed(label: str) -> type[Model] | None:
    """The model of ``label`` when its app is installed (a deployment may leave one out)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def export_sections(party: Any) -> dict[str, list[dict[str, Any]]]:
    """Every section's rows about ``party`` (one query a section), plain JSON values."""
    out: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        model = installed(section.model)
        if model is None:
            continue
        names = [name for name, _title in section.fields]
        rows = model._default_manager.filter(**{section.party: party}).order_by(section.order)
        out[section.key] = [
            {name: _plain(value) for name, value in row.items()} for row in rows.values(*names)
        ]
    return out


# --- retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What the retention job does with a table's rows of destroyed conversations.

    ``delete``; ``anonymise`` (``values``: field → new value, or a function of the table
    giving an expression); ``cascade`` (deleted with the messages: a CASCADE relation to a
    message); ``keep`` (``reason`` says why).
    """

    action: str
    reason: str
    values: dict[str, Any] = field(default_factory=dict)
    #: the lookup from the table to the conversation
    via: str = "conversation"
    #: the kind in the removal report
    kind: str = ""


def _removed_id() -> Any:
    """A unique, meaningless identifier in place of one (``removed-<row id>``)."""
    return Concat(Value("removed-"), Cast(F("pk"), CharField()))


ON_DESTROY: dict[str, Rule] = {
    # conversations: handled by the job itself (job.destroy_batch)
    "conversations.conversation": Rule("keep", "kept as an anonymous shell (channel, topic, "
                                      "times, status) for the counts; party and subject go"),
    "conversations.message": Rule("keep", "deleted by the job itself (destroy_batch)"),
    "conversations.attachment": Rule("cascade", "deleted with its message; files after commit"),
    "conversations.mention": Rule("cascade", "deleted with its note"),
    "conversations.klantcontact": Rule("keep", "its content emptied and its party made the "
                                      "anonymous one by the job itself"),
    "conversations.conversationchange": Rule("keep", "reasons emptied by the job itself"),
    "conversations.statuschange": Rule("keep", "reasons emptied by the job itself"),
    "channels.outboxentry": Rule("cascade", "deleted with its message"),
    "email_channel.pendingreply": Rule("cascade", "deleted with its message"),
    "privacy.finding": Rule("cascade", "deleted with its message"),
    "privacy.sealedoriginal": Rule("cascade", "deleted with its message"),
    "privacy.scanned": Rule("cascade", "deleted with its message"),
    "privacy.advice": Rule("cascade", "deleted with its message"),
    "replies.messageanalysis": Rule("cascade", "deleted with its message"),
    "backoffice.taskmessage": Rule("cascade", "deleted with its message"),
    "retention.legalhold": Rule("keep", "a conversation on hold is never destroyed"),
    "sla.outcome": Rule("keep", "anonymous outcomes (target, met, times) for the reports; "
                       "the conversation they name is an anonymous shell"),
    # rows of other capabilities that hang on the conversation
    "privacy.specialconversation": Rule("delete", "", kind="special_categories"),
    "privacy.callbackrequest": Rule("delete", "", kind="call_backs"),
    "routing.queueentry": Rule("delete", "", kind="queue_entries"),
    "replies.conversationspeech": Rule("delete", "", kind="conversation_tone"),
    "sla.clock": Rule("delete", "", kind="sla_clocks"),
    "backoffice.outofhoursarrival": Rule("delete", "", kind="out_of_hours"),
    "webchat.visitorsession": Rule("delete", "", kind="web_chat_sessions"),
    "routing.routingrecord": Rule("anonymise", "", {"reason": ""}, kind="routing_reasons"),
    "conduct.conductstep": Rule(
        "anonymise", "", {"reason": "", "body": "", "not_sent": ""}, kind="conduct_steps"
    ),
    "conduct.block": Rule("anonymise", "", {"reason": "", "end_reason": ""}, kind="blocks"),
    "backoffice.task": Rule(
        "anonymise", "", {"requested_action": "", "answer": "", "mail_message_id": ""},
        kind="backoffice_tasks",
    ),
    "backoffice.taskstep": Rule(
        "anonymise", "", {"reason": ""}, via="task__conversation", kind="backoffice_steps"
    ),
    "phone.call": Rule("anonymise", "", {"call_id": _removed_id}, kind="calls"),
}  # fmt: skip


def destroy_related(conversation_ids: list[int], count: Callable[[str, int], None]) -> None:
    """Delete or anonymise the rows of other capabilities that hang on the conversations
    ``conversation_ids`` (their content being destroyed), by :data:`ON_DESTROY`; ``count``
    gets each kind's number. One statement per table. Precondition: inside the job's
    transaction, the conversations locked."""
    for label, rule in ON_DESTROY.items():
        if rule.action not in ("delete", "anonymise"):
            continue
        model = installed(label)
        if model is None:
            continue
        rows = model._default_manager.filter(**{f"{rule.via}_id__in": conversation_ids})
        if rule.action == "delete":
            _, deleted = rows.delete()
            count(rule.kind, deleted.get(model._meta.label, 0))
            continue
        plain = {k: v for k, v in rule.values.items() if not callable(v)}
        made = {k: v() for k, v in rule.values.items() if callable(v)}
        if made:  # identifiers replaced once (a later run finds them replaced)
            todo = rows.exclude(**{f"{k}__startswith": "removed-" for k in made})
        else:  # only rows that still hold something count
            todo = rows.filter(reduce(or_, (~Q(**{k: v}) for k, v in plain.items())))
        count(rule.kind, todo.update(**plain, **made))


# --- agent performance data ---------------------------------------------------------------

#: past the performance term a contact stops naming the agents who handled it, in these
#: tables too: label → (the lookup to the conversation, the relations to an agent)
AGENT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "routing.routingrecord": ("conversation", ("agent", "actor")),
    "phone.call": ("conversation", ("agent",)),
    "conduct.conductstep": ("conversation", ("agent",)),
    "backoffice.task": ("conversation", ("created_by", "return_to", "answered_by")),
    "backoffice.taskstep": ("task__conversation", ("actor",)),
    "privacy.advice": ("conversation", ("resolved_by",)),
    "privacy.callbackrequest": ("conversation", ("requested_by",)),
}


def forget_agents(conversations: Any) -> int:
    """Clear the agents in :data:`AGENT_FIELDS` rows of ``conversations`` (a queryset of
    conversation ids); one UPDATE a table. Returns how many rows changed."""
    changed = 0
    for label, (via, names) in AGENT_FIELDS.items():
        model = installed(label)
        if model is None:
            continue
        rows = model._default_manager.filter(**{f"{via}__in": conversations})
        named = reduce(or_, (Q(**{f"{name}__isnull": False}) for name in names))
        changed += rows.filter(named).update(**dict.fromkeys(names))
    return changed
