"""The visitor's WebSocket on the real ASGI application: messages become conversations,
sessions resume with a resync, identity, limits, origins and bad frames."""

from __future__ import annotations

import base64

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from balie.channels.webchat.identity import identity_hmac
from balie.channels.webchat.models import VisitorSession
from balie.conversations.actions import check_send_reply
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Attachment, Conversation, Direction, Message
from balie.core.worker import run_ready_tasks
from balie.parties.models import AddressKind, DigitalAddress
from tests.webchat.conftest import SECRET, Visitor

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_in_becomes_party_conversation_and_message(webchat):
    """The first message opens a conversation for the visitor's webchat address, with the
    chosen topic; message_received runs the usual handlers."""

    async def scenario() -> dict:
        visitor = Visitor()
        ready = await visitor.start()
        assert [t["code"] for t in ready["topics"]][:1] == ["general"]
        await visitor.send({"type": "topic", "code": "moving"})
        assert (await visitor.until("topic"))["code"] == "moving"
        await visitor.send({"type": "message", "client_id": "c1", "text": "Ik ga verhuizen"})
        ack = await visitor.until("ack")
        await visitor.close()
        return ack

    ack = async_to_sync(scenario)()
    message = Message.objects.select_related("conversation__address").get(pk=ack["id"])
    assert message.body == "Ik ga verhuizen"
    assert message.direction == Direction.INBOUND
    assert message.conversation.channel_id == webchat.pk
    assert message.conversation.address.kind == AddressKind.WEBCHAT
    assert message.metadata["webchat"]["topic"] == "moving"
    session = VisitorSession.objects.get()
    assert session.conversation_id == message.conversation_id
    assert not session.verified
    assert run_ready_tasks() > 0  # routing, SLA, privacy, enrichment were enqueued


def test_a_reconnect_resumes_the_conversation_and_resyncs_missed_answers(webchat, agent):
    """With its token and last id, a new socket continues the same conversation and gets
    the answer sent while it was away; a resent message is stored once."""

    async def scenario() -> tuple[dict, list[dict], dict]:
        first = Visitor()
        ready = await first.start()
        await first.send({"type": "message", "client_id": "m1", "text": "Hallo?"})
        ack = await first.until("ack")
        await first.close()
        conversation_id = await sync_to_async(
            lambda: Message.objects.get(pk=ack["id"]).conversation_id
        )()
        await sync_to_async(check_send_reply)(conversation_id, agent, "Goedemiddag, waarmee?")
        await sync_to_async(run_ready_tasks)()  # the outbox sends while nobody listens
        second = Visitor()
        again = await second.start(token=ready["token"], last_id=ack["id"])
        missed = [await second.until("message")]
        await second.send({"type": "message", "client_id": "m1", "text": "Hallo?"})
        resent = await second.until("ack")
        await second.send({"type": "seen", "ids": [missed[0]["id"]]})
        await second.send({"type": "ping"})
        await second.until("pong")
        await second.close()
        return again, missed, resent | {"first": ack["id"]}

    again, missed, resent = async_to_sync(scenario)()
    assert again["resumed"]
    assert again["chatting"]
    assert [(m["from"], m["text"]) for m in missed] == [("organisation", "Goedemiddag, waarmee?")]
    assert resent["id"] == resent["first"]
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    answer = Message.objects.get(pk=missed[0]["id"])
    assert answer.delivery_status == DeliveryStatus.DELIVERED


def test_an_answer_reaches_an_open_widget_at_once(webchat, agent):
    """The outbox's send pushes the answer to the visitor's open socket."""

    async def scenario() -> dict:
        visitor = Visitor()
        await visitor.start()
        await visitor.send({"type": "message", "client_id": "x", "text": "Is er iemand?"})
        ack = await visitor.until("ack")
        conversation_id = await sync_to_async(
            lambda: Message.objects.get(pk=ack["id"]).conversation_id
        )()
        await sync_to_async(check_send_reply)(conversation_id, agent, "Ja, ik help u.")
        await sync_to_async(run_ready_tasks)()
        frame = await visitor.until("message")
        await visitor.close()
        return frame

    frame = async_to_sync(scenario)()
    assert frame["text"] == "Ja, ik help u."
    assert frame["from"] == "organisation"
    assert Message.objects.get(pk=frame["id"]).delivery_status == DeliveryStatus.SENT


def test_a_verified_identity_marks_the_address_verified(webchat):
    """identifier + its HMAC under the channel's secret: the webchat address is verified."""

    async def scenario() -> dict:
        visitor = Visitor()
        ready = await visitor.start(identifier="klant-42", hmac=identity_hmac(SECRET, "klant-42"))
        await visitor.send({"type": "message", "client_id": "v", "text": "Vraag"})
        await visitor.until("ack")
        await visitor.close()
        return ready

    ready = async_to_sync(scenario)()
    assert ready["verified"]
    address = DigitalAddress.objects.get(kind=AddressKind.WEBCHAT)
    assert address.value == "klant-42"
    assert address.verified


def test_a_wrong_hmac_is_refused_with_a_clear_error(webchat):
    """A proof that does not match gets an identity_invalid error and the socket closes."""

    async def scenario() -> tuple[dict, dict]:
        visitor = Visitor()
        await visitor.open()
        await visitor.send(
            {"type": "start", "identifier": "klant-42", "hmac": identity_hmac("fout", "klant-42")}
        )
        error = await visitor.frame()
        closed = await visitor.socket.receive_output(timeout=15)
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["type"] == "error"
    assert error["code"] == "identity_invalid"
    assert closed == {"type": "websocket.close", "code": 4401}
    assert not VisitorSession.objects.exists()


def test_the_visitor_rate_limit_answers_with_retry_after(webchat):
    """Past the channel's messages per minute, a message is refused with rate_limited."""
    webchat.settings = {**webchat.settings, "messages_per_minute": 2}
    webchat.save()

    async def scenario() -> list[dict]:
        visitor = Visitor()
        await visitor.start()
        answers = []
        for n in range(3):
            await visitor.send({"type": "message", "client_id": f"r{n}", "text": f"bericht {n}"})
            answers.append(await visitor.frame())
        await visitor.close()
        return answers

    answers = async_to_sync(scenario)()
    assert [a["type"] for a in answers] == ["ack", "ack", "error"]
    assert answers[2]["client_id"] == "r2"  # the widget knows which message waits
    assert answers[2]["code"] == "rate_limited"
    assert answers[2]["retry_after"] > 0
    assert Message.objects.count() == 2


def test_the_ip_rate_limit_covers_many_visitors_of_one_address(webchat):
    """Two visitors behind one IP share the per-IP limit."""
    webchat.settings = {**webchat.settings, "ip_messages_per_minute": 1}
    webchat.save()

    async def scenario() -> dict:
        one, two = Visitor(ip="198.51.100.1"), Visitor(ip="198.51.100.1")
        await one.start()
        await two.start()
        await one.send({"type": "message", "client_id": "a", "text": "een"})
        await one.until("ack")
        await two.send({"type": "message", "client_id": "b", "text": "twee"})
        answer = await two.frame()
        await one.close()
        await two.close()
        return answer

    assert async_to_sync(scenario)()["code"] == "rate_limited"


def test_a_file_within_limits_is_stored_and_an_oversized_one_refused(webchat):
    """A small PDF becomes an attachment; one above max_upload_bytes is refused unread; a
    type the channel does not take too."""

    async def scenario() -> list[dict]:
        visitor = Visitor()
        await visitor.start()
        small = base64.b64encode(b"%PDF-1.4 klein").decode()
        big = base64.b64encode(b"x" * 2048).decode()
        pdf = {"type": "file", "content_type": "application/pdf"}
        frames = [
            {**pdf, "client_id": "f1", "name": "a.pdf", "data": small},
            {**pdf, "client_id": "f2", "name": "b.pdf", "data": big},
            {**pdf, "client_id": "f3", "name": "c.exe", "data": small}
            | {"content_type": "application/x-msdownload"},
        ]
        answers = []
        for frame in frames:
            await visitor.send(frame)
            answers.append(await visitor.frame())
        await visitor.close()
        return answers

    stored, big, exe = async_to_sync(scenario)()
    assert stored["type"] == "ack"
    assert (big["code"], exe["code"]) == ("file_too_large", "file_type")
    attachment = Attachment.objects.get()
    assert attachment.message_id == stored["id"]
    assert attachment.filename == "a.pdf"
    assert attachment.file.read() == b"%PDF-1.4 klein"
    assert Message.objects.count() == 1


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_a_foreign_or_missing_origin_is_refused(webchat, origin):
    """A site not in allowed_origins (or no Origin at all) gets origin_refused and 4403."""

    async def scenario() -> tuple[dict, dict]:
        visitor = Visitor(origin=origin)
        await visitor.open()
        return await visitor.frame(), await visitor.socket.receive_output(timeout=15)

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "origin_refused"
    assert closed["code"] == 4403


def test_an_unknown_channel_is_refused(webchat):
    """A key that names no active web chat gets unknown_channel and 4404."""

    async def scenario() -> dict:
        visitor = Visitor(key="bestaat-niet")
        await visitor.open()
        return await visitor.frame()

    assert async_to_sync(scenario)()["code"] == "unknown_channel"


def test_malformed_frames_get_error_frames_and_the_socket_lives_on(webchat):
    """Broken JSON, a non-object, an unknown type, a message before start, wrong field types:
    each an error frame; afterwards the socket still works."""
    bad = [
        "{nope",
        "[1, 2]",
        '{"type": 7}',
        '{"type": "message", "client_id": "a", "text": "te vroeg"}',
        '{"type": "start", "token": 5}',
        '{"type": "dance"}',
        "[" * 100_000 + "]" * 100_000,
        '{"type": "start", "language": NaN}',
    ]

    async def scenario() -> tuple[list[dict], dict, list[dict]]:
        visitor = Visitor()
        await visitor.open()
        errors = []
        for text in bad:
            await visitor.raw(text)
            errors.append(await visitor.frame())
        await visitor.send({"type": "start"})
        ready = await visitor.until("ready")
        later = []
        for frame in (
            {"type": "message", "client_id": "", "text": "x"},
            {"type": "message", "client_id": "ok", "text": "   "},
            {"type": "file", "client_id": "f", "name": "a.pdf", "content_type": "text/plain"}
            | {"data": "!!"},
            {"type": "seen", "ids": "alles"},
            {"type": "topic", "code": "onbekend"},
            {"type": "email", "address": "geen-adres"},
        ):  # fmt: skip
            await visitor.send(frame)
            later.append(await visitor.frame())
        await visitor.send({"type": "message", "client_id": "ok", "text": "nu goed"})
        later.append(await visitor.until("ack"))
        await visitor.close()
        return errors, ready, later

    errors, ready, later = async_to_sync(scenario)()
    assert [e["code"] for e in errors] == [
        "bad_frame", "bad_frame", "bad_frame", "not_started", "bad_frame", "unknown_type",
        "bad_frame", "bad_frame",
    ]  # fmt: skip
    assert all(e["message"] for e in errors)
    assert ready["type"] == "ready"
    assert [f.get("code") for f in later[:-1]] == [
        "bad_frame", "empty_message", "bad_frame", "bad_frame", "unknown_topic", "invalid_email"
    ]  # fmt: skip
    assert later[-1]["type"] == "ack"
    assert Message.objects.get().body == "nu goed"


def test_a_left_email_address_joins_the_party(webchat):
    """The e-mail address the visitor leaves becomes an e-mail address of their party."""

    async def scenario() -> dict:
        visitor = Visitor()
        await visitor.start()
        await visitor.send({"type": "message", "client_id": "e", "text": "Bel me niet, mail me"})
        await visitor.until("ack")
        await visitor.send({"type": "email", "address": "Jan@Voorbeeld.nl"})
        saved = await visitor.until("email_saved")
        await visitor.close()
        return saved

    async_to_sync(scenario)()
    webchat_address = DigitalAddress.objects.get(kind=AddressKind.WEBCHAT)
    email = DigitalAddress.objects.get(kind=AddressKind.EMAIL)
    assert email.value == "jan@voorbeeld.nl"
    assert email.party_id == webchat_address.party_id
    assert not email.verified


def test_a_verified_session_resumes_only_with_the_proof_again(webchat):
    """After a verified visitor's page stops vouching (they logged out), their token starts
    a new anonymous session that sees none of their messages; with the proof it resumes."""

    async def scenario() -> tuple[dict, dict, list[dict]]:
        proof = {"identifier": "klant-7", "hmac": identity_hmac(SECRET, "klant-7")}
        first = Visitor()
        ready = await first.start(**proof)
        await first.send({"type": "message", "client_id": "p", "text": "Mijn dossier"})
        await first.until("ack")
        await first.close()
        anonymous = Visitor()
        fresh = await anonymous.start(token=ready["token"])
        nothing = await anonymous.socket.receive_nothing(timeout=1)
        await anonymous.close()
        again = Visitor()
        resumed = await again.start(token=ready["token"], **proof)
        history = [await again.until("message")]
        await again.close()
        return fresh | {"silent": nothing}, resumed, history

    fresh, resumed, history = async_to_sync(scenario)()
    assert not fresh["resumed"]
    assert not fresh["verified"]
    assert fresh["silent"]
    assert resumed["resumed"]
    assert resumed["verified"]
    assert [m["text"] for m in history] == ["Mijn dossier"]


def test_random_frames_never_break_the_socket(webchat):
    """Two hundred frames of random shape (seeded): each is answered or ignored, never a
    crash; after every one the socket still answers a ping."""
    import json
    import random

    rng = random.Random(14)
    types = ["start", "topic", "message", "file", "typing", "email", "transcript", "seen", "x"]
    values = [None, True, 0, -1, 2**70, 1.5, "", "ü\u0000", "a" * 5000, [], {}, [1, "a"], {"a": 1}]
    keys = ["type", "client_id", "text", "name", "content_type", "data", "code", "ids", "address"]

    def frame() -> str:
        shape = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, len(keys)))}
        if rng.random() < 0.8:
            shape["type"] = rng.choice(types)
        return json.dumps(shape)

    async def scenario() -> list[str]:
        visitor = Visitor()
        await visitor.start()
        codes = []
        for _ in range(200):
            await visitor.raw(frame())
            await visitor.send({"type": "ping"})
            while (answer := await visitor.frame())["type"] != "pong":
                codes.append(answer.get("code", answer["type"]))
        await visitor.close()
        return codes

    codes = async_to_sync(scenario)()
    assert "internal_error" not in codes
    assert "bad_frame" in codes
