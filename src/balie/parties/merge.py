"""One person, many channels: suggesting and merging parties (issue #14).

Every channel creates its own party (a WhatsApp sender, an e-mail sender, a caller). Balie
*suggests* merging two parties of one organisation that share a verified address with the same
normalised value (:mod:`balie.parties.normalise`), on both sides verified; a *person*
(supervisor or administrator) merges, and can undo; a wrong suggestion is dismissed for good.

Merging moves every row that points at the merged party to the survivor: whatever has a
foreign key to ``Party`` in any app (addresses, conversations, klantcontacten, conduct steps
and blocks, legal holds, …), found through Django's model registry so this low layer imports
none of those apps. The :class:`PartyMerge` row lists the ids per model; an undo moves exactly
those back (rows created on the survivor since stay with it). The merged party is kept, marked
``merged_into``. A one-to-one row of another app (the conduct procedure's state) is not
moved but carried by the app that owns it, through :mod:`balie.parties.ports`; a party with a
one-to-one row no app carries (the anonymous placeholder of ``privacy.retention``) is never
merged.

``check_*`` validates, owns the transaction and calls ``do_*`` (STYLE.md). The callers (web,
API) write the audit entries, refusals included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Count, Subquery

from balie.core import clock
from balie.core.errors import Forbidden, InvalidInput, NotFound, WorkflowViolation
from balie.core.events import publish
from balie.parties.events import MergeDismissed, PartiesMerged, PartyMergeUndone
from balie.parties.models import DigitalAddress, MergeDismissal, Party, PartyMerge
from balie.parties.ports import merge_carriers

if TYPE_CHECKING:
    from balie.organisations.models import Agent

MAX_REASON = 2000
#: our own references to parties, which a merge never moves
OWN = {"parties.party", "parties.partymerge", "parties.mergedismissal"}


@dataclass(frozen=True)
class Suggestion:
    """Two parties of one organisation sharing a verified address (lower id first)."""

    first_id: int
    second_id: int
    value: str  # the shared normalised value
    kinds: tuple[str, ...]  # the address kinds carrying it (phone, whatsapp, email)


def may_merge(agent: Agent | None) -> bool:
    """Supervisors and administrators (superusers) decide on merges; agents do not."""
    if agent is None:
        return False
    return agent.role == "supervisor" or bool(agent.user.is_superuser)


def suggestions(organisation_id: int, *, party_id: int | None = None) -> list[Suggestion]:
    """Pairs of live (not merged) parties of the organisation sharing a verified normalised
    phone number or e-mail address, not dismissed; one per pair (the lowest shared value).

    Two queries: the verified addresses whose value more than one party holds (grouped in
    the database through the ``(organisation, normalised)`` index), and the dismissals.
    ``party_id``: only the pairs with that party (the conversation page's hint)."""
    live = DigitalAddress.objects.filter(
        organisation_id=organisation_id, verified=True, party__merged_into__isnull=True
    ).exclude(normalised="")
    shared = (
        live.values("normalised")
        .annotate(parties=Count("party", distinct=True))
        .filter(parties__gt=1)
        .values("normalised")
    )
    if party_id is not None:
        shared = shared.filter(normalised__in=live.filter(party_id=party_id).values("normalised"))
    rows = (
        live.filter(normalised__in=Subquery(shared))
        .order_by("normalised", "party_id")
        .values_list("normalised", "party_id", "kind")
    )
    holders: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for value, owner, kind in rows:
        holders[value][owner].add(kind)
    pairs: dict[tuple[int, int], Suggestion] = {}
    for value, owners in holders.items():
        ids = sorted(owners)
        for i, first in enumerate(ids):
            for second in ids[i + 1 :]:
                if party_id is not None and party_id not in (first, second):
                    continue
                kinds = tuple(sorted(owners[first] | owners[second]))
                pairs.setdefault((first, second), Suggestion(first, second, value, kinds))
    if not pairs:
        return []
    dismissed = set(
        MergeDismissal.objects.filter(
            organisation_id=organisation_id, first_id__in={p[0] for p in pairs}
        ).values_list("first_id", "second_id")
    )
    return [s for key, s in sorted(pairs.items()) if key not in dismissed]


@dataclass(frozen=True)
class Relation:
    """A field of another model pointing at ``Party``."""

    model: type[models.Model]
    field: str
    one_to_one: bool

    @property
    def label(self) -> str:
        """``app.model``, the key of :attr:`PartyMerge.moved`."""
        return self.model._meta.label_lower

    def rows(self, party_id: int) -> models.QuerySet[Any]:
        """The model's rows pointing at the party."""
        return self.model._default_manager.filter(**{self.field: party_id})


def _relations() -> list[Relation]:
    """Every foreign key and one-to-one field of another model that points at ``Party``."""
    found = []
    for rel in Party._meta.get_fields(include_hidden=True):  # hidden: related_name="+"
        if not isinstance(rel, models.ForeignObjectRel) or rel.many_to_many:
            continue
        model = rel.related_model
        if isinstance(model, str) or model._meta.label_lower in OWN:
            continue
        found.append(Relation(model, rel.field.name, bool(rel.one_to_one)))
    return found


def _reason(reason: str, *, required: bool = True) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput("give a reason", code="reason_required")
    if len(text) > MAX_REASON:
        raise InvalidInput("the reason is too long", code="reason_too_long")
    return text


def _require_role(agent: Agent | None) -> Agent:
    if agent is None or not may_merge(agent):
        raise Forbidden("only supervisors merge parties", code="not_supervisor")
    return agent


def _lock_parties(agent: Agent, *ids: int) -> list[Party]:
    """The parties, row-locked in id order; 404 for one the agent may not know (another
    organisation, unless a superuser: they get the cross-organisation refusal)."""
    found = {
        p.pk: p
        for p in Party.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    }
    if len(found) != len(set(ids)):
        raise NotFound("not found")
    if not agent.user.is_superuser and any(
        p.organisation_id != agent.organisation_id for p in found.values()
    ):
        raise NotFound("not found")
    if len({p.organisation_id for p in found.values()}) > 1:
        raise Forbidden("parties of two organisations are never merged", code="cross_organisation")
    return [found[i] for i in ids]


def check_merge_parties(survivor_id: int, merged_id: int, agent: Agent, reason: str) -> PartyMerge:
    """Merge party ``merged_id`` into ``survivor_id`` (see the module) after the checks: the
    role, both visible and of one organisation, distinct, neither merged already, no conduct
    procedure under way on both, no one-to-one row that cannot move (the placeholder)."""
    _require_role(agent)
    text = _reason(reason)
    if survivor_id == merged_id:
        raise InvalidInput("choose two different parties", code="same_party")
    with transaction.atomic():
        survivor, merged = _lock_parties(agent, survivor_id, merged_id)
        if survivor.merged_into_id is not None or merged.merged_into_id is not None:
            raise WorkflowViolation("one of the parties was merged already", code="merged")
        return do_merge_parties(survivor, merged, agent, text)


def _one_to_one_rows(party_id: int) -> dict[str, Any]:
    """The one-to-one rows of other apps that hang on the party, by model label."""
    found: dict[str, Any] = {}
    for rel in _relations():
        if rel.one_to_one:
            row = rel.rows(party_id).first()
            if row is not None:
                found[rel.label] = row
    return found


def do_merge_parties(survivor: Party, merged: Party, agent: Agent, reason: str) -> PartyMerge:
    """Move everything of ``merged`` to ``survivor``, record what moved, mark ``merged``.

    Precondition: inside a transaction, both parties locked (``select_for_update``), of one
    organisation, neither merged; the caller checked the role."""
    carriers = merge_carriers()
    held = {*_one_to_one_rows(survivor.pk), *_one_to_one_rows(merged.pk)}
    if held - carriers.keys():
        raise WorkflowViolation(
            "the organisation's anonymous party is never merged", code="placeholder"
        )
    carried = {
        label: snapshot
        for label in sorted(held)
        if (snapshot := carriers[label].carry(survivor.pk, merged.pk, survivor.organisation_id))
    }
    moved: dict[str, list[int]] = {}
    for rel in _relations():
        if rel.one_to_one:
            continue
        rows = rel.rows(merged.pk)
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            rows.filter(pk__in=ids).update(**{rel.field: survivor.pk})
            moved[rel.label] = sorted({*moved.get(rel.label, []), *ids})
    now = clock.now()
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into"])
    row = PartyMerge.objects.create(
        organisation_id=survivor.organisation_id,
        survivor=survivor,
        merged=merged,
        moved=moved,
        carried=carried,
        reason=reason,
        merged_by=agent,
        merged_at=now,
    )
    publish(
        PartiesMerged(
            merge_id=row.pk,
            survivor_id=survivor.pk,
            merged_id=merged.pk,
            organisation_id=survivor.organisation_id,
            agent_id=agent.pk,
        )
    )
    return row


def check_undo_merge(merge_id: int, agent: Agent, reason: str) -> PartyMerge:
    """Undo a merge: exactly the rows it moved go back (those since deleted or moved on stay
    where they are; rows created on the survivor later stay with it); the merged party is
    live again. Refused when already undone or when the survivor was merged on since (undo
    that one first)."""
    _require_role(agent)
    with transaction.atomic():
        row = PartyMerge.objects.select_for_update(no_key=True).filter(pk=merge_id).first()
        if row is None or (
            not agent.user.is_superuser and row.organisation_id != agent.organisation_id
        ):
            raise NotFound("not found")  # before the reason: ids cannot be probed
        text = _reason(reason)
        if row.undone_at is not None:
            raise WorkflowViolation("this merge was undone already", code="undone")
        survivor, merged = _lock_parties(agent, row.survivor_id, row.merged_id)
        if survivor.merged_into_id is not None:
            raise WorkflowViolation(
                "the kept party was merged again since: undo that merge first",
                code="merged_since",
            )
        return do_undo_merge(row, survivor, merged, agent, text)


def do_undo_merge(
    row: PartyMerge, survivor: Party, merged: Party, agent: Agent, reason: str
) -> PartyMerge:
    """Move back what ``row`` moved (only rows still on the survivor), restore the conduct
    states when the survivor's has not moved on, mark ``merged`` live, record the undo.

    Precondition: inside a transaction, ``row`` and both parties locked."""
    for rel in _relations():
        ids = row.moved.get(rel.label, []) if not rel.one_to_one else []
        if ids:
            rel.rows(survivor.pk).filter(pk__in=ids).update(**{rel.field: merged.pk})
    carriers = merge_carriers()
    for label, snapshot in row.carried.items():
        carriers[label].restore(snapshot, survivor.pk, merged.pk, row.merged_at)
    merged.merged_into = None
    merged.save(update_fields=["merged_into"])
    row.undone_by, row.undone_at, row.undo_reason = agent, clock.now(), reason
    row.save(update_fields=["undone_by", "undone_at", "undo_reason"])
    publish(
        PartyMergeUndone(
            merge_id=row.pk,
            survivor_id=survivor.pk,
            merged_id=merged.pk,
            organisation_id=row.organisation_id,
            agent_id=agent.pk,
        )
    )
    return row


def check_dismiss(first_id: int, second_id: int, agent: Agent, reason: str = "") -> MergeDismissal:
    """Record that two parties are not the same person; they are not suggested again.
    Dismissing a pair twice returns the first dismissal."""
    _require_role(agent)
    text = _reason(reason, required=False)
    if first_id == second_id:
        raise InvalidInput("choose two different parties", code="same_party")
    low, high = sorted((first_id, second_id))
    with transaction.atomic():
        first, second = _lock_parties(agent, low, high)
        existing = MergeDismissal.objects.filter(first=first, second=second).first()
        if existing is not None:
            return existing
        return do_dismiss(first, second, agent, text)


def do_dismiss(first: Party, second: Party, agent: Agent, reason: str) -> MergeDismissal:
    """Write the dismissal of the pair (``first`` the lower id) and publish it.

    Precondition: inside a transaction, both parties locked, not dismissed yet."""
    row = MergeDismissal.objects.create(
        organisation_id=first.organisation_id,
        first=first,
        second=second,
        reason=reason,
        dismissed_by=agent,
        dismissed_at=clock.now(),
    )
    publish(
        MergeDismissed(
            dismissal_id=row.pk,
            first_id=first.pk,
            second_id=second.pk,
            organisation_id=first.organisation_id,
            agent_id=agent.pk,
        )
    )
    return row
