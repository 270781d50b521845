"""The daily retention job: contacts past their term are destroyed, counts stay.

For each organisation and each channel and topic its resolved contacts are on, the term
applies (:mod:`balie.privacy.retention.terms`). A contact past it, on no legal hold, loses its
messages and attachments (the files too, after commit), the content of its klantcontacten, its
subject, its reasons and its digital address; it then points at the organisation's anonymous
party, and the citizen's party goes when nothing else refers to it (a party still in another
conversation stays). What stays is an anonymous shell (channel, topic, times, status) and a
:class:`Removal` row per kind with the counts. The rows other capabilities keep on such a
conversation (conduct steps, back-office tasks, service-level clocks, call records, …) are
deleted or anonymised as :mod:`balie.privacy.retention.holdings` lists, and quarantined mail
goes after its channel's term; nothing else is touched. Past the performance term the agents'
names go from the same contacts.

Work goes in batches of :data:`BATCH` contacts, one transaction each, with a fixed number of
queries per batch whatever the number of messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.deletion import ProtectedError, RestrictedError
from django.db.models.functions import Coalesce

from balie.audit.models import AuditEntry
from balie.conversations.models import (
    Attachment,
    Conversation,
    ConversationChange,
    Klantcontact,
    Message,
    StatusChange,
)
from balie.conversations.workflow import Status
from balie.core import clock
from balie.organisations.models import Organisation
from balie.parties.models import Party
from balie.privacy.retention import holdings
from balie.privacy.retention.models import Data, Disposal, LegalHold, Placeholder, Removal
from balie.privacy.retention.terms import Terms

log = structlog.get_logger(__name__)

BATCH = 500
ENDED = (Status.RESOLVED, Status.CLOSED)
Scope = tuple[str, str]  # (channel kind, topic code)


@dataclass
class Outcome:
    """What a run removed (or, dry, would remove) in one organisation: counts per kind and
    scope, the contacts it concerns, and those it passed by."""

    organisation: str
    dry_run: bool
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    conversations: list[int] = field(default_factory=list)
    held: int = 0
    kept: int = 0

    def add(self, kind: str, scope: Scope, n: int) -> None:
        """Count ``n`` items of ``kind`` (nothing for zero)."""
        if n:
            self.counts[(kind, *scope)] += n

    def totals(self) -> dict[str, int]:
        """Counts per kind over every scope."""
        out: Counter[str] = Counter()
        for (kind, _, _), n in self.counts.items():
            out[kind] += n
        return dict(sorted(out.items()))


def run_daily() -> list[Outcome]:
    """The periodic job (``balie.handlers.PERIODIC``): every organisation, for real."""
    return [apply_retention(org) for org in Organisation.objects.order_by("pk")]


def apply_retention(organisation: Organisation, *, dry_run: bool = False) -> Outcome:
    """Destroy what is past its term in ``organisation`` (or, dry, count it); see the module."""
    now = clock.now()
    outcome = Outcome(organisation.slug, dry_run)
    placeholder = _placeholder(organisation, create=not dry_run)
    held_conversations, held_parties = _holds(organisation)
    terms = Terms(organisation.pk)
    for channel_id, topic_id, scope in _scopes(organisation):
        term = terms.for_contact(channel_id, topic_id)
        due = _ended_before(organisation, channel_id, topic_id, now - timedelta(days=term.days))
        if placeholder is not None:
            due = due.exclude(party_id=placeholder.pk)
        if term.disposal == Disposal.KEEP:
            outcome.kept += due.count()
            continue
        on_hold = Q(pk__in=held_conversations) | Q(party_id__in=held_parties)
        outcome.held += due.filter(on_hold).count()
        ids = list(due.exclude(on_hold).order_by("pk").values_list("pk", flat=True))
        outcome.conversations += ids
        for batch in _batches(ids):
            if dry_run:
                _count(batch, scope, outcome)
            else:
                assert placeholder is not None
                destroy_batch(batch, scope, placeholder, held_parties, outcome)
    if not dry_run:
        _forget_agents(organisation, now, held_conversations, held_parties, outcome)
        _forget_quarantine(organisation, now, terms, outcome)
        report(organisation, outcome, cause="retention")
    log.info(
        "retention_applied",
        organisation=organisation.slug,
        dry_run=dry_run,
        held=outcome.held,
        kept=outcome.kept,
        **outcome.totals(),
    )
    return outcome


def _placeholder(organisation: Organisation, *, create: bool) -> Party | None:
    found = Placeholder.objects.filter(organisation=organisation).select_related("party").first()
    if found is not None:
        return found.party
    if not create:
        return None
    party = Party.objects.create(organisation=organisation, display_name="")
    Placeholder.objects.create(organisation=organisation, party=party)
    return party


def placeholder_of(organisation: Organisation) -> Party:
    """The organisation's anonymous party (created on first use)."""
    party = _placeholder(organisation, create=True)
    assert party is not None
    return party


def _holds(organisation: Organisation) -> tuple[QuerySet[Any], QuerySet[Any]]:
    active = LegalHold.objects.filter(organisation=organisation, lifted_at__isnull=True)
    return (
        active.filter(conversation__isnull=False).values("conversation_id"),
        active.filter(party__isnull=False).values("party_id"),
    )


def _scopes(organisation: Organisation) -> Iterator[tuple[int, int | None, Scope]]:
    rows = (
        Conversation.objects.filter(organisation=organisation, status__in=ENDED)
        .values_list("channel_id", "topic_id", "channel__kind", "topic__code")
        .distinct()
    )
    for channel_id, topic_id, kind, code in rows:
        yield channel_id, topic_id, (kind or "", code or "")


def _ended_before(
    organisation: Organisation, channel_id: int, topic_id: int | None, cutoff: datetime
) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(
        organisation=organisation, channel_id=channel_id, status__in=ENDED
    )
    qs = qs.filter(topic__isnull=True) if topic_id is None else qs.filter(topic_id=topic_id)
    return qs.alias(ended=Coalesce("resolved_at", "updated_at")).filter(ended__lt=cutoff)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _count(batch: list[int], scope: Scope, outcome: Outcome) -> None:
    """The dry run: what the batch would lose (four queries)."""
    outcome.add("conversations", scope, len(batch))
    outcome.add("messages", scope, Message.objects.filter(conversation_id__in=batch).count())
    outcome.add(
        "attachments", scope, Attachment.objects.filter(message__conversation_id__in=batch).count()
    )
    outcome.add(
        "klantcontacten", scope, Klantcontact.objects.filter(conversation_id__in=batch).count()
    )
    parties = Conversation.objects.filter(pk__in=batch).values("party_id")
    others = Conversation.objects.filter(party_id=OuterRef("pk")).exclude(pk__in=batch)
    orphans = (
        Party.objects.filter(pk__in=parties)
        .exclude(Exists(others))
        .exclude(Exists(Klantcontact.objects.filter(party_id=OuterRef("pk")).exclude(
            conversation_id__in=batch
        )))
    )  # fmt: skip
    outcome.add("parties", ("", ""), orphans.count())


def destroy_batch(
    batch: list[int],
    scope: Scope,
    placeholder: Party,
    held_parties: QuerySet[Any] | None,
    outcome: Outcome,
) -> None:
    """Destroy one batch of ended contacts in one transaction; the files go after commit."""
    with transaction.atomic():
        rows = list(
            # key lock: no message may be inserted (its FK) while the content goes
            Conversation.objects.select_for_update()
            .filter(pk__in=batch, status__in=ENDED)
            .values_list("pk", "party_id")
        )
        ids = [pk for pk, _ in rows]
        files = list(
            Attachment.objects.filter(message__conversation_id__in=ids)
            .exclude(file="")
            .values_list("file", flat=True)
        )
        # other capabilities' rows on these conversations first (holdings.ON_DESTROY)
        holdings.destroy_related(ids, lambda kind, n: outcome.add(kind, scope, n))
        _, deleted = Message.objects.filter(conversation_id__in=ids).delete()
        outcome.add("messages", scope, deleted.get(Message._meta.label, 0))
        outcome.add("attachments", scope, deleted.get(Attachment._meta.label, 0))
        outcome.add(
            "klantcontacten",
            scope,
            Klantcontact.objects.filter(conversation_id__in=ids).update(
                inhoud="", party=placeholder
            ),
        )
        StatusChange.objects.filter(conversation_id__in=ids).exclude(reason="").update(reason="")
        ConversationChange.objects.filter(conversation_id__in=ids).exclude(reason="").update(
            reason=""
        )
        outcome.add(
            "conversations",
            scope,
            Conversation.objects.filter(pk__in=ids).update(
                subject="", address=None, party=placeholder
            ),
        )
        outcome.add("parties", ("", ""), delete_orphans({p for _, p in rows}, held_parties))
        transaction.on_commit(lambda: remove_files(files))


def delete_orphans(party_ids: Iterable[int], held_parties: QuerySet[Any] | None = None) -> int:
    """Delete those of ``party_ids`` no conversation or klantcontact refers to any more (their
    digital addresses with them); a party on a legal hold stays. Returns how many went."""
    orphans = (
        Party.objects.filter(pk__in=list(party_ids))
        .exclude(Exists(Conversation.objects.filter(party_id=OuterRef("pk"))))
        .exclude(Exists(Klantcontact.objects.filter(party_id=OuterRef("pk"))))
        .exclude(Exists(Placeholder.objects.filter(party_id=OuterRef("pk"))))
    )
    if held_parties is not None:
        orphans = orphans.exclude(pk__in=held_parties)
    try:
        with transaction.atomic():
            _, deleted = orphans.delete()
            return deleted.get(Party._meta.label, 0)
    except (ProtectedError, RestrictedError):
        # another capability keeps a reference it protects: those parties stay, the rest go
        gone = 0
        for party in orphans:
            try:
                with transaction.atomic():
                    party.delete()
                    gone += 1
            except (ProtectedError, RestrictedError):
                log.info("retention_party_kept", party_id=party.pk, reason="protected")
        return gone


def remove_files(names: Iterable[str]) -> None:
    """Delete attachment files from storage (after the rows are gone)."""
    failed = 0
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            failed += 1
    if failed:  # no file names in the log: they may hold a citizen's name
        log.warning("retention_files_not_removed", count=failed)


def _forget_agents(
    organisation: Organisation,
    now: datetime,
    held_conversations: QuerySet[Any],
    held_parties: QuerySet[Any],
    outcome: Outcome,
) -> None:
    """Past the performance term, contacts no longer say which agent handled them."""
    terms = Terms(organisation.pk, Data.PERFORMANCE)
    for channel_id, topic_id, scope in _scopes(organisation):
        term = terms.for_contact(channel_id, topic_id)
        if term.disposal == Disposal.KEEP:
            continue
        due = _ended_before(organisation, channel_id, topic_id, now - timedelta(days=term.days))
        due = due.exclude(Q(pk__in=held_conversations) | Q(party_id__in=held_parties))
        ids = due.values("pk")
        n = due.filter(assignee__isnull=False).update(assignee=None)
        Klantcontact.objects.filter(conversation_id__in=ids, agent__isnull=False).update(agent=None)
        StatusChange.objects.filter(conversation_id__in=ids, actor__isnull=False).update(actor=None)
        ConversationChange.objects.filter(conversation_id__in=ids, actor__isnull=False).update(
            actor=None
        )
        Message.objects.filter(conversation_id__in=ids, author__isnull=False).update(author=None)
        holdings.forget_agents(ids)  # routing records, calls, conduct steps, tasks, …
        outcome.add("performance", scope, n)


def _forget_quarantine(
    organisation: Organisation, now: datetime, terms: Terms, outcome: Outcome
) -> None:
    """Mail the intake could not store (kept raw, whole) goes after its channel's term for
    contacts, as the contacts it would have become."""
    quarantine = holdings.installed("email_channel.quarantinedmail")
    if quarantine is None:
        return
    rows = quarantine._default_manager.filter(channel__organisation=organisation)
    channels = rows.values_list("channel_id", "channel__kind").distinct()
    for channel_id, kind in channels:
        term = terms.for_contact(channel_id, None)
        if term.disposal == Disposal.KEEP:
            continue
        cutoff = now - timedelta(days=term.days)
        _, deleted = rows.filter(channel_id=channel_id, received_at__lt=cutoff).delete()
        outcome.add("quarantined_mail", (kind, ""), sum(deleted.values()))


def report(organisation: Organisation, outcome: Outcome, *, cause: str) -> None:
    """The anonymous counts as :class:`Removal` rows; a retention run also gets an audit entry
    (an erasure has its own)."""
    now = clock.now()
    Removal.objects.bulk_create(
        Removal(
            organisation=organisation,
            at=now,
            cause=cause,
            kind=kind,
            channel_kind=channel_kind,
            topic_code=topic_code,
            count=n,
        )
        for (kind, channel_kind, topic_code), n in sorted(outcome.counts.items())
    )
    if cause != "retention":
        return
    AuditEntry.objects.create(
        actor_label="retention",
        action="retention_run",
        object_type="organisations.organisation",
        object_id=str(organisation.pk),
        origin="system",
        detail={**outcome.totals(), "held": outcome.held, "kept": outcome.kept},
    )
