"""Merging two parties by hand, undoing it exactly, and who may (issue #14)."""

from __future__ import annotations

import pytest

from balie.conduct.models import Block, ConductState, ConductStep
from balie.conversations.models import Conversation, Klantcontact
from balie.core import clock
from balie.core.errors import Forbidden, InvalidInput, NotFound, WorkflowViolation
from balie.parties.merge import check_dismiss, check_merge_parties, check_undo_merge
from balie.parties.models import DigitalAddress, Party, PartyMerge
from balie.privacy.retention.models import LegalHold, Placeholder
from tests import factories
from tests.parties.conftest import call, email, whatsapp

pytestmark = pytest.mark.django_db


def _klantcontact(conversation: Conversation) -> Klantcontact:
    return Klantcontact.objects.create(
        organisation=conversation.organisation,
        conversation=conversation,
        party=conversation.party,
        kanaal="telefoon",
        onderwerp="paspoort",
        taal="dut",
        plaatsgevonden_op=clock.now(),
    )


def _everything_of(party: Party) -> dict[str, set[int]]:
    return {
        "addresses": set(DigitalAddress.objects.filter(party=party).values_list("pk", flat=True)),
        "conversations": set(party.conversations.values_list("pk", flat=True)),
        "klantcontacten": set(
            Klantcontact.objects.filter(party=party).values_list("pk", flat=True)
        ),
        "holds": set(LegalHold.objects.filter(party=party).values_list("pk", flat=True)),
        "steps": set(ConductStep.objects.filter(party=party).values_list("pk", flat=True)),
    }


@pytest.fixture
def pair(world):  # type: ignore[no-untyped-def]
    """A WhatsApp party (kept) and a caller with an e-mail, a klantcontact and a legal hold."""
    kept = whatsapp(world.wa, "31612345678")
    caller = call(world.pbx, "06-12345678")
    conversation = caller.conversations.get()
    _klantcontact(conversation)
    LegalHold.objects.create(organisation=world.org, party=caller, reason="bezwaarprocedure")
    factories.DigitalAddressFactory(party=caller, value="jan@example.nl")
    return kept, caller


def test_merging_moves_everything_and_keeps_the_merged_party(world, pair, events) -> None:  # type: ignore[no-untyped-def]
    """Addresses, conversations, klantcontacten and legal holds move; the row lists them."""
    kept, caller = pair
    before_kept, before_caller = _everything_of(kept), _everything_of(caller)
    merge = check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde nummer, zelfde naam")
    after = _everything_of(kept)
    for key in after:
        assert after[key] == before_kept[key] | before_caller[key]
    assert _everything_of(caller) == {key: set() for key in after}
    caller.refresh_from_db()
    assert caller.merged_into_id == kept.pk  # kept, not deleted
    assert merge.moved["parties.digitaladdress"] == sorted(before_caller["addresses"])
    assert merge.moved["conversations.conversation"] == sorted(before_caller["conversations"])
    assert merge.moved["conversations.klantcontact"] == sorted(before_caller["klantcontacten"])
    assert merge.moved["retention.legalhold"] == sorted(before_caller["holds"])
    assert merge.merged_by == world.supervisor
    assert merge.reason == "zelfde nummer, zelfde naam"
    assert [e.merge_id for e in events.named("parties_merged")] == [merge.pk]


def test_undo_restores_exactly_what_moved(world, pair, events) -> None:  # type: ignore[no-untyped-def]
    """After an undo each party holds exactly what it held before the merge."""
    kept, caller = pair
    before = _everything_of(kept), _everything_of(caller)
    merge = check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    check_undo_merge(merge.pk, world.supervisor, "toch twee mensen")
    assert (_everything_of(kept), _everything_of(caller)) == before
    caller.refresh_from_db()
    merge.refresh_from_db()
    assert caller.merged_into_id is None
    assert merge.undone_by == world.supervisor
    assert merge.undo_reason == "toch twee mensen"
    assert [e.merge_id for e in events.named("party_merge_undone")] == [merge.pk]
    with pytest.raises(WorkflowViolation):
        check_undo_merge(merge.pk, world.supervisor, "nog eens")


def test_undo_after_new_activity_leaves_the_new_rows_with_the_survivor(world, pair) -> None:  # type: ignore[no-untyped-def]
    """A call and an e-mail address that arrive after the merge stay with the kept party."""
    kept, caller = pair
    moved_conversation = caller.conversations.get()
    merge = check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    assert call(world.pbx, "06-12345678") == kept  # the caller's number now finds the survivor
    later = set(kept.conversations.values_list("pk", flat=True))
    new_address = factories.DigitalAddressFactory(party=kept, value="nieuw@example.nl")
    check_undo_merge(merge.pk, world.supervisor, "toch twee mensen")
    assert set(kept.conversations.values_list("pk", flat=True)) == later - {moved_conversation.pk}
    assert DigitalAddress.objects.get(pk=new_address.pk).party_id == kept.pk
    assert list(caller.conversations.values_list("pk", flat=True)) == [moved_conversation.pk]


def test_a_conduct_procedure_follows_the_person_and_comes_back(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The caller was warned: after the merge the kept party reads warned, after undo the
    caller does again and the kept party is clear."""
    kept, caller = pair
    now = clock.now()
    ConductState.objects.create(
        party=caller, organisation=world.org, state="warned", updated_at=now
    )
    step = ConductStep.objects.create(
        organisation=world.org, party=caller, step="warn", from_state="named",
        to_state="warned", agent=world.agent, created_at=now,
    )  # fmt: skip
    merge = check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    assert ConductState.objects.get(party=kept).state == "warned"
    assert ConductState.objects.get(party=caller).state == "clear"
    assert ConductStep.objects.get(pk=step.pk).party_id == kept.pk
    check_undo_merge(merge.pk, world.supervisor, "toch twee mensen")
    assert ConductState.objects.get(party=caller).state == "warned"
    assert ConductState.objects.get(party=kept).state == "clear"
    assert ConductStep.objects.get(pk=step.pk).party_id == caller.pk


def test_two_procedures_under_way_are_refused(world, pair) -> None:  # type: ignore[no-untyped-def]
    """Both parties warned or blocked: a supervisor settles conduct first; nothing moves."""
    kept, caller = pair
    now = clock.now()
    for party in pair:
        ConductState.objects.create(
            party=party, organisation=world.org, state="warned", updated_at=now
        )
    Block.objects.create(
        organisation=world.org, party=caller, reason="x", requested_by=world.agent, requested_at=now
    )
    before = _everything_of(caller)
    with pytest.raises(WorkflowViolation) as refused:
        check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    assert refused.value.code == "conduct_both"
    assert _everything_of(caller) == before


def test_the_anonymous_party_is_never_merged(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The organisation's placeholder (anonymised data) is neither kept nor merged."""
    kept, _ = pair
    placeholder = factories.PartyFactory(organisation=world.org)
    Placeholder.objects.create(organisation=world.org, party=placeholder)
    for survivor, merged in ((kept, placeholder), (placeholder, kept)):
        with pytest.raises(WorkflowViolation) as refused:
            check_merge_parties(survivor.pk, merged.pk, world.supervisor, "opruimen")
        assert refused.value.code == "placeholder"


def test_parties_of_two_organisations_are_refused(world, pair) -> None:  # type: ignore[no-untyped-def]
    """A supervisor does not see the other organisation's party (404); an administrator, who
    sees all, is refused the merge."""
    kept, _ = pair
    stranger = factories.PartyFactory(organisation=world.other)
    with pytest.raises(NotFound):
        check_merge_parties(kept.pk, stranger.pk, world.supervisor, "zelfde persoon")
    with pytest.raises(Forbidden) as refused:
        check_merge_parties(kept.pk, stranger.pk, world.admin, "zelfde persoon")
    assert refused.value.code == "cross_organisation"
    with pytest.raises(Forbidden):
        check_dismiss(kept.pk, stranger.pk, world.admin)
    assert Party.objects.get(pk=stranger.pk).merged_into_id is None


def test_agents_may_not_merge_undo_or_dismiss(world, pair) -> None:  # type: ignore[no-untyped-def]
    """Merging is a supervisor's (or administrator's) decision."""
    kept, caller = pair
    with pytest.raises(Forbidden):
        check_merge_parties(kept.pk, caller.pk, world.agent, "zelfde persoon")
    with pytest.raises(Forbidden):
        check_dismiss(kept.pk, caller.pk, world.agent)
    merge = check_merge_parties(kept.pk, caller.pk, world.admin, "zelfde persoon")
    with pytest.raises(Forbidden):
        check_undo_merge(merge.pk, world.agent, "terug")


def test_bad_requests_are_refused_with_a_reason(world, pair) -> None:  # type: ignore[no-untyped-def]
    """No reason, one party twice, a merged party again: each a clear error, nothing moves."""
    kept, caller = pair
    with pytest.raises(InvalidInput) as no_reason:
        check_merge_parties(kept.pk, caller.pk, world.supervisor, "  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(InvalidInput):
        check_merge_parties(kept.pk, kept.pk, world.supervisor, "zelfde")
    check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    third = email(world.mail, "ander@example.nl")
    with pytest.raises(WorkflowViolation):
        check_merge_parties(third.pk, caller.pk, world.supervisor, "zelfde persoon")
    with pytest.raises(WorkflowViolation):
        check_merge_parties(caller.pk, third.pk, world.supervisor, "zelfde persoon")


def test_undo_waits_for_a_later_merge_of_the_survivor(world, pair) -> None:  # type: ignore[no-untyped-def]
    """A → B, then B → C: the first undo is refused until the second is undone."""
    kept, caller = pair
    first = check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    third = email(world.mail, "jan2@example.nl")
    second = check_merge_parties(third.pk, kept.pk, world.supervisor, "zelfde persoon")
    with pytest.raises(WorkflowViolation) as refused:
        check_undo_merge(first.pk, world.supervisor, "terug")
    assert refused.value.code == "merged_since"
    check_undo_merge(second.pk, world.supervisor, "terug")
    check_undo_merge(first.pk, world.supervisor, "terug")
    assert caller.conversations.count() == 1
    assert kept.conversations.count() == 1


def test_dismissing_twice_keeps_the_first(world, pair, events) -> None:  # type: ignore[no-untyped-def]
    """A second dismissal of the pair (either order) returns the first."""
    kept, caller = pair
    first = check_dismiss(kept.pk, caller.pk, world.supervisor, "twee mensen")
    assert check_dismiss(caller.pk, kept.pk, world.supervisor) == first
    assert len(events.named("merge_dismissed")) == 1


def test_retention_keeps_a_merged_party_while_the_merge_stands(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The merged party has nothing of its own left, yet retention keeps it (undo needs it);
    once the kept party is erased, the merge record goes and the merged party with it."""
    from balie.privacy.retention.job import delete_orphans

    kept, caller = pair
    check_merge_parties(kept.pk, caller.pk, world.supervisor, "zelfde persoon")
    assert delete_orphans([caller.pk]) == 0
    assert Party.objects.filter(pk=caller.pk).exists()
    Klantcontact.objects.filter(party=kept).delete()
    LegalHold.objects.filter(party=kept).delete()
    Conversation.objects.filter(party=kept).update(
        party=factories.PartyFactory(organisation=world.org)
    )
    assert delete_orphans([kept.pk]) == 1
    assert not PartyMerge.objects.exists()
    assert delete_orphans([caller.pk]) == 1
