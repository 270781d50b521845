"""The web chat adapter through the real outbox, the agent's typing signal, the workspace
push of the visitor's typing, the example page and the honest availability notice."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client

from balie.channels.models import OutboxEntry, OutboxState
from balie.channels.webchat.availability import availability
from balie.channels.webchat.identity import IdentityRefused, check_identity, identity_hmac
from balie.channels.webchat.sessions import check_start, do_receive_visitor_message
from balie.conversations.actions import check_send_reply
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Message
from balie.core.worker import run_ready_tasks
from balie.organisations.models import AgentRole, Presence
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db(transaction=True)
AMS = ZoneInfo("Europe/Amsterdam")
HOURS = {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [],
    "sun": [],
}


def _visitor_message(webchat, text: str = "Vraag") -> Message:
    session = check_start(webchat).session
    return do_receive_visitor_message(session, "c1", text)


def test_the_outbox_sends_an_answer_as_sent_with_no_visitor_online(webchat, agent):
    """With nobody listening the answer is still sent (it waits for the resync): the outbox
    entry is done, the message ``sent`` with a webchat provider id."""
    inbound = _visitor_message(webchat)
    reply = check_send_reply(inbound.conversation_id, agent, "Antwoord")
    run_ready_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.provider_id == f"webchat:{reply.uuid}"
    assert OutboxEntry.objects.get(pk=reply.pk).state == OutboxState.SENT


def test_an_answer_in_a_conversation_without_a_visitor_fails_clearly(webchat, agent):
    """A web chat conversation whose party has no web chat session fails as no_visitor."""
    conversation = receive(webchat).message.conversation  # an e-mail address, no session
    reply = check_send_reply(conversation.pk, agent, "Antwoord")
    run_ready_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert reply.error_code == "no_visitor"


def test_the_agent_typing_signal_needs_an_answering_role_and_a_visible_webchat(
    webchat, agent, organisation
):
    """204 for the agent on a web chat; 404 for another organisation's or a non-chat
    conversation; 403 for back office and anonymous; GET is not allowed."""
    conversation_id = _visitor_message(webchat).conversation_id
    other = factories.ConversationFactory().pk
    form = receive(factories.ChannelFactory(organisation=organisation)).message.conversation_id
    client = Client()
    assert client.post(f"/webchat/typing/{conversation_id}/").status_code == 403
    client.force_login(agent.user)
    assert client.post(f"/webchat/typing/{conversation_id}/").status_code == 204
    assert client.get(f"/webchat/typing/{conversation_id}/").status_code == 405
    assert client.post(f"/webchat/typing/{other}/").status_code == 404
    assert client.post(f"/webchat/typing/{form}/").status_code == 404
    backoffice = factories.AgentFactory(organisation=organisation, role=AgentRole.BACKOFFICE)
    client.force_login(backoffice.user)
    assert client.post(f"/webchat/typing/{conversation_id}/").status_code == 403


def test_the_agent_typing_reaches_the_visitor_and_the_visitor_typing_the_agent(webchat, agent):
    """Both ways: the workspace's POST gives the widget a typing frame; the widget's typing
    frame reaches the agent's socket as a webchat_typing event (ids only)."""
    from channels.testing.websocket import WebsocketCommunicator

    from balie.web.consumers import AgentConsumer
    from tests.webchat.conftest import Visitor

    async def scenario() -> tuple[dict, dict]:
        visitor = Visitor()
        await visitor.start()
        await visitor.send({"type": "message", "client_id": "t", "text": "Hallo"})
        ack = await visitor.until("ack")
        conversation_id = await sync_to_async(
            lambda: Message.objects.get(pk=ack["id"]).conversation_id
        )()
        desk = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
        desk.scope["user"] = agent.user
        await desk.connect(timeout=15)
        await desk.receive_json_from(timeout=15)  # hello
        client = Client()
        await sync_to_async(client.force_login)(agent.user)
        answer = await sync_to_async(client.post)(f"/webchat/typing/{conversation_id}/")
        assert answer.status_code == 204
        seen_by_visitor = await visitor.until("typing")
        await visitor.send({"type": "typing"})
        while True:
            pushed = await desk.receive_json_from(timeout=15)
            if pushed.get("name") == "webchat_typing":
                break
        await desk.disconnect()
        await visitor.close()
        return seen_by_visitor, pushed

    seen, pushed = async_to_sync(scenario)()
    assert seen == {"type": "typing", "from": "organisation"}
    assert set(pushed["data"]) == {"conversation_id", "organisation_id"}


def test_the_example_page_shows_the_one_script_tag_only_where_allowed(webchat, settings):
    """Off by default (404); with the channel's example_page setting it has the script tag."""
    client = Client()
    assert client.get("/webchat/example/chat/").status_code == 404
    webchat.settings = {**webchat.settings, "example_page": True}
    webchat.save()
    page = client.get("/webchat/example/chat/?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-channel="chat"' in html
    assert "/static/webchat/widget.js" in html
    assert '<html lang="en">' in html


@time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=AMS), tick=False)  # a Saturday
def test_out_of_hours_the_visitor_is_told_when_an_answer_comes(webchat, organisation):
    """Closed on Saturday: opens Monday 08.30; answer by Monday before 12.00 (as the
    out-of-hours reply promises)."""
    organisation.business_hours = HOURS
    organisation.save()
    found = availability(webchat, "nl")
    assert found["open"] is False
    assert found["opens_text"] == "maandag 7 december 08.30"
    assert found["answer_by_text"] == "maandag 7 december vóór 12.00 uur"
    assert availability(webchat, "en")["opens_text"] == "Monday 7 December 08:30"


@time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=AMS), tick=False)  # a Monday
def test_open_but_nobody_available_is_said_too(webchat, organisation, agent):
    """Open, but no agent available: agents_available is false until one is."""
    organisation.business_hours = HOURS
    organisation.save()
    agent.presence = Presence.AWAY
    agent.save()
    assert availability(webchat, "nl")["open"] is True
    assert availability(webchat, "nl")["agents_available"] is False
    agent.presence = Presence.AVAILABLE
    agent.save()
    assert availability(webchat, "nl")["agents_available"] is True


def test_identity_proofs_are_checked_exactly():
    """The HMAC of the identifier under the secret passes; any other proof, an empty
    identifier or a missing secret is refused with its own code."""
    good = identity_hmac("geheim", "klant-1")
    assert check_identity("geheim", "klant-1", good.upper()) == "klant-1"
    for secret, identifier, proof, code in [
        ("geheim", "klant-1", identity_hmac("geheim", "klant-2"), "identity_invalid"),
        ("geheim", "klant-1", "", "identity_invalid"),
        ("geheim", "", good, "identity_invalid"),
        ("", "klant-1", good, "identity_not_configured"),
        ("geheim", "klant-1", "ü" * 64, "identity_invalid"),
    ]:
        with pytest.raises(IdentityRefused) as refused:
            check_identity(secret, identifier, proof)
        assert refused.value.code == code


@time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=AMS), tick=False)  # a Saturday
def test_the_out_of_hours_reply_reaches_the_widget_once(webchat, organisation):
    """Closed: the widget's ready frame says so, and the out-of-hours reply (Balie's own, not
    a second one from the web chat) arrives in the widget marked automatic."""
    from tests.webchat.conftest import Visitor

    organisation.business_hours = HOURS
    organisation.save()

    async def scenario() -> tuple[dict, list[dict]]:
        visitor = Visitor()
        ready = await visitor.start()
        await visitor.send({"type": "message", "client_id": "z", "text": "Zaterdagvraag"})
        await visitor.until("ack")
        await sync_to_async(run_ready_tasks)()
        await sync_to_async(run_ready_tasks)()  # the reply's delivery
        frames = [await visitor.until("message")]
        frames += [f for f in [await _maybe(visitor)] if f]
        await visitor.close()
        return ready, frames

    async def _maybe(visitor: Any) -> dict | None:
        if await visitor.socket.receive_nothing(timeout=1):
            return None
        return await visitor.frame()

    ready, frames = async_to_sync(scenario)()
    assert ready["availability"]["open"] is False
    assert ready["availability"]["answer_by_text"] == "maandag 7 december vóór 12.00 uur"
    assert len(frames) == 1
    assert frames[0]["automatic"]
    assert frames[0]["from"] == "organisation"
    assert "maandag 7 december" in frames[0]["text"]


def test_the_widget_files_are_served_to_other_sites(webchat):
    """widget.js and widget.css are static files any site may load (CORS ``*``), and the
    example page runs under Balie's CSP with no inline style or script."""
    client = Client()
    for name in ("widget.js", "widget.css"):
        answer = client.get(f"/static/webchat/{name}")
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    webchat.settings = {**webchat.settings, "example_page": True}
    webchat.save()
    page = client.get("/webchat/example/chat/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<style" not in page.content.decode()


def test_a_file_the_agent_sends_downloads_by_its_signed_link_only(webchat, agent, organisation):
    """An answer's attachment comes with a link the visitor can download from (a download,
    nosniff); a forged or foreign link is 404."""
    from django.core.files.base import ContentFile

    from balie.channels.webchat.sessions import messages_after
    from balie.conversations.models import Attachment

    session = check_start(webchat).session
    inbound = do_receive_visitor_message(session, "q", "Stuur het formulier")
    reply = check_send_reply(inbound.conversation_id, agent, "Hierbij het formulier")
    Attachment.objects.create(
        message=reply,
        file=ContentFile(b"%PDF formulier", name="formulier.pdf"),
        filename="formulier.pdf",
        content_type="application/pdf",
        size=14,
    )
    [frame] = messages_after(session, inbound.pk)
    [link] = frame["attachments"]
    client = Client()
    answer = client.get(link["url"])
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"%PDF formulier"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    other = check_start(webchat).session  # another visitor's session cannot use the id
    from django.core import signing

    forged = signing.dumps(
        {"a": reply.attachments.get().pk, "s": other.pk}, salt="balie.webchat.file", compress=True
    )
    assert client.get(f"/webchat/file/{forged}/").status_code == 404
    assert client.get(link["url"].replace("/file/", "/file/x")).status_code == 404


def test_sessions_are_pruned_when_idle_or_their_visitor_is_gone(webchat):
    """The daily job removes a session that never chatted after 30 days and a verified one
    whose visitor's address was erased after a day; a chatting visitor's session stays."""
    from datetime import timedelta

    from balie.channels.webchat.models import VisitorSession
    from balie.channels.webchat.retention import prune_sessions
    from balie.parties.models import DigitalAddress

    chatting = check_start(webchat).session
    do_receive_visitor_message(chatting, "a", "Vraag")
    proof = identity_hmac("identiteit-geheim", "klant-9")
    erased = check_start(webchat, identifier="klant-9", proof=proof).session
    do_receive_visitor_message(erased, "b", "Vraag")
    idle = check_start(webchat).session
    DigitalAddress.objects.filter(value="klant-9").delete()
    assert prune_sessions() == 0  # nothing is old enough yet
    with time_machine.travel(datetime.now(AMS) + timedelta(days=2)):
        assert prune_sessions() == 1
        assert not VisitorSession.objects.filter(pk=erased.pk).exists()
    with time_machine.travel(datetime.now(AMS) + timedelta(days=31)):
        assert prune_sessions() == 1
    assert list(VisitorSession.objects.values_list("pk", flat=True)) == [chatting.pk]
    assert idle.pk != chatting.pk


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis channel layer")
def test_a_process_without_visitor_sockets_reaches_the_widget_through_redis(webchat, agent):
    """With Redis, the outbox in a worker-like process (no visitor socket of its own) still
    pushes the answer to the open widget."""
    from balie.channels.webchat import push
    from tests.webchat.conftest import Visitor

    async def scenario() -> dict:
        visitor = Visitor()
        await visitor.start()
        await visitor.send({"type": "message", "client_id": "r", "text": "Via Redis?"})
        ack = await visitor.until("ack")
        conversation_id = await sync_to_async(
            lambda: Message.objects.get(pk=ack["id"]).conversation_id
        )()
        push._loop = None  # as in a separate worker process
        await sync_to_async(check_send_reply)(conversation_id, agent, "Ja, via Redis.")
        await sync_to_async(run_ready_tasks)()
        frame = await visitor.until("message")
        await visitor.close()
        return frame

    assert async_to_sync(scenario)()["text"] == "Ja, via Redis."
