"""Erasure on request (AVG art. 17) and its refusals with their legal ground (art. 17(3)).

:func:`check_erase` refuses by itself when a legal hold stands (``legal_hold``) or when a
contact falls under a term the archivist marked *keep* (``archiving``); the person deciding may
refuse with a ground too. Granted, every contact of the party is destroyed as the retention job
destroys it and the party goes. Either way the decision is a :class:`RightsRequest` row and an
audit entry; removed counts are :class:`Removal` rows with cause ``erasure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from balie.audit import trail
from balie.conversations.models import Conversation
from balie.core.errors import InvalidInput
from balie.parties.models import Party
from balie.privacy.retention import job
from balie.privacy.retention.models import Disposal, Ground, LegalHold, RightsRequest
from balie.privacy.retention.terms import Terms


@dataclass(frozen=True)
class Decision:
    """The outcome of an erasure request."""

    granted: bool
    ground: str = ""
    counts: dict[str, int] | None = None


def automatic_refusal(party: Party, conversations: Sequence[tuple[int, int, int | None]]) -> str:
    """The ground on which erasure must be refused now, or "" (one or two queries)."""
    ids = [pk for pk, _, _ in conversations]
    held = LegalHold.objects.filter(lifted_at__isnull=True).filter(
        Q(party=party) | Q(conversation_id__in=ids)
    )
    if held.exists():
        return Ground.LEGAL_HOLD
    terms = Terms(party.organisation_id)
    if any(terms.for_contact(ch, tp).disposal == Disposal.KEEP for _, ch, tp in conversations):
        return Ground.ARCHIVING
    return ""


def check_erase(
    request: HttpRequest,
    party: Party,
    *,
    refuse_on: str = "",
    explanation: str = "",
) -> Decision:
    """Erase ``party`` or record the refusal; ``refuse_on`` is a :class:`Ground` to refuse with.

    Raises InvalidInput (nothing written) for an unknown ground, or when the party still has a
    contact in progress (resolve it first: erasure does not break off the answer).
    """
    if refuse_on and refuse_on not in Ground.values:
        raise InvalidInput("unknown_ground")
    if refuse_on and not explanation.strip():
        raise InvalidInput("explanation_required")
    conversations = list(
        Conversation.objects.filter(party=party).values_list("pk", "channel_id", "topic_id")
    )
    ground = refuse_on or automatic_refusal(party, conversations)
    user = request.user
    decided_by = user.get_username() if user.is_authenticated else "system"
    if ground:
        with transaction.atomic():
            RightsRequest.objects.create(
                organisation_id=party.organisation_id,
                party_uuid=str(party.uuid),
                kind=RightsRequest.Kind.ERASURE,
                outcome=RightsRequest.Outcome.REFUSED,
                ground=ground,
                explanation=explanation.strip()[:1000],
                decided_by=decided_by,
            )
            trail.record(
                request=request, action="erase_party", obj=party, result="refused",
                detail={"ground": ground},
            )  # fmt: skip
        return Decision(False, ground)
    open_ones = Conversation.objects.filter(party=party).exclude(status__in=job.ENDED)
    if open_ones.exists():
        raise InvalidInput("contact_in_progress")
    return _erase(request, party, [pk for pk, _, _ in conversations], decided_by)


def _erase(request: HttpRequest, party: Party, ids: list[int], decided_by: str) -> Decision:
    outcome = job.Outcome(party.organisation.slug, dry_run=False)
    uuid, organisation = str(party.uuid), party.organisation
    with transaction.atomic():
        placeholder = job.placeholder_of(organisation)
        for batch in job._batches(ids):
            job.destroy_batch(batch, ("", ""), placeholder, None, outcome)
        outcome.add("parties", ("", ""), job.delete_orphans([party.pk]))
        totals = outcome.totals()
        RightsRequest.objects.create(
            organisation=organisation,
            party_uuid=uuid,
            kind=RightsRequest.Kind.ERASURE,
            outcome=RightsRequest.Outcome.GRANTED,
            decided_by=decided_by,
            counts=totals,
        )
        job.report(organisation, outcome, cause="erasure")
        # last, so the audit chain's head is locked only for the commit
        trail.record(request=request, action="erase_party", obj=party, detail=totals)
    return Decision(True, "", totals)
