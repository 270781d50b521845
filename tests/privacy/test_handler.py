"""The scan on receipt: findings stored, redirect kinds masked on unsafe channels by policy
(the original sealed and readable only by a supervisor, audited), advice for the agent,
special categories marked for the designated team; batched, with a bounded query count."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from balie.audit.models import AuditEntry
from balie.conversations.models import Message
from balie.core.errors import Forbidden
from balie.privacy.handlers import on_messages_received
from balie.privacy.models import (
    Advice,
    AtRest,
    ChannelPolicy,
    Finding,
    PrivacySettings,
    Scanned,
    SealedOriginal,
    SpecialConversation,
)
from balie.privacy.sealed import unseal
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

TEXT = "Mijn BSN is 111222333 en ik woon op Kerkstraat 12a, 3512 AB Utrecht. Bel 0612345678"


def scanned(events, message_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Run the handler on the message_received events of ``message_ids``."""
    on_messages_received(
        [e for e in events.named("message_received") if e.message_id in message_ids]
    )


def test_unsafe_channel_masks_and_seals_by_default(whatsapp, events) -> None:  # type: ignore[no-untyped-def]
    """On WhatsApp the BSN and address are masked (same length), the phone number kept, the
    original sealed, the agent advised, and message_masked names the kinds only."""
    message = receive(whatsapp, TEXT).message
    scanned(events, [message.pk])
    message.refresh_from_db()
    assert "111222333" not in message.body
    assert "Kerkstraat" not in message.body
    assert len(message.body) == len(TEXT)
    assert "0612345678" in message.body
    assert message.body.startswith("Mijn BSN is •••••••••")
    kinds = set(Finding.objects.filter(message_id=message.pk).values_list("kind", flat=True))
    assert kinds == {"bsn", "address", "phone"}
    sealed = SealedOriginal.objects.get(message_id=message.pk)
    assert sealed.content == {"body": TEXT}
    advice = Advice.objects.get(message_id=message.pk)
    assert advice.kinds == ["address", "bsn"]
    assert advice.resolved_at is None
    [masked] = events.named("message_masked")
    assert masked.kinds == ["address", "bsn"]  # type: ignore[attr-defined]
    assert "111222333" not in str(masked.to_payload())


def test_safe_channel_keeps_the_text(channel, events) -> None:  # type: ignore[no-untyped-def]
    """On a safe channel (the API / web form) the findings are stored; the text stays."""
    message = receive(channel, TEXT).message
    scanned(events, [message.pk])
    message.refresh_from_db()
    assert message.body == TEXT
    assert Finding.objects.filter(message_id=message.pk).count() == 3
    assert not Advice.objects.exists()
    assert not SealedOriginal.objects.exists()


@pytest.mark.parametrize(("at_rest", "masked", "sealed"), [
    (AtRest.MASKED, True, False), (AtRest.KEEP, False, False), (AtRest.SEALED, True, True),
])  # fmt: skip
def test_policy_at_rest(whatsapp, organisation, events, at_rest, masked, sealed) -> None:  # type: ignore[no-untyped-def]
    """The organisation's policy decides: masked only, kept, or masked with a sealed original."""
    ChannelPolicy.objects.create(
        organisation=organisation, channel_kind="whatsapp", safe=False, at_rest=at_rest
    )
    message = receive(whatsapp, TEXT).message
    scanned(events, [message.pk])
    message.refresh_from_db()
    assert ("111222333" not in message.body) is masked
    assert SealedOriginal.objects.filter(message_id=message.pk).exists() is sealed
    assert Advice.objects.filter(message_id=message.pk).exists()


def test_run_twice_changes_nothing(whatsapp, events) -> None:  # type: ignore[no-untyped-def]
    """The handler is idempotent (a task may run more than once)."""
    message = receive(whatsapp, TEXT).message
    scanned(events, [message.pk])
    body = Message.objects.get(pk=message.pk).body
    scanned(events, [message.pk])
    assert Message.objects.get(pk=message.pk).body == body
    assert Finding.objects.filter(message_id=message.pk).count() == 3
    assert Advice.objects.count() == 1
    assert SealedOriginal.objects.count() == 1


def test_batch_query_count(whatsapp, events, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """A batch of 30 messages, 10 with personal data, costs a fixed number of queries."""
    ids = []
    for n in range(30):
        text = TEXT if n % 3 == 0 else f"Hoe vraag ik een paspoort aan? ({n})"
        ids.append(receive(whatsapp, text, email=f"burger{n}@example.nl").message.pk)
    with django_assert_max_num_queries(14):
        scanned(events, ids)
    assert Advice.objects.count() == 10


def test_messages_without_findings_cost_three_queries(
    whatsapp, events, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Nothing found on an unsafe channel: one read, the policies, one INSERT of the marks."""
    ids = [
        receive(whatsapp, f"Goedemorgen {n}", email=f"b{n}@example.nl").message.pk
        for n in range(20)
    ]
    with django_assert_num_queries(3):
        scanned(events, ids)
    assert Scanned.objects.filter(message_id__in=ids).count() == 20


def test_safe_channel_without_findings_writes_nothing(
    channel, events, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Nothing found on a safe channel: one read and the policies; no scan marks."""
    ids = [receive(channel, f"Goedemorgen {n}").message.pk for n in range(5)]
    with django_assert_num_queries(2):
        scanned(events, ids)
    assert not Scanned.objects.exists()


def test_special_category_goes_to_the_designated_team(whatsapp, organisation, events) -> None:  # type: ignore[no-untyped-def]
    """A medical or criminal cue marks the conversation for the organisation's team."""
    team = factories.TeamFactory(organisation=organisation, slug="casemanagers")
    PrivacySettings.objects.create(organisation=organisation, special_team=team)
    message = receive(whatsapp, "Mijn broer zit in de gevangenis en is ziek").message
    scanned(events, [message.pk])
    special = SpecialConversation.objects.get(conversation_id=message.conversation_id)
    assert special.team == team
    assert special.kinds == ["criminal", "medical"]


def test_sealed_original_for_supervisors_only_and_audited(whatsapp, organisation, events) -> None:  # type: ignore[no-untyped-def]
    """A supervisor reads the original (audited); an agent is refused (audited too)."""
    message = receive(whatsapp, TEXT).message
    scanned(events, [message.pk])
    supervisor = factories.AgentFactory(organisation=organisation, is_supervisor=True)
    plain = factories.AgentFactory(organisation=organisation)
    request = RequestFactory().get("/")
    request.user = supervisor.user
    assert unseal(request, message.pk, "klacht") == TEXT
    request.user = plain.user
    with pytest.raises(Forbidden):
        unseal(request, message.pk, "nieuwsgierig")
    results = list(
        AuditEntry.objects.filter(action="privacy.unseal").values_list("result", flat=True)
    )
    assert sorted(results) == ["refused", "success"]


def test_masking_is_pushed_to_the_open_conversation() -> None:
    """message_masked goes to the agents' browsers, so an open page shows the masked text."""
    from balie.handlers import HANDLERS

    assert any(h.path == "balie.web.realtime.push" for h in HANDLERS["message_masked"])
