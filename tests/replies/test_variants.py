"""Tone variants of WhatsApp templates (the ``<name>_u`` / ``<name>_je`` naming rule): the
composer offers the variant of the conversation's tone and language, Balie's own notices get
the variant by base name, and the live tone cue is published when new messages give one."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from balie.channels.whatsapp.templates import register_template, reply_options, variant_named
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Message
from balie.core import clock
from balie.replies.library import check_choose_tone
from balie.replies.variants import pick, split_tone
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db: None):  # type: ignore[no-untyped-def]
    return factories.OrganisationFactory(slug="gemeente", languages=["nl", "en"])


@pytest.fixture
def whatsapp(org):  # type: ignore[no-untyped-def]
    channel = factories.ChannelFactory(organisation=org, key="wa", kind="whatsapp")
    for name, language, body in (
        ("afspraak_u", "nl", "Beste {{1}}, uw afspraak is op {{2}}."),
        ("afspraak_je", "nl", "Hoi {{1}}, je afspraak is op {{2}}."),
        ("afspraak_u", "en_US", "Dear {{1}}, your appointment is on {{2}}."),
        ("algemeen", "nl", "We hebben een vraag over uw bericht."),
        ("alleen_je", "nl", "Hoi, nog even over je vraag."),
    ):
        register_template(channel, name, language, body=body, status="APPROVED")
    register_template(channel, "termijn_je", "nl", body="in review")  # not approved
    return channel


@pytest.fixture
def agent(org):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(organisation=org, user__username="sanne")


def _conversation(channel, agent, text="Goedemorgen, kunt u mij helpen?"):  # type: ignore[no-untyped-def]
    conversation = receive(channel, text, name="Maria Jansen").message.conversation
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    return conversation


def _names(conversation) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    conversation.refresh_from_db()
    return [(t.name, t.language) for t in reply_options(conversation, clock.now()).templates]


def test_split_tone_reads_the_naming_rule() -> None:
    """``_u`` and ``_je`` at the end name a tone; anything else is tone-less."""
    assert split_tone("afspraak_herinnering_u") == ("afspraak_herinnering", "u")
    assert split_tone("afspraak_je") == ("afspraak", "je")
    assert split_tone("menu") == ("menu", "")
    assert split_tone("_u") == ("_u", "")
    assert split_tone("bureau") == ("bureau", "")


def test_pick_prefers_language_then_tone() -> None:
    """Per base name: the language first (en_US counts as en, else Dutch), then the tone
    (else the tone-less variant, else the other)."""
    items = [("a_u", "nl"), ("a_je", "nl"), ("a_u", "en_US"), ("b", "nl"), ("c_u", "nl")]

    def chosen(language: str, tone: str) -> list[tuple[str, str]]:
        return pick(
            items,
            name=lambda i: i[0],
            language=lambda i: i[1],
            wanted_language=language,
            wanted_tone=tone,
        )

    assert chosen("nl", "je") == [("a_je", "nl"), ("b", "nl"), ("c_u", "nl")]
    assert chosen("nl", "u") == [("a_u", "nl"), ("b", "nl"), ("c_u", "nl")]
    assert chosen("en", "je") == [("a_u", "en_US"), ("b", "nl"), ("c_u", "nl")]
    assert chosen("es", "je") == [("a_je", "nl"), ("b", "nl"), ("c_u", "nl")]


def test_the_template_picker_follows_the_chosen_tone(whatsapp, agent) -> None:  # type: ignore[no-untyped-def]
    """Formal by default; after the agent chooses je the je variants are offered; approved
    templates only, one per base name."""
    conversation = _conversation(whatsapp, agent)
    assert _names(conversation) == [
        ("afspraak_u", "nl"), ("algemeen", "nl"), ("alleen_je", "nl"),
    ]  # fmt: skip
    check_choose_tone(conversation.pk, "je", actor=agent)
    assert _names(conversation) == [
        ("afspraak_je", "nl"), ("algemeen", "nl"), ("alleen_je", "nl"),
    ]  # fmt: skip


def test_the_suggested_tone_picks_the_variant_without_a_choice(whatsapp, agent, run_tasks) -> None:  # type: ignore[no-untyped-def]
    """A citizen writing 'hoi … jij' gets the je variant offered, nobody chose it."""
    conversation = _conversation(whatsapp, agent, "Hoi! Kun jij me helpen met mijn paspoort? 😊")
    run_tasks()
    assert ("afspraak_je", "nl") in _names(conversation)
    assert ("afspraak_u", "nl") not in _names(conversation)


def test_english_conversations_get_the_english_variant(whatsapp, agent) -> None:  # type: ignore[no-untyped-def]
    """An English conversation is offered afspraak_u in en_US (English has one register)."""
    conversation = _conversation(whatsapp, agent)
    type(conversation).objects.filter(pk=conversation.pk).update(language="en")
    check_choose_tone(conversation.pk, "je", actor=agent)
    assert ("afspraak_u", "en_US") in _names(conversation)


def test_balies_own_notice_gets_the_variant_by_base_name(whatsapp, agent) -> None:  # type: ignore[no-untyped-def]
    """A notice naming 'afspraak' (or one variant of it) gets the conversation's variant; an
    unapproved or unknown template is None."""
    conversation = _conversation(whatsapp, agent)
    assert variant_named(conversation, "afspraak").name == "afspraak_u"  # type: ignore[union-attr]
    check_choose_tone(conversation.pk, "je", actor=agent)
    assert variant_named(conversation, "afspraak_u").name == "afspraak_je"  # type: ignore[union-attr]
    assert variant_named(conversation, "afspraak", "en").language == "en_US"  # type: ignore[union-attr]
    assert variant_named(conversation, "termijn") is None
    assert variant_named(conversation, "onbekend") is None


def test_the_composer_shows_and_sends_the_tone_variant(
    client: Client, whatsapp, agent, time_machine
) -> None:  # type: ignore[no-untyped-def]
    """With the window closed the page offers afspraak_je (not afspraak_u) to a je
    conversation, and posting it sends the je text."""
    time_machine.move_to(clock.now(), tick=False)
    conversation = _conversation(whatsapp, agent)
    check_choose_tone(conversation.pk, "je", actor=agent)
    time_machine.shift(25 * 3600)
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "afspraak_je (nl)" in page
    assert "afspraak_u (nl)" not in page
    template = whatsapp.whatsapp_templates.get(name="afspraak_je")
    response = client.post(
        f"/gesprekken/{conversation.pk}/sjabloon/",
        {"template": str(template.pk), f"parameter-{template.pk}": ["Maria", "3 maart"]},
    )
    assert response.status_code in (200, 302)
    sent = Message.objects.filter(conversation=conversation, direction="outbound").get()
    assert sent.body == "Hoi Maria, je afspraak is op 3 maart."


def test_a_tone_cue_publishes_speech_analysed(whatsapp, agent, run_tasks, events) -> None:  # type: ignore[no-untyped-def]
    """A message with tone cues publishes speech_analysed for its conversation (the page's
    cue refreshes live); one without a cue or language publishes none."""
    conversation = _conversation(whatsapp, agent, "Hoi, kun jij me helpen?")
    run_tasks()
    published = events.named("speech_analysed")
    assert [(e.conversation_id, e.organisation_id) for e in published] == [
        (conversation.pk, conversation.organisation_id)
    ]
    receive(whatsapp, "ok", name="Maria Jansen")
    run_tasks()
    assert len(events.named("speech_analysed")) == 1


def test_balies_template_notice_is_sent_in_the_conversations_tone(whatsapp, agent) -> None:  # type: ignore[no-untyped-def]
    """The notice sender (back office terms outside the window) names 'afspraak' and queues
    the je variant for a je conversation, with its parameters."""
    from balie.web.panels.backoffice import send_whatsapp_template

    conversation = _conversation(whatsapp, agent)
    check_choose_tone(conversation.pk, "je", actor=agent)
    with transaction.atomic():
        message = send_whatsapp_template(
            lock_conversation(conversation.pk), "afspraak", "nl", ["Maria", "3 maart"], {}
        )
    assert message.metadata["whatsapp"]["template"]["name"] == "afspraak_je"
    assert message.body == "Hoi Maria, je afspraak is op 3 maart."
