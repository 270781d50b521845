"""What a person is shown of a message's text: masked before anyone sees it.

The scan on receipt (:mod:`balie.privacy.handlers`) masks personal data on unsafe channels,
but it runs as a task after the message is stored: an agent who opens the conversation in that
moment (or an API client, or the inbox's preview) would see the text as received. Every place
that shows a message's text asks :func:`displayed_body` (one message) or
:func:`displayed_texts` / :func:`displayed_bodies` (a page, a fixed number of queries): a
received message on a *guarded* channel (unsafe, and masked at rest by the organisation's
policy) that has no :class:`~balie.privacy.models.Scanned` row yet is masked here, on the fly,
the same way the scan will mask it at rest. Masking is idempotent, so a text masked twice
reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from balie.channels.models import Channel
from balie.conversations.actions.privacy import masked
from balie.conversations.models import Direction, Message
from balie.privacy.detection import REDIRECT_KINDS, detect
from balie.privacy.models import AtRest, Scanned
from balie.privacy.policy import Policy, default, policies


class Text(NamedTuple):
    """A message's text as stored, with what decides whether it is shown as is."""

    message_id: int
    direction: str
    body: str
    channel_id: int


def guarded(rule: Policy) -> bool:
    """Whether received texts on a channel under ``rule`` are masked at rest (and so must
    be masked on display until the scan has done it)."""
    return not rule.safe and rule.at_rest != AtRest.KEEP


def mask_now(text: str) -> str:
    """``text`` with the redirect kinds masked as the scan on receipt masks them."""
    spans = [(s.start, s.end) for s in detect(text) if s.kind in REDIRECT_KINDS]
    return masked(text, spans) if spans else text


def pending(message_ids: Iterable[int]) -> set[int]:
    """Those of ``message_ids`` the scan on receipt has not handled (one query)."""
    ids = set(message_ids)
    if not ids:
        return set()
    done = Scanned.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    return ids - set(done)


def displayed_texts(
    texts: Sequence[Text], channels: dict[int, tuple[str, int]] | None = None
) -> dict[int, str]:
    """The text to show for each message id: as stored, or masked while its scan is pending.

    ``channels`` (optional) maps channel id to ``(kind, organisation id)`` where the caller
    has them; the rest are read. At most three queries (channels, policies, scan marks), none
    when no text is a received one.
    """
    shown = {t.message_id: t.body for t in texts}
    received = [t for t in texts if t.direction == Direction.INBOUND and t.body]
    if not received:
        return shown
    known = dict(channels or {})
    missing = {t.channel_id for t in received} - set(known)
    if missing:
        for pk, kind, organisation_id in Channel.objects.filter(pk__in=missing).values_list(
            "pk", "kind", "organisation_id"
        ):
            known[pk] = (kind, organisation_id)
    rules = policies({organisation_id for _, organisation_id in known.values()})
    at_risk = []
    for t in received:
        kind, organisation_id = known.get(t.channel_id, ("", 0))
        if guarded(rules.get((organisation_id, kind)) or default(kind)):
            at_risk.append(t)
    unscanned = pending(t.message_id for t in at_risk)
    for t in at_risk:
        if t.message_id in unscanned:
            shown[t.message_id] = mask_now(t.body)
    return shown


def _channels(messages: Iterable[Message]) -> dict[int, tuple[str, int]]:
    """The channels already loaded with the messages (``select_related``), by id."""
    found = {}
    for m in messages:
        if Message.channel.is_cached(m):
            found[m.channel_id] = (m.channel.kind, m.channel.organisation_id)
    return found


def displayed_bodies(
    messages: Iterable[Message], channels: dict[int, tuple[str, int]] | None = None
) -> dict[int, str]:
    """:func:`displayed_texts` for message rows (a timeline page, an API page); ``channels``
    as there (the channels loaded with the messages are used too)."""
    rows = list(messages)
    texts = [Text(m.pk, m.direction, m.body, m.channel_id) for m in rows]
    return displayed_texts(texts, {**_channels(rows), **(channels or {})})


def displayed_body(message: Message) -> str:
    """The text of ``message`` as a person may see it now (the one helper every place that
    shows a message calls; see the module)."""
    return displayed_bodies([message])[message.pk]
