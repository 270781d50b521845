"""Interactive sends (reply buttons, list messages) through the REST API and the outbox to the
Graph API simulator over real HTTP, checked against WhatsApp's limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from balie.channels.simulators.whatsapp_payloads import envelope, message, message_value
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Message
from tests.whatsapp.conftest import PHONE_NUMBER_ID
from tests.whatsapp.helpers import last_inbound

T0 = "2026-03-02 09:00:00+00:00"

STILL_NEEDED = {
    "type": "button",
    "body": "Heeft u nog hulp nodig?",
    "footer": "Gemeente Den Haag",
    "buttons": [
        {"id": "still-needed-yes", "title": "Ja"},
        {"id": "still-needed-no", "title": "Nee"},
    ],
}
TOPICS = {
    "type": "list",
    "header": "Onderwerpen",
    "body": "Waarover gaat uw vraag?",
    "button": "Kies een onderwerp",
    "sections": [
        {
            "title": "Burgerzaken",
            "rows": [
                {"id": "paspoort", "title": "Paspoort", "description": "Aanvragen of verlengen"},
                {"id": "verhuizen", "title": "Verhuizen"},
            ],
        },
        {"title": "Afval", "rows": [{"id": "grofvuil", "title": "Grofvuil"}]},
    ],
}


@pytest.fixture
def conversation(deliver, agent, time_machine):  # type: ignore[no-untyped-def]
    """A conversation opened by a citizen's text at T0, assigned to the agent."""
    time_machine.move_to(T0, tick=False)
    deliver("text")
    conversation = last_inbound().conversation
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    return conversation


def post(api_client, conversation, interactive: Any, **extra: Any):  # type: ignore[no-untyped-def]
    """POST an interactive message to the conversation through the API."""
    return api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "interactive", "interactive": interactive, **extra},
        format="json",
    )


def test_reply_buttons_go_out_as_a_graph_interactive_message(
    conversation, api_client, simulator, run_tasks
):
    """Reply buttons are queued over the API and sent with Meta's button shape and context."""
    question = last_inbound()
    response = post(api_client, conversation, STILL_NEEDED, reply_to=question.pk)
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "Heeft u nog hulp nodig?"
    run_tasks()
    sent = simulator.sent[-1]
    assert sent["type"] == "interactive"
    assert sent["interactive"] == {
        "type": "button",
        "body": {"text": "Heeft u nog hulp nodig?"},
        "footer": {"text": "Gemeente Den Haag"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "still-needed-yes", "title": "Ja"}},
                {"type": "reply", "reply": {"id": "still-needed-no", "title": "Nee"}},
            ]
        },
    }
    assert sent["context"] == {"message_id": question.provider_id}
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.provider_id, message.delivery_status) == (sent["_wamid"], "sent")


def test_a_list_message_goes_out_with_its_sections(conversation, api_client, simulator, run_tasks):
    """A list message keeps its header, button text, sections and rows on the way out."""
    response = post(api_client, conversation, TOPICS)
    assert response.status_code == 201, response.content
    run_tasks()
    sent = simulator.sent[-1]["interactive"]
    assert sent["type"] == "list"
    assert sent["header"] == {"type": "text", "text": "Onderwerpen"}
    assert sent["action"]["button"] == "Kies een onderwerp"
    assert [r["id"] for s in sent["action"]["sections"] for r in s["rows"]] == [
        "paspoort",
        "verhuizen",
        "grofvuil",
    ]
    assert sent["action"]["sections"][0]["rows"][0]["description"] == "Aanvragen of verlengen"


def test_the_citizens_choice_comes_back_linked_to_the_question(
    conversation, api_client, simulator, run_tasks, deliver
):
    """The citizen's button reply arrives as a reply to the interactive message it answers."""
    response = post(api_client, conversation, STILL_NEEDED)
    run_tasks()
    wamid = simulator.sent[-1]["_wamid"]
    choice = {"type": "button_reply", "button_reply": {"id": "still-needed-no", "title": "Nee"}}
    raw = message("31612345678", "interactive", choice, context={"id": wamid})
    value = message_value("31612345678", "Fatima el Amrani", [raw])
    deliver(envelope(PHONE_NUMBER_ID, "31201234567", "messages", value))
    answer = last_inbound()
    assert answer.reply_to_id == response.json()["id"]
    assert answer.metadata["whatsapp"]["reply_id"] == "still-needed-no"


def _buttons(n: int) -> list[dict[str, str]]:
    return [{"id": f"b{i}", "title": f"Keuze {i}"} for i in range(n)]


def _rows(n: int) -> list[dict[str, str]]:
    return [{"id": f"r{i}", "title": f"Rij {i}"} for i in range(n)]


def _list(**change: Any) -> dict[str, Any]:
    return {**TOPICS, **change}


def _button(**change: Any) -> dict[str, Any]:
    return {**STILL_NEEDED, **change}


@pytest.mark.parametrize(
    ("interactive", "field"),
    [
        (_button(buttons=_buttons(4)), "interactive.buttons"),
        (_button(buttons=[]), "interactive.buttons"),
        (_button(buttons=[{"id": "x", "title": "x" * 21}]), "interactive.buttons[0].title"),
        (_button(buttons=[{"id": "x" * 257, "title": "Ja"}]), "interactive.buttons[0].id"),
        (_button(buttons=[{"id": "a", "title": "Ja"}, {"id": "a", "title": "Nee"}]),
         "interactive.buttons[1].id"),
        (_button(body="x" * 1025), "interactive.body"),
        (_button(body=""), "interactive.body"),
        (_button(header="x" * 61), "interactive.header"),
        (_button(footer="x" * 61), "interactive.footer"),
        (_button(buttons="Ja"), "interactive.buttons"),
        (_list(button="x" * 21), "interactive.button"),
        (_list(sections=[{"title": f"S{i}", "rows": _rows(1)} for i in range(11)]),
         "interactive.sections"),
        (_list(sections=[{"title": "A", "rows": _rows(6)}, {"title": "B", "rows": _rows(5)}]),
         "interactive.sections"),
        (_list(sections=[{"rows": [{"id": "a", "title": "x" * 25}]}]),
         "interactive.sections[0].rows[0].title"),
        (_list(sections=[{"rows": [{"id": "a", "title": "A", "description": "x" * 73}]}]),
         "interactive.sections[0].rows[0].description"),
        (_list(sections=[{"rows": [{"id": "x" * 201, "title": "A"}]}]),
         "interactive.sections[0].rows[0].id"),
        (_list(sections=[{"title": "x" * 25, "rows": _rows(1)}]),
         "interactive.sections[0].title"),
        (_list(sections=[{"rows": _rows(1)}, {"rows": _rows(1)}]),
         "interactive.sections[0].title"),
        ({"type": "carousel", "body": "x"}, "interactive.type"),
        ({**STILL_NEEDED, "colour": "red"}, "interactive.colour"),
        ("Ja of nee?", "interactive"),
    ],
)  # fmt: skip
def test_whatsapps_limits_are_enforced_naming_the_field(
    conversation, api_client, simulator, run_tasks, interactive, field
):
    """A spec over one of WhatsApp's limits answers 400 naming the field; nothing is queued."""
    before = Message.objects.count()
    response = post(api_client, conversation, interactive)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert Message.objects.count() == before


def test_specs_at_the_limits_are_accepted_by_balie_and_the_simulator(
    conversation, api_client, simulator, run_tasks
):
    """Three buttons with 20-character titles and ten rows at their limits go out."""
    buttons = [{"id": f"{n}" + "i" * 255, "title": f"{n}" + "t" * 19} for n in range(3)]
    response = post(api_client, conversation, _button(body="b" * 1024, buttons=buttons))
    assert response.status_code == 201, response.content
    rows = [
        {"id": f"{n}" + "i" * 199, "title": f"{n}" + "t" * 23, "description": "d" * 72}
        for n in range(10)
    ]
    sections = [{"title": "s" * 24, "rows": rows[:5]}, {"title": "z" * 24, "rows": rows[5:]}]
    response = post(
        api_client,
        conversation,
        _list(button="k" * 20, header="h" * 60, footer="f" * 60, sections=sections),
    )
    assert response.status_code == 201, response.content
    run_tasks()
    assert [m["interactive"]["type"] for m in simulator.sent[-2:]] == ["button", "list"]
    assert not Message.objects.filter(delivery_status="failed").exists()


def test_interactive_messages_only_inside_the_window(conversation, api_client, time_machine):
    """After 24 hours an interactive message is refused like any free-form reply."""
    time_machine.shift(24 * 3600 + 1)
    response = post(api_client, conversation, STILL_NEEDED)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "whatsapp_window_closed"


def test_the_simulator_refuses_what_meta_refuses(simulator):
    """The Graph API stand-in answers 131009 to a button title over 20 characters."""
    import httpx

    body = {
        "messaging_product": "whatsapp",
        "to": "31612345678",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "x" * 21}}]},
        },
    }
    response = httpx.post(
        f"{simulator.base_url}/{simulator.phone_number_id}/messages",
        json=body,
        headers={"Authorization": f"Bearer {simulator.access_token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131009
    assert simulator.sent == []
