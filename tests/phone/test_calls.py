"""The TaskRouter-shaped PBX API: call tasks, instructions, call events, callbacks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from balie.channels.phone.models import Call
from balie.conversations.models import Conversation, Klantcontact
from balie.routing.models import Offer, RoutingRecord
from tests.phone.conftest import EVENTS, TASKS, pbx_post

pytestmark = pytest.mark.django_db


def test_a_call_without_the_token_is_refused(phone, client):
    """The PBX must present the channel's token; otherwise nothing is created."""
    response = pbx_post(client, TASKS, {"call_id": "c1", "caller": "+31612345678"}, "x")
    assert response.status_code == 401
    assert not Call.objects.exists()


def test_a_call_is_reserved_answered_and_ended_with_wait_and_talk_time(
    phone, passport, make_agent, client, run_tasks
):
    """A call gets the qualified agent's extension; answered and ended become a contact moment."""
    make_agent("piet", skills={passport: 3}, channels={"phone": 1})
    task = {"call_id": "c1", "caller": "+31612345678", "language": "nl", "topic": "paspoort"}
    response = pbx_post(client, TASKS, task)
    assert response.status_code == 200
    reply = response.json()
    assert (reply["instruction"], reply["extension"]) == ("dequeue", "201")
    first = pbx_post(client, EVENTS, {"call_id": "c1", "event": "answered"}).json()
    assert first["answered"] is True
    assert first["wait_s"] >= 0
    pbx_post(client, EVENTS, {"call_id": "c1", "event": "ended"})
    call = Call.objects.get()
    conversation = Conversation.objects.get()
    assert conversation.status == "resolved"
    assert call.talk_s is not None
    assert Klantcontact.objects.filter(conversation=conversation).exists()
    run_tasks()


def test_a_busy_line_queues_and_a_rejected_reservation_moves_on(
    phone, passport, make_agent, client, run_tasks
):
    """A refused reservation is recorded and the call goes to the next qualified agent."""
    make_agent("piet", skills={passport: 3}, channels={"phone": 1})
    make_agent("kees", skills={passport: 3}, channels={"phone": 1})
    task = {"call_id": "c1", "caller": "+31612345678", "language": "nl", "topic": "paspoort"}
    first = pbx_post(client, TASKS, task).json()
    pbx_post(client, EVENTS, {"call_id": "c1", "event": "rejected"})
    offers = list(Offer.objects.order_by("pk").values_list("agent__user__username", "outcome"))
    assert offers[0][1] == "declined"
    assert offers[1][1] == "pending"
    assert offers[0][0] != offers[1][0]
    assert first["extension"] in ("201", "202")
    assert RoutingRecord.objects.filter(kind="declined").count() == 1
    run_tasks()
    # the call's conversation_created task finds it in the queue already: not queued twice
    assert RoutingRecord.objects.filter(kind="enqueued").count() == 1
    assert Offer.objects.filter(outcome="pending").count() == 1


def test_nobody_qualified_redirects_and_a_hang_up_is_recorded(
    phone, passport, make_agent, client, run_tasks
):
    """Without a qualified agent on shift the PBX is told to redirect; hanging up closes it."""
    make_agent("piet", languages={"nl": 5}, skills={passport: 3}, channels={"phone": 1})
    task = {"call_id": "c9", "caller": "+34612345678", "language": "es", "topic": "paspoort"}
    reply = pbx_post(client, TASKS, task).json()
    assert (reply["instruction"], reply["to"], reply["reason"]) == (
        "redirect",
        "voicemail",
        "no_agent",
    )
    pbx_post(client, EVENTS, {"call_id": "c9", "event": "abandoned"})
    call = Call.objects.get()
    assert call.abandoned
    assert Conversation.objects.get().status == "closed"
    run_tasks()


def test_a_queued_call_is_called_back_when_an_agent_comes_free(
    phone, passport, make_agent, client, run_tasks
):
    """When the only agent finishes a call, the PBX gets the waiting call's dequeue by callback."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    phone.settings["callback_url"] = f"http://127.0.0.1:{server.server_port}/cb"
    phone.save()
    make_agent("piet", skills={passport: 3}, channels={"phone": 1})
    base = {"caller": "+31612345678", "language": "nl", "topic": "paspoort"}
    assert pbx_post(client, TASKS, {**base, "call_id": "a"}).json()["instruction"] == ("dequeue")
    pbx_post(client, EVENTS, {"call_id": "a", "event": "answered"})
    second = pbx_post(client, TASKS, {**base, "call_id": "b", "caller": "+31687654321"})
    assert second.json()["instruction"] == "queue"
    run_tasks()
    received.clear()
    pbx_post(client, EVENTS, {"call_id": "a", "event": "ended"})
    run_tasks()
    server.shutdown()
    assert [(r["call_id"], r["instruction"], r["extension"]) for r in received] == [
        ("b", "dequeue", "201")
    ]


def test_an_answered_call_opens_its_contact_for_the_agent(
    phone, passport, make_agent, client, events
):
    """When the PBX connects the call, CallConnected names the agent (pushed to their group
    only, so their workspace opens the contact)."""
    from balie.handlers import HANDLERS

    piet = make_agent("piet", skills={passport: 3}, channels={"phone": 1})
    task = {"call_id": "c9", "caller": "+31612345678", "language": "nl", "topic": "paspoort"}
    pbx_post(client, TASKS, task)
    assert not events.named("call_connected")
    pbx_post(client, EVENTS, {"call_id": "c9", "event": "answered"})
    (connected,) = events.named("call_connected")
    conversation = Conversation.objects.get()
    assert connected.to_payload() == {"agent_id": piet.pk, "conversation_id": conversation.pk}
    assert any(h.path == "balie.web.realtime.push" for h in HANDLERS["call_connected"])
