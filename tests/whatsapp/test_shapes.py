"""Wrong shapes: any node of a real WhatsApp payload replaced by another JSON shape (an object
where a list belongs, a list, a string, a number, null, or the node left out) is parsed
without an exception, and the webhook and worker apply the event without error."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balie.channels.simulators.whatsapp_payloads import new_wamid
from balie.channels.whatsapp.models import WebhookEvent
from balie.channels.whatsapp.parse import parse_webhook
from balie.conversations.models import Direction, Message
from tests.whatsapp.conftest import FIXTURES, fixture_json

NAMES = sorted(path.stem for path in Path(FIXTURES).glob("*.json"))
DELETE = object()  # the node is left out
KEYS = ["id", "type", "body", "text", "from", "messages", "statuses", "value", "emoji", "rows"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node of a JSON value, as the keys and indexes that lead to it."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*path, index))
    return found


def node(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def replaced(payload: Any, path: tuple[Any, ...], new: Any) -> Any:
    """``payload`` with the node at ``path`` replaced by ``new`` (or left out)."""
    if not path:
        return {} if new is DELETE else new
    out = copy.deepcopy(payload)
    parent = node(out, path[:-1])
    if new is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return out


def other_shapes(old: Any) -> list[Any]:
    """The same content in the wrong container: what providers get wrong most."""
    shapes: list[Any] = [[old], {"0": old}, json.dumps(old)[:40], 0, None, DELETE]
    if isinstance(old, dict):
        shapes += [list(old.values()), list(old)]
    if isinstance(old, list) and old:
        shapes += [old[0], dict(enumerate(map(str, old)))]
    return shapes


def fresh(payload: dict[str, Any]) -> dict[str, Any]:
    """A recorded payload with new message ids, so each example is a new message."""
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            for raw in change.get("value", {}).get("messages", []):
                raw["id"] = new_wamid()
    return payload


@st.composite
def wrong_shapes(draw: st.DrawFn) -> Any:
    """A real payload with one to three nodes replaced by other shapes."""
    payload: Any = fresh(fixture_json(draw(st.sampled_from(NAMES))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths(payload)))
        old = node(payload, path)
        new = draw(st.sampled_from(other_shapes(old)) | json_values)
        payload = replaced(payload, path, new)
    return payload


@given(wrong_shapes())
@settings(max_examples=400, deadline=None)
def test_the_parser_never_raises_on_wrong_shapes(payload):
    """Whatever node has the wrong shape, parsing returns plain values and never raises."""
    batch = parse_webhook(payload)
    for message in batch.messages:
        assert message.wamid
        assert message.sender.wa_id or message.sender.user_id
        assert isinstance(message.body, str)
        json.dumps(message.metadata)  # storable as JSON
    for status in batch.statuses:
        assert status.wamid
        assert status.status


@given(json_values)
@settings(max_examples=200, deadline=None)
def test_the_parser_never_raises_on_any_json(payload):
    """Any JSON value at all parses to an empty or partial batch, never an exception."""
    parse_webhook(payload)
    parse_webhook({"object": "whatsapp_business_account", "entry": payload})
    parse_webhook({"entry": [{"changes": [{"field": "messages", "value": payload}]}]})


@pytest.mark.django_db(transaction=False)
@given(payload=wrong_shapes())
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_webhook_and_worker_apply_wrong_shapes_without_error(payload, post_webhook, run_tasks):
    """A signed payload with wrong shapes is refused (400) or stored and applied cleanly."""
    before = WebhookEvent.objects.count()
    response = post_webhook(json.dumps(payload).encode())
    assert response.status_code in {200, 400}, response.content
    if response.status_code == 400:
        assert WebhookEvent.objects.count() == before  # refused: nothing stored
        return
    run_tasks()
    event = WebhookEvent.objects.latest("pk")
    assert event.processed_at is not None, event.last_error
    assert (event.attempts, event.last_error) == (0, "")  # applied at the first try


def test_an_unreadable_message_is_kept_as_unsupported_with_its_raw_part(deliver):
    """A text whose content is a list is kept as an unsupported message holding that list."""
    payload = fresh(fixture_json("text"))
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw["text"] = ["Hoe vraag ik", "een paspoort aan?"]
    deliver(payload)
    message = Message.objects.get(direction=Direction.INBOUND)
    metadata = message.metadata["whatsapp"]
    assert metadata["type"] == "unsupported"
    assert metadata["unsupported_type"] == "text"
    assert metadata["raw"]["text"] == ["Hoe vraag ik", "een paspoort aan?"]


def test_a_message_without_id_is_skipped_and_the_event_applied(deliver):
    """A message with an object for its id is skipped; the statuses beside it still apply."""
    payload = fresh(fixture_json("batch"))
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = {"wamid": "x"}
    deliver(payload)
    assert WebhookEvent.objects.get().processed_at is not None
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 3
