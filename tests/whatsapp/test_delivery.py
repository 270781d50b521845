"""Delivery statuses (monotonic, out of order, unknown) and the outbox's retries and crash
safety, against the Graph API simulator over real HTTP with a frozen clock."""

from __future__ import annotations

import pytest

from balie.channels import delivery
from balie.channels.models import OutboxEntry
from balie.channels.whatsapp.adapter import WhatsAppAdapter
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Message
from tests.whatsapp.helpers import last_inbound, status_payload

T0 = "2026-03-02 09:00:00+00:00"


@pytest.fixture
def reply(deliver, agent, time_machine):  # type: ignore[no-untyped-def]
    """A pending agent reply in a fresh conversation (clock frozen at T0)."""
    time_machine.move_to(T0, tick=False)
    deliver("text")
    return check_send_reply(last_inbound().conversation_id, agent, "Dat kan online.")


@pytest.fixture
def sent(reply, run_tasks):  # type: ignore[no-untyped-def]
    """The reply after the outbox sent it."""
    run_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    return reply


def test_statuses_move_forward(sent, deliver):
    """delivered then read moves the message to read."""
    deliver(status_payload(sent.provider_id, "delivered"))
    deliver(status_payload(sent.provider_id, "read"))
    sent.refresh_from_db()
    assert sent.delivery_status == "read"


def test_out_of_order_statuses_never_go_back(sent, deliver):
    """read arriving before delivered and sent leaves the message read."""
    for state in ("read", "delivered", "sent"):
        deliver(status_payload(sent.provider_id, state))
    sent.refresh_from_db()
    assert sent.delivery_status == "read"


def test_failed_carries_the_provider_error(sent, deliver):
    """A failed status shows Meta's code and text on the message."""
    details = "More than 24 hours have passed since the customer last replied."
    deliver(
        status_payload(sent.provider_id, "failed", error=(131047, "Re-engagement message", details))
    )
    sent.refresh_from_db()
    assert sent.delivery_status == "failed"
    assert sent.error_code == "131047"
    assert sent.error_text == f"Re-engagement message: {details}"


def test_late_failure_does_not_undo_delivery(sent, deliver):
    """A failed report arriving after delivered leaves the message delivered."""
    deliver(status_payload(sent.provider_id, "delivered"))
    deliver(status_payload(sent.provider_id, "failed", error=(131026, "Undeliverable", "")))
    sent.refresh_from_db()
    assert sent.delivery_status == "delivered"


def test_status_for_unknown_message_is_ignored(deliver, wa_channel):
    """A status for a wamid Balie never sent is logged and ignored; the event is processed."""
    from balie.channels.whatsapp.models import WebhookEvent

    deliver(status_payload("wamid.UNKNOWN", "delivered"))
    assert WebhookEvent.objects.get().processed_at is not None
    assert not Message.objects.filter(provider_id="wamid.UNKNOWN").exists()


@pytest.mark.parametrize(
    ("http_status", "code"), [(429, 130429), (400, 130429), (503, 2), (500, 1)]
)
def test_rate_limits_and_server_errors_are_retried_with_backoff(
    reply, simulator, run_tasks, time_machine, http_status, code
):
    """A 429/130429 or 5xx answer is retried after 2 s, then 8 s, showing the error meanwhile."""
    simulator.fail_next(http_status, code, "slow down", times=2)
    count = len(simulator.sent)
    run_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == "pending"
    assert reply.error_code == str(code)
    assert reply.error_text.startswith("retrying: slow down")
    time_machine.shift(1)
    run_tasks()
    assert len(simulator.sent) == count  # not before the backoff
    time_machine.shift(1)
    run_tasks()  # second attempt: refused again
    time_machine.shift(7)
    run_tasks()
    assert len(simulator.sent) == count
    time_machine.shift(1)
    run_tasks()
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.error_code) == ("sent", "")
    assert OutboxEntry.objects.get(pk=reply.pk).attempts == 3
    assert len(simulator.sent) == count + 1


def test_other_client_errors_fail_at_once(reply, simulator, run_tasks, time_machine):
    """A 4xx other than a rate limit fails the message with the error, without retrying."""
    simulator.fail_next(400, 131026, "Message undeliverable", times=5)
    run_tasks()
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.error_code) == ("failed", "131026")
    assert reply.error_text == "Message undeliverable"
    sends = len(simulator.sent)
    time_machine.shift(3600)
    run_tasks()
    reply.refresh_from_db()
    assert OutboxEntry.objects.get(pk=reply.pk).attempts == 1
    assert len(simulator.state.failures) == 1  # four injected failures left unused
    assert simulator.state.failures[0].times == 4  # one used: the single attempt
    assert len(simulator.sent) == sends  # and no send after it


def test_retries_give_up_after_the_last_attempt(reply, simulator, run_tasks, time_machine):
    """An endless run of 5xx answers fails the message after six attempts."""
    simulator.fail_next(500, 1, "down", times=100)
    for _ in range(8):
        run_tasks()
        time_machine.shift(3600)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert OutboxEntry.objects.get(pk=reply.pk).attempts == delivery.MAX_ATTEMPTS


def crash_after_send(monkeypatch):  # type: ignore[no-untyped-def]
    """Make the process 'die' right after Meta accepted the message, before Balie records it."""
    original = WhatsAppAdapter.send

    def send_then_crash(self, message):  # type: ignore[no-untyped-def]
        original(self, message)
        raise SystemExit("killed")

    monkeypatch.setattr(WhatsAppAdapter, "send", send_then_crash)


def test_crash_between_send_and_record_never_sends_twice(
    reply, simulator, monkeypatch, time_machine, deliver
):
    """After a crash mid-send, redelivery and the sweep never resend; a late status reconciles."""
    count = len(simulator.sent)
    crash_after_send(monkeypatch)
    with pytest.raises(SystemExit):
        delivery.deliver(reply.pk)
    monkeypatch.undo()
    assert len(simulator.sent) == count + 1
    delivery.deliver(reply.pk)  # the task runs again at once: another worker may be sending
    time_machine.shift(delivery.STUCK_AFTER.total_seconds() + 1)
    assert delivery.sweep_outbox() == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.error_code) == ("failed", "outcome_unknown")
    assert len(simulator.sent) == count + 1
    wamid = simulator.sent[-1]["_wamid"]
    deliver(status_payload(wamid, "delivered", callback_data=str(reply.uuid)))
    reply.refresh_from_db()
    assert (reply.provider_id, reply.delivery_status) == (wamid, "delivered")


def test_duplicate_delivery_tasks_send_once(reply, simulator):
    """Running the outbox twice for one message sends it once."""
    count = len(simulator.sent)
    delivery.deliver(reply.pk)
    delivery.deliver(reply.pk)
    assert len(simulator.sent) == count + 1


def test_sweep_sends_messages_whose_task_was_lost(reply, simulator, time_machine):
    """A pending message never attempted is sent by the sweep after two minutes."""
    count = len(simulator.sent)
    assert delivery.sweep_outbox() == 0
    time_machine.shift(delivery.LOST_AFTER.total_seconds())
    assert delivery.sweep_outbox() == 1
    assert len(simulator.sent) == count + 1


def test_backoff_grows_and_is_capped():
    """Backoff is 2 s, 8 s, 32 s … and never more than 15 minutes."""
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 8, 32]
    assert delivery.backoff(20) == delivery.MAX_BACKOFF


def test_a_refusal_in_a_batch_of_sends_fails_only_its_message(
    deliver, agent, simulator, run_tasks, time_machine
):
    """Three replies reach the outbox together; Meta refuses the first (a 4xx, no retry):
    that one fails with Meta's error, the other two are sent."""
    time_machine.move_to(T0, tick=False)
    deliver("text")
    run_tasks()  # routing, and the queue notice sent
    conversation_id = last_inbound().conversation_id
    replies = [check_send_reply(conversation_id, agent, f"Antwoord {n}") for n in range(3)]
    before = len(simulator.sent)
    simulator.fail_next(400, 131009, "Parameter value is not valid")
    run_tasks()
    for reply in replies:
        reply.refresh_from_db()
    assert [r.delivery_status for r in replies] == ["failed", "sent", "sent"]
    assert replies[0].error_code == "131009"
    assert len({r.provider_id for r in replies[1:]}) == 2
    assert [m["text"]["body"] for m in simulator.sent[before:]] == ["Antwoord 1", "Antwoord 2"]


def test_many_statuses_in_one_webhook_apply_in_order_and_never_go_back(
    sent, agent, deliver, run_tasks, events
):
    """One POST with reports for two messages, out of order, and one for a message Balie
    never sent: each message ends at its furthest status, one event per real change."""
    other = check_send_reply(sent.conversation_id, agent, "Nog een antwoord.")
    run_tasks()
    other.refresh_from_db()
    payload = status_payload(sent.provider_id, "read")
    reports = payload["entry"][0]["changes"][0]["value"]["statuses"]
    for wamid, state in (
        (other.provider_id, "delivered"),
        (sent.provider_id, "delivered"),
        ("wamid.never-sent", "sent"),
    ):
        reports.extend(status_payload(wamid, state)["entry"][0]["changes"][0]["value"]["statuses"])
    events.clear()
    deliver(payload)
    sent.refresh_from_db()
    other.refresh_from_db()
    assert (sent.delivery_status, other.delivery_status) == ("read", "delivered")
    changes = [(e.message_id, e.status) for e in events.named("delivery_status_changed")]
    assert changes == [(sent.pk, "read"), (other.pk, "delivered")]
