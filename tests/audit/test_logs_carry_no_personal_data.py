# ruff: noqa: F811 (the WhatsApp fixtures are imported, then requested by name)
"""Technical logs carry no personal data (BIO): a whole receive-and-reply flow over the
WhatsApp adapter logs no phone number, name or message text."""

from __future__ import annotations

import json
import logging

from balie.conversations.actions import check_send_reply
from tests.whatsapp.conftest import (  # noqa: F401 (fixtures)
    deliver,
    fixture_now,
    post_webhook,
    simulator,
    wa_channel,
)
from tests.whatsapp.helpers import last_inbound

NAME, PHONE = "Fatima el Amrani", "31612345678"
QUESTION = "Mijn geheime vraag over Zwanenburg"
REPLY = "Dag Fatima, wij bellen u terug op 06-12345678 over Zwanenburg."
SECRETS = ("Fatima", "Amrani", "12345678", "geheime", "Zwanenburg")


def test_a_receive_and_reply_flow_logs_no_personal_data(deliver, agent, run_tasks, caplog):
    """Every structlog event and stdlib record of the flow is free of the citizen's data."""
    payload = fixture_now("text")
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["contacts"][0]["profile"]["name"] == NAME
    assert value["messages"][0]["from"] == PHONE
    value["messages"][0]["text"]["body"] = QUESTION
    # structlog hands its event dict to the stdlib record (wrap_for_formatter), so caplog
    # sees both kinds; structlog's capture_logs would miss loggers cached by earlier tests.
    with caplog.at_level(logging.DEBUG):
        deliver(payload)
        question = last_inbound()
        check_send_reply(question.conversation_id, agent, REPLY)
        run_tasks()
    assert question.body == QUESTION
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    logged = {e["event"] for e in events}
    assert {"routing_decided", "message_sent"} <= logged, logged  # both ways were logged
    text = json.dumps(events, default=str) + "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records
    )
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} appears in the logs"
