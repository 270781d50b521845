"""The composer: replies and notes through the actions, @mentions notify live, WhatsApp's
window in words and templates when it is closed, files within the channel's limits, failed
sends tried again; refusals in Dutch with an error status so the draft stays."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from balie.channels.whatsapp.models import TemplateStatus
from balie.channels.whatsapp.templates import register_template
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Direction, Mention, Message
from balie.conversations.workflow import Status
from balie.handlers import HANDLERS
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _agent(organisation, username: str = "sanne", **kwargs):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, user__username=username, display_name=username.title(), **kwargs
    )


def _assign(conversation, agent) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")


@pytest.fixture
def wa_channel(organisation):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa-web")


@pytest.fixture
def template(wa_channel):  # type: ignore[no-untyped-def]
    return register_template(
        wa_channel, "antwoord_klaar", "nl",
        body="Beste {{1}}, uw antwoord over {{2}} staat klaar.",
        status=TemplateStatus.APPROVED,
    )  # fmt: skip


def test_reply_is_queued_through_the_outbox(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """A reply from the composer becomes a pending outbound message; the page is told to refresh."""
    agent = _agent(organisation)
    conversation = receive(channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/antwoord/", {"body": "Dat kan online."}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "balie:conversation"
    sent = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert sent.body == "Dat kan online."
    assert sent.author_id == agent.pk
    assert sent.delivery_status == "pending"


def test_empty_reply_is_refused_in_dutch_and_keeps_the_draft(
    client: Client, organisation, channel
) -> None:  # type: ignore[no-untyped-def]
    """An empty reply answers 400 with a Dutch alert into the composer's feedback slot."""
    agent = _agent(organisation)
    conversation = receive(channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(f"/gesprekken/{conversation.pk}/antwoord/", {"body": "  "}, **HTMX)
    assert response.status_code == 400  # an error status: balie.js keeps the draft
    assert response["HX-Retarget"] == "#composer-feedback"
    assert "Het bericht is leeg" in response.content.decode()


def test_reply_by_someone_not_assigned_is_forbidden(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """An agent who is not the assignee may note but not reply: 403 with a Dutch alert."""
    owner, other = _agent(organisation), _agent(organisation, "joost")
    conversation = receive(channel).message.conversation
    _assign(conversation, owner)
    client.force_login(other.user)
    response = client.post(f"/gesprekken/{conversation.pk}/antwoord/", {"body": "Hoi"}, **HTMX)
    assert response.status_code == 403
    assert "Alleen de medewerker van dit gesprek" in response.content.decode()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_note_with_a_mention_notifies_the_colleague(
    client: Client, organisation, channel, events
) -> None:  # type: ignore[no-untyped-def]
    """``@joost`` in a note records a mention and publishes AgentMentioned for Joost only."""
    agent, colleague = _agent(organisation), _agent(organisation, "joost")
    conversation = receive(channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/notitie/",
        {"body": "@joost kun jij dit overnemen? mail: x@sanne.nl"},
        **HTMX,
    )
    assert response.status_code == 200
    note = Message.objects.get(conversation=conversation, direction=Direction.NOTE)
    assert list(Mention.objects.values_list("agent_id", flat=True)) == [colleague.pk]
    (pushed,) = events.named("agent_mentioned")
    assert pushed.to_payload() == {
        "agent_id": colleague.pk,
        "conversation_id": conversation.pk,
        "message_id": note.pk,
        "by_agent_id": agent.pk,
    }
    assert "organisation_id" not in pushed.to_payload()  # the agent's group only
    assert any(h.path == "balie.web.realtime.push" for h in HANDLERS["agent_mentioned"])


def test_mentioned_colleague_sees_a_notice(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """The colleague's next page shows the mention with a link, until they open it."""
    agent, colleague = _agent(organisation), _agent(organisation, "joost")
    conversation = receive(channel).message.conversation
    mine = receive(channel, email="ander@example.nl").message.conversation
    _assign(conversation, agent)
    _assign(mine, colleague)
    client.force_login(agent.user)
    client.post(f"/gesprekken/{conversation.pk}/notitie/", {"body": "@joost zie je dit?"}, **HTMX)
    client.force_login(colleague.user)
    html = client.get(f"/gesprekken/{mine.pk}/").content.decode()
    assert "Sanne noemde je in een notitie" in html
    client.get(f"/gesprekken/{conversation.pk}/")  # opened: seen
    assert "noemde je" not in client.get(f"/gesprekken/{mine.pk}/").content.decode()


def test_mentioning_a_colleague_who_cannot_see_it_is_refused(
    client: Client, organisation, channel, events
) -> None:  # type: ignore[no-untyped-def]
    """A colleague outside the conversation's team cannot be mentioned; nothing is written."""
    team, elsewhere = (
        factories.TeamFactory(organisation=organisation),
        factories.TeamFactory(organisation=organisation),
    )
    agent, outsider = _agent(organisation), _agent(organisation, "kees")
    agent.teams.add(team)
    outsider.teams.add(elsewhere)
    conversation = receive(channel).message.conversation
    conversation.team = team
    conversation.save()
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/notitie/", {"body": "@kees kijk even"}, **HTMX
    )
    assert response.status_code == 400
    assert "@kees kan dit gesprek niet zien" in response.content.decode()
    assert not Message.objects.filter(direction=Direction.NOTE).exists()
    assert not events.named("agent_mentioned")


def test_whatsapp_window_is_shown_in_words(client: Client, organisation, wa_channel) -> None:  # type: ignore[no-untyped-def]
    """Inside the window the composer says how long is left and what the button sends."""
    agent = _agent(organisation)
    with time_machine.travel("2026-11-24 09:00 +0000", tick=False) as clock:
        conversation = receive(wa_channel).message.conversation
        _assign(conversation, agent)
        clock.shift(20 * 3600 + 48 * 60)
        client.force_login(agent.user)
        html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "nog 3 uur 12 min om vrij te antwoorden" in html
    assert "Verstuur via WhatsApp" in html
    assert 'data-limit="4096"' in html
    assert f'data-draft-key="conversation-{conversation.pk}-reply"' in html


def test_window_closed_offers_templates_and_sends_one(
    client: Client, organisation, wa_channel, template
) -> None:  # type: ignore[no-untyped-def]
    """After 24 hours the free text gives way to the templates; one with its variables goes out."""
    agent = _agent(organisation)
    with time_machine.travel("2026-11-24 09:00 +0000", tick=False) as clock:
        conversation = receive(wa_channel).message.conversation
        _assign(conversation, agent)
        clock.shift(25 * 3600)
        client.force_login(agent.user)
        html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
        assert 'id="reply-body"' not in html
        assert f'id="template-{template.pk}-2"' in html
        assert "antwoord_klaar: variabele 2" in html
        refused = client.post(
            f"/gesprekken/{conversation.pk}/antwoord/", {"body": "Toch vrij?"}, **HTMX
        )
        assert refused.status_code == 409
        assert "goedgekeurd sjabloon" in refused.content.decode()
        response = client.post(
            f"/gesprekken/{conversation.pk}/sjabloon/",
            {"template": template.pk, f"parameter-{template.pk}": ["Jan", "uw paspoort"]},
            **HTMX,
        )
    assert response.status_code == 200
    sent = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert sent.body == "Beste Jan, uw antwoord over uw paspoort staat klaar."
    assert sent.metadata["whatsapp"]["type"] == "template"


def test_template_with_a_missing_variable_is_refused(
    client: Client, organisation, wa_channel, template
) -> None:  # type: ignore[no-untyped-def]
    """A template without all its variables is refused with a Dutch alert."""
    agent = _agent(organisation)
    conversation = receive(wa_channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/sjabloon/",
        {"template": template.pk, f"parameter-{template.pk}": ["Jan", ""]},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Vul elk veld van het sjabloon in" in response.content.decode()


def test_file_over_16_mb_is_refused(client: Client, organisation, wa_channel) -> None:  # type: ignore[no-untyped-def]
    """A file larger than WhatsApp's 16 MB is refused clearly; nothing is queued."""
    agent = _agent(organisation)
    conversation = receive(wa_channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    big = SimpleUploadedFile("scan.pdf", b"x" * ((16 << 20) + 1), content_type="application/pdf")
    response = client.post(f"/gesprekken/{conversation.pk}/bestand/", {"file": big}, **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#file-feedback"
    assert "groter dan 16 MB" in response.content.decode()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_file_within_the_limit_is_sent(client: Client, organisation, wa_channel) -> None:  # type: ignore[no-untyped-def]
    """A PDF within the limit is queued with its attachment and caption."""
    agent = _agent(organisation)
    conversation = receive(wa_channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    pdf = SimpleUploadedFile("brief.pdf", b"%PDF-1.4 brief", content_type="application/pdf")
    response = client.post(
        f"/gesprekken/{conversation.pk}/bestand/", {"file": pdf, "caption": "De brief"}, **HTMX
    )
    assert response.status_code == 200
    sent = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    assert sent.body == "De brief"
    assert sent.attachments.get().filename == "brief.pdf"


def test_file_of_a_refused_type_is_refused(client: Client, organisation, wa_channel) -> None:  # type: ignore[no-untyped-def]
    """WhatsApp does not take an executable: refused with the kinds it does take."""
    agent = _agent(organisation)
    conversation = receive(wa_channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    response = client.post(f"/gesprekken/{conversation.pk}/bestand/", {"file": exe}, **HTMX)
    assert response.status_code == 400
    assert "WhatsApp neemt dit soort bestand niet aan" in response.content.decode()


def test_failed_send_shows_and_can_be_tried_again(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """A failed reply says so in the timeline with "Opnieuw proberen", which sends it again."""
    agent = _agent(organisation)
    conversation = receive(channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    client.post(f"/gesprekken/{conversation.pk}/antwoord/", {"body": "Tot morgen"}, **HTMX)
    failed = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    Message.objects.filter(pk=failed.pk).update(delivery_status="failed", error_text="timeout")
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "Dit bericht is niet afgeleverd." in html
    assert "Opnieuw proberen" in html
    response = client.post(f"/gesprekken/{conversation.pk}/berichten/{failed.pk}/opnieuw/", **HTMX)
    assert response.status_code == 200
    again = Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND)
    assert [m.body for m in again.order_by("pk")] == ["Tot morgen", "Tot morgen"]
    assert again.order_by("pk").last().delivery_status == "pending"


def test_closed_conversation_has_no_reply_box(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """On a closed conversation only the note tab remains."""
    agent = _agent(organisation)
    conversation = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.CLOSED
    )
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="reply-body"' not in html
    assert 'id="note-body"' in html


def test_plain_form_post_without_htmx_redirects_back(client: Client, organisation, channel) -> None:  # type: ignore[no-untyped-def]
    """Without JavaScript a send redirects back to the conversation (and a refusal is flashed)."""
    agent = _agent(organisation)
    conversation = receive(channel).message.conversation
    _assign(conversation, agent)
    client.force_login(agent.user)
    response = client.post(f"/gesprekken/{conversation.pk}/notitie/", {"body": ""})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Het bericht is leeg" in page
