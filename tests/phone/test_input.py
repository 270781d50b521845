"""The PBX endpoints refuse bad input with a 400 naming the field, and link repeat callers."""

from __future__ import annotations

import pytest

from balie.channels.phone.models import Call
from balie.conversations.models import Conversation, Message
from balie.routing.models import QueueEntry
from tests.phone.conftest import CALLER, EVENTS, TASKS, pbx_post

pytestmark = pytest.mark.django_db


def _task(call_id: str, **extra: object) -> dict[str, object]:
    return {"call_id": call_id, "caller": CALLER, "language": "nl", "topic": "paspoort", **extra}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"caller": CALLER}, "call_id"),
        ({"call_id": ["c1"], "caller": CALLER}, "call_id"),
        ({"call_id": "c" * 129, "caller": CALLER}, "call_id"),
        ({"call_id": "c1"}, "caller"),
        ({"call_id": "c1", "caller": {"nr": CALLER}}, "caller"),
        ({"call_id": "c1", "caller": "+31" * 30}, "caller"),
        ({"call_id": "c1", "caller": CALLER, "language": "nederlands"}, "language"),
        ({"call_id": "c1", "caller": CALLER, "topic": "t" * 51}, "topic"),
        ({"call_id": "c1", "caller": CALLER, "topic": [1]}, "topic"),
    ],
)
def test_a_task_with_a_wrong_field_is_400_naming_it(phone, client, body, field):
    """A call task with a missing, mistyped or too long field answers 400 with that field."""
    response = pbx_post(client, TASKS, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"event": "exploded"}, "event"),
        ({"event": ["ended"]}, "event"),
        ({"event": "ended", "at": "2025-03-01T10:00:00"}, "at"),
        ({"event": "ended", "at": "2025-03-01"}, "at"),
        ({"event": "ended", "at": "yesterday"}, "at"),
        ({"event": "ended", "at": 1740823200}, "at"),
        ({"event": "ended", "call_id": {"id": "c1"}}, "call_id"),
    ],
)
def test_a_call_event_with_a_wrong_field_is_400_naming_it(phone, client, extra, field):
    """An unknown event, a time without a UTC offset or of the wrong type answers 400."""
    assert pbx_post(client, TASKS, _task("c1")).status_code == 200
    response = pbx_post(client, EVENTS, {"call_id": "c1", **extra})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Call.objects.get().ended_at is None


def test_a_time_with_an_offset_is_taken(phone, client):
    """An ``at`` with a UTC offset is applied as that instant."""
    pbx_post(client, TASKS, _task("c1"))
    response = pbx_post(
        client,
        EVENTS,
        {"call_id": "c1", "event": "abandoned", "at": "2099-01-01T10:00:00+01:00"},
    )
    assert response.status_code == 200
    assert Call.objects.get().ended_at.isoformat() == "2099-01-01T09:00:00+00:00"


@pytest.mark.parametrize("path", [TASKS, EVENTS])
def test_pathological_nesting_is_400(phone, client, path):
    """A body nested 100,000 deep answers 400, not a 500 from a RecursionError."""
    response = pbx_post(client, path, b'{"call_id":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"].startswith("JSON parse error")) == ("invalid", True)


def test_caller_and_language_are_stored_without_nul_or_lone_surrogates(phone, client):
    """NUL is dropped and a lone surrogate becomes U+FFFD in the caller and the language."""
    raw = b'{"call_id": "c1", "caller": "+316123\\u000045678", "language": "n\\ud800"}'
    response = pbx_post(client, TASKS, raw)
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.language == "n\ufffd"
    assert conversation.party.addresses.get().value == CALLER


def test_a_second_call_while_the_first_conversation_is_open_is_linked(
    phone, passport, make_agent, client, run_tasks
):
    """A repeat caller whose resolved conversation is still open gets a second call in it,
    queued and routed again; retrying the task answers the same, without a 500."""
    make_agent("piet", skills={passport: 3}, channels={"phone": 1})
    assert pbx_post(client, TASKS, _task("c1")).json()["instruction"] == "dequeue"
    pbx_post(client, EVENTS, {"call_id": "c1", "event": "answered"})
    pbx_post(client, EVENTS, {"call_id": "c1", "event": "ended"})
    run_tasks()
    conversation = Conversation.objects.get()
    assert conversation.status == "resolved"
    second = pbx_post(client, TASKS, _task("c2"))
    assert second.status_code == 200
    assert (second.json()["instruction"], second.json()["extension"]) == ("dequeue", "201")
    again = pbx_post(client, TASKS, _task("c2"))
    assert again.status_code == 200
    assert again.json()["reservation_id"] == second.json()["reservation_id"]
    calls = list(Call.objects.order_by("pk").values_list("call_id", "conversation_id"))
    assert calls == [("c1", conversation.pk), ("c2", conversation.pk)]
    assert Message.objects.filter(conversation=conversation).count() == 2
    run_tasks()


def test_an_earlier_call_ending_leaves_the_later_call_waiting(phone, passport, client, run_tasks):
    """A caller who redials while queued: the first call's hang-up ends only that call; the
    conversation stays queued for the second."""
    assert pbx_post(client, TASKS, _task("c1")).json()["instruction"] == "redirect"
    assert pbx_post(client, TASKS, _task("c2")).status_code == 200
    response = pbx_post(client, EVENTS, {"call_id": "c1", "event": "abandoned"})
    assert response.json()["abandoned"] is True
    conversation = Conversation.objects.get()
    assert conversation.status == "queued"
    assert QueueEntry.objects.get(conversation=conversation).state == "waiting"
    assert Call.objects.get(call_id="c2").ended_at is None
    pbx_post(client, EVENTS, {"call_id": "c2", "event": "abandoned"})
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    run_tasks()
