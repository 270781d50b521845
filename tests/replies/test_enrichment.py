"""Enrichment on receipt: language, tone and abuse flag per message, the conversation's
language through the conversations action, the agent's correction kept, routing by language."""

from __future__ import annotations

import pytest

from balie.conversations.actions.edit import check_set_language
from balie.conversations.models import Conversation, ConversationChange
from balie.replies.enrichment import on_messages_received
from balie.replies.models import ConversationSpeech, LanguageSource, MessageAnalysis
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

SPANISH = "Hola, necesito ayuda con mi pasaporte, lo perdí en el aeropuerto"
DUTCH = "Goedemorgen, ik wil graag een afspraak maken voor een nieuw paspoort"


@pytest.fixture
def org(db: None):  # type: ignore[no-untyped-def]
    return factories.OrganisationFactory(slug="consulaat", languages=["nl", "es", "en"])


@pytest.fixture
def web(org):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=org, key="web", kind="webchat")


def test_a_spanish_message_sets_the_conversations_language(web, run_tasks, events) -> None:  # type: ignore[no-untyped-def]
    """The first message's language becomes the conversation's, recorded as detected."""
    result = receive(web, SPANISH, email="maria@example.es")
    run_tasks()
    conversation = Conversation.objects.get(pk=result.message.conversation_id)
    assert conversation.language == "es"
    speech = ConversationSpeech.objects.get(conversation=conversation)
    assert speech.language_source == LanguageSource.DETECTED
    assert speech.confidence >= 0.6
    change = ConversationChange.objects.get(conversation=conversation, field="language")
    assert change.actor is None
    assert change.new_value == "es"
    analysis = MessageAnalysis.objects.get(message=result.message)
    assert (analysis.language, analysis.abusive) == ("es", False)


def test_tone_and_abuse_are_stored_per_message_and_flagged(web, run_tasks, events) -> None:  # type: ignore[no-untyped-def]
    """An abusive message is flagged with its triggers and a message_flagged event."""
    receive(web, DUTCH, email="jan@example.nl")
    result = receive(web, "Hoi, jij bent een debiel, ik weet waar je woont", email="jan@example.nl")
    run_tasks()
    analysis = MessageAnalysis.objects.get(message=result.message)
    assert analysis.abusive
    assert {t["category"] for t in analysis.triggers} == {"insult", "threat"}
    assert analysis.tone == "je"
    assert any(r["rule"] == "greeting_informal" for r in analysis.tone_reasons)
    flagged = events.named("message_flagged")
    assert [e.message_id for e in flagged] == [result.message.pk]


def test_a_short_reply_keeps_the_language(web, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """'ok gracias' after a Spanish question does not change the conversation's language."""
    receive(web, SPANISH, email="maria@example.es")
    run_tasks()
    result = receive(web, "ok", email="maria@example.es")
    run_tasks()
    assert Conversation.objects.get(pk=result.message.conversation_id).language == "es"


def test_the_agents_correction_wins_over_later_detection(web, run_tasks, org) -> None:  # type: ignore[no-untyped-def]
    """After an agent sets English, a later Dutch message leaves the language English."""
    agent = factories.AgentFactory(organisation=org)
    result = receive(web, DUTCH, email="jan@example.nl")
    run_tasks()
    check_set_language(result.message.conversation_id, "en", actor=agent)
    receive(
        web,
        "Ik wacht nog steeds op een antwoord op mijn vraag van gisteren",
        email="jan@example.nl",
    )
    run_tasks()
    conversation = Conversation.objects.get(pk=result.message.conversation_id)
    assert conversation.language == "en"
    speech = ConversationSpeech.objects.get(conversation=conversation)
    assert speech.language_source == LanguageSource.AGENT


def test_a_language_given_by_the_channel_is_kept(web, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """The web chat's language choice (set on receipt) is not overwritten by detection."""
    result = receive(web, DUTCH, email="piet@example.nl", language="en")
    run_tasks()
    assert Conversation.objects.get(pk=result.message.conversation_id).language == "en"


def test_running_twice_changes_nothing(web, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """The handler is idempotent: an analysed message is skipped."""
    from balie.conversations.events import MessageReceived

    result = receive(web, SPANISH, email="maria@example.es")
    run_tasks()
    evt = MessageReceived(
        message_id=result.message.pk,
        conversation_id=result.message.conversation_id,
        channel_kind="webchat",
    )
    on_messages_received([evt])
    assert MessageAnalysis.objects.count() == 1
    assert ConversationChange.objects.filter(field="language").count() == 1


def test_a_batch_takes_a_fixed_number_of_queries(
    web, run_tasks, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Twenty messages in ten conversations already in Dutch: one round of reads and writes."""
    from balie.conversations.events import MessageReceived

    results = []
    for i in range(10):
        results.append(receive(web, DUTCH, email=f"p{i}@example.nl"))
    run_tasks()
    for i in range(10):
        results.append(receive(web, DUTCH + " alstublieft", email=f"p{i}@example.nl"))
    evts = [
        MessageReceived(
            message_id=r.message.pk, conversation_id=r.message.conversation_id, channel_kind="x"
        )
        for r in results[10:]
    ]
    with django_assert_max_num_queries(8):
        on_messages_received(evts)
    assert MessageAnalysis.objects.count() == 20


def test_a_spanish_question_goes_to_the_spanish_speaker(web, run_tasks, org) -> None:  # type: ignore[no-untyped-def]
    """Detected on receipt before routing decides: the Spanish speaker gets it."""
    topic = factories.TopicFactory(organisation=org, code="paspoort")
    for name, languages in (("nl_only", {"nl": 5}), ("hablo", {"nl": 3, "es": 5})):
        agent = factories.AgentFactory(
            organisation=org, user__username=name, display_name=name, presence="available"
        )
        for code, level in languages.items():
            factories.AgentLanguageFactory(agent=agent, language=code, proficiency=level)
        factories.AgentSkillFactory(agent=agent, topic=topic, proficiency=3)
        factories.AgentChannelFactory(agent=agent, channel_kind="webchat", capacity=2)
    result = receive(web, SPANISH, email="maria@example.es", topic_code="paspoort")
    run_tasks()
    conversation = Conversation.objects.get(pk=result.message.conversation_id)
    assert conversation.language == "es"
    assert conversation.assignee is not None
    assert conversation.assignee.display_name == "hablo"
