"""The scan on receipt: an enrichment handler, batched like the others (ADR 0004).

For every received message: store what was found (kind and span); on an unsafe channel, mask
the redirect kinds by the channel's policy (sealing the original first when the policy keeps
it), and advise the agent; mark a conversation with medical or criminal data for the
organisation's designated team. Idempotent: a masked text has nothing left to find, and every
row is written once (unique keys, conflicts ignored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import structlog
from django.db import transaction

from balie.conversations.actions.privacy import do_mask_messages
from balie.conversations.events import MessageReceived
from balie.conversations.models import Direction, Message
from balie.core import clock
from balie.core.events import batch
from balie.privacy.detection import REDIRECT_KINDS, SPECIAL_KINDS, Span, detect
from balie.privacy.display import guarded
from balie.privacy.models import (
    Advice,
    AtRest,
    Finding,
    PrivacySettings,
    Scanned,
    SealedOriginal,
    SpecialConversation,
)
from balie.privacy.policy import Policy, default, policies

log = structlog.get_logger(__name__)


class Found(NamedTuple):
    message_id: int
    body: str
    conversation_id: int
    organisation_id: int
    channel_kind: str
    spans: list[Span]


def on_messages_received(evts: Sequence[MessageReceived]) -> None:
    """Scan the received messages; one read, then writes only where something was found or
    a guarded channel's message must be marked scanned (:mod:`balie.privacy.display`)."""
    rows = list(
        Message.objects.filter(pk__in=[e.message_id for e in evts], direction=Direction.INBOUND)
        .exclude(body="")
        .values_list(
            "pk", "body", "conversation_id", "conversation__organisation_id", "channel__kind"
        )
    )
    if not rows:
        return
    rules = policies({organisation_id for _, _, _, organisation_id, _ in rows})
    found: list[Found] = []
    scanned: list[int] = []
    for pk, body, conversation_id, organisation_id, kind in rows:
        if guarded(rules.get((organisation_id, kind)) or default(kind)):
            scanned.append(pk)
        spans = detect(body)
        if spans:
            found.append(Found(pk, body, conversation_id, organisation_id, kind, spans))
    if found:
        _store(found, rules, scanned)
    elif scanned:  # nothing to mask: the marks alone (one INSERT)
        Scanned.objects.bulk_create(
            [Scanned(message_id=pk) for pk in scanned], ignore_conflicts=True
        )


def _store(found: list[Found], rules: dict[tuple[int, str], Policy], scanned: list[int]) -> None:
    """Write what the scan found; the scan marks go in the same transaction as the masking,
    so a message is never marked scanned before its text is masked."""
    now = clock.now()
    findings: list[Finding] = []
    advice: list[Advice] = []
    sealed: list[SealedOriginal] = []
    to_mask: dict[int, dict[int, list[tuple[int, int, str]]]] = defaultdict(dict)
    special: dict[int, tuple[int, set[str]]] = {}
    for pk, body, conversation_id, organisation_id, kind, spans in found:
        findings += [
            Finding(
                message_id=pk,
                conversation_id=conversation_id,
                kind=s.kind,
                start=s.start,
                end=s.end,
            )
            for s in spans
        ]
        rule = rules.get((organisation_id, kind)) or default(kind)
        redirect = [(s.start, s.end, s.kind) for s in spans if s.kind in REDIRECT_KINDS]
        if redirect and not rule.safe:
            advice.append(
                Advice(
                    conversation_id=conversation_id,
                    message_id=pk,
                    kinds=sorted({k for _, _, k in redirect}),
                    created_at=now,
                )
            )
            if rule.at_rest == AtRest.SEALED:
                original = {"body": body}  # EncryptedJSONField takes a dict
                sealed.append(
                    SealedOriginal(message_id=pk, content=original, sealed_at=now)  # type: ignore[misc]
                )
            if rule.at_rest in (AtRest.SEALED, AtRest.MASKED):
                to_mask[organisation_id][pk] = redirect
        kinds = {s.kind for s in spans if s.kind in SPECIAL_KINDS}
        if kinds:
            special.setdefault(conversation_id, (organisation_id, set()))[1].update(kinds)
    with transaction.atomic(), batch():
        Finding.objects.bulk_create(findings, ignore_conflicts=True)
        Advice.objects.bulk_create(advice, ignore_conflicts=True)
        SealedOriginal.objects.bulk_create(sealed, ignore_conflicts=True)
        for organisation_id, spans_of in to_mask.items():
            do_mask_messages(spans_of, organisation_id=organisation_id)
        if special:
            _mark_special(special, now)
        Scanned.objects.bulk_create(
            [Scanned(message_id=pk) for pk in scanned], ignore_conflicts=True
        )
    log.info(
        "privacy_scanned",
        messages=len(found),
        findings=len(findings),
        masked=sum(len(m) for m in to_mask.values()),
        special=len(special),
    )


def _mark_special(special: dict[int, tuple[int, set[str]]], now: datetime) -> None:
    teams = dict(
        PrivacySettings.objects.filter(
            organisation_id__in={o for o, _ in special.values()}
        ).values_list("organisation_id", "special_team_id")
    )
    SpecialConversation.objects.bulk_create(
        [
            SpecialConversation(
                conversation_id=conversation_id,
                team_id=teams.get(organisation_id),
                kinds=sorted(kinds),
                found_at=now,
            )
            for conversation_id, (organisation_id, kinds) in special.items()
        ],
        ignore_conflicts=True,
    )
