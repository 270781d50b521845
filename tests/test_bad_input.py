"""Bad input never breaks Balie: nesting, text databases refuse, non-ASCII secrets, huge ids."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from balie.channels.base import sign
from balie.channels.models import Channel
from balie.channels.simulators.whatsapp import WhatsAppSimulator
from balie.channels.simulators.whatsapp_payloads import signature
from balie.conversations.models import Attachment, Conversation, Direction, Message
from balie.core import safejson
from balie.core.text import clean_text
from balie.parties.models import DigitalAddress, Party
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
NESTED = b"[" * 100_000 + b"]" * 100_000
B63 = 2**63
SECRET = "form-signing-secret"
WA_DIR = "tests/whatsapp/fixtures"


# --- the pure parts ---------------------------------------------------------------------------


def test_clean_text_drops_nul_and_replaces_lone_surrogates():
    """NUL goes, a lone surrogate becomes U+FFFD, a split pair is joined, the rest is kept."""
    assert clean_text("a\x00b") == "ab"
    assert clean_text("x\ud800y") == "x\ufffdy"
    assert clean_text("\ud83d\ude00!") == "\U0001f600!"
    assert clean_text("gewoon tekst, één ✓") == "gewoon tekst, één ✓"


@pytest.mark.parametrize(
    "body", [NESTED, b"[" * 65 + b"]" * 65, b"NaN", b"\xff{}", b"1" * 5000, b'{"a": [1,'], ids=str
)
def test_safejson_refuses_what_is_not_safe_json(body):
    """Deep nesting, NaN, invalid UTF-8, a 5,000-digit number, broken JSON: MalformedJSON."""
    with pytest.raises(safejson.MalformedJSON):
        safejson.loads(body)


def test_safejson_cleans_keys_and_values_at_any_depth():
    """Every string, keys included, comes back without NUL or lone surrogates."""
    raw = b'{"k\\u0000": [{"v": "a\\ud800\\u0000b"}], "n": 1}'
    assert safejson.loads(raw) == {"k": [{"v": "a\ufffdb"}], "n": 1}
    assert safejson.loads(b"[" * 64 + b"]" * 64) is not None


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def wa_channel(organisation) -> Iterator[Channel]:  # type: ignore[no-untyped-def]
    """A WhatsApp channel pointed at a Graph API simulator on loopback."""
    sim = WhatsAppSimulator().start()
    channel = factories.ChannelFactory(organisation=organisation, key="wa", kind="whatsapp")
    sim.configure(channel)
    channel.refresh_from_db()
    yield channel
    sim.stop()


@pytest.fixture
def post_wa(client: Client, wa_channel: Channel) -> Callable[..., Any]:
    """POST raw bytes to the WhatsApp webhook (Django view), signed with the app secret."""

    def post(body: bytes, sig: str | None = None) -> Any:
        header = sig if sig is not None else signature(wa_channel.secrets["app_secret"], body)
        return client.generic(
            "POST",
            f"/webhooks/whatsapp/{wa_channel.key}/",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=header,
        )

    return post


@pytest.fixture
def form_channel(organisation) -> Channel:  # type: ignore[no-untyped-def]
    """The API / web-form channel with a signing secret."""
    return factories.ChannelFactory(
        organisation=organisation, key="formulier", kind="api", secrets={"signing_secret": SECRET}
    )


def post_form(client: Client, body: bytes, sig: str | None = None) -> Any:
    """POST raw bytes to the API channel's webhook, signed unless ``sig`` is given."""
    return client.generic(
        "POST",
        "/webhooks/api/formulier/",
        body,
        content_type="application/json",
        HTTP_X_BALIE_SIGNATURE=sig if sig is not None else sign(SECRET, body),
    )


@pytest.fixture
def api(agent) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client logged in as a supervisor of the organisation."""
    agent.is_supervisor = True
    agent.save(update_fields=["is_supervisor"])
    client = APIClient()
    client.force_authenticate(agent.user)
    return client


@pytest.fixture
def conversation(channel, agent) -> Conversation:  # type: ignore[no-untyped-def]
    """A conversation on the API channel, assigned to the agent."""
    result = receive(channel)
    conversation = result.message.conversation
    Conversation.objects.filter(pk=conversation.pk).update(status="assigned", assignee=agent)
    return Conversation.objects.get(pk=conversation.pk)


def _wa(name: str, **replace: str) -> bytes:
    """A recorded WhatsApp body with some JSON-escaped text put in place of other text."""
    with open(f"{WA_DIR}/{name}.json", "rb") as f:
        raw = f.read().decode()
    for old, new in replace.items():
        assert old in raw
        raw = raw.replace(old, new)
    return raw.encode()


# --- nesting at every entry point -------------------------------------------------------------


def test_nesting_on_the_whatsapp_webhook_is_400(post_wa):
    """A signed WhatsApp body nested 100,000 deep answers 400 and stores nothing."""
    response = post_wa(NESTED)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_nesting_on_the_api_channel_is_400(client, form_channel):
    """A signed API-channel body nested 100,000 deep answers 400."""
    response = post_form(client, b'{"id": "x", "text": ' + NESTED + b"}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("path", ["messages/", "status/"])
def test_nesting_on_the_rest_api_is_400(api, conversation, path):
    """A REST API body nested 100,000 deep answers 400 in the API's error shape."""
    url = f"/api/v1/conversations/{conversation.pk}/{path}"
    response = api.generic("POST", url, NESTED, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_rest_api_text_is_cleaned_before_it_is_stored(api, conversation):
    """A note with a lone surrogate is stored with U+FFFD (NUL is dropped by the parser)."""
    body = b'{"kind": "note", "body": "zie \\ud800 dossier\\u0000 42"}'
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    response = api.generic("POST", url, body, content_type="application/json")
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["id"]).body == "zie \ufffd dossier 42"


# --- text that databases refuse ---------------------------------------------------------------


def test_whatsapp_text_and_profile_name_are_stored_cleaned(post_wa, run_tasks):
    """NUL and lone surrogates in a WhatsApp text and profile name: stored cleaned, rest kept."""
    body = _wa(
        "text",
        **{"Fatima el Amrani": "Fatima\\u0000 el \\ud800Amrani"},
    )
    text = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
    body = body.replace(json.dumps(text)[1:-1].encode(), b"Hallo\\u0000 wereld \\udfff!")
    assert post_wa(body).status_code == 200
    run_tasks()
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.body == "Hallo wereld \ufffd!"
    assert Party.objects.get().display_name == "Fatima el \ufffdAmrani"


def test_whatsapp_mime_type_is_stored_cleaned(post_wa, run_tasks):
    """A mime type with NUL and a lone surrogate is stored cleaned; the caption is kept."""
    body = _wa("image", **{"image\\/jpeg": "image\\/jp\\u0000eg\\ud800"})
    assert post_wa(body).status_code == 200
    run_tasks()
    assert Attachment.objects.get().content_type.startswith("image/jpeg")
    assert "\x00" not in Attachment.objects.get().content_type
    assert Message.objects.get(direction=Direction.INBOUND).body == "Foto van de melding"


def test_api_channel_text_name_and_email_are_stored_cleaned(client, form_channel):
    """NUL and lone surrogates in the API channel's text, name and e-mail: stored cleaned."""
    body = (
        b'{"id": "f1", "text": "Vraag\\u0000 over \\ud800 paspoort",'
        b' "sender": {"name": "Jan\\u0000 \\udc00Jansen", "email": "jan\\u0000@example.nl"}}'
    )
    response = post_form(client, body)
    assert response.status_code == 202
    assert Message.objects.get().body == "Vraag over \ufffd paspoort"
    assert Party.objects.get().display_name == "Jan \ufffdJansen"
    assert DigitalAddress.objects.get().value == "jan@example.nl"


def test_a_raw_nul_byte_in_a_webhook_body_is_400(post_wa):
    """A real NUL byte (not the JSON escape) is not valid JSON: 400, nothing stored."""
    body = _wa("text").replace(b'"whatsapp_business_account"', b'"whatsapp_business\x00_account"')
    assert post_wa(body).status_code == 400
    assert not Message.objects.exists()


# --- signatures and tokens with non-ASCII characters ------------------------------------------


def test_non_ascii_whatsapp_signature_is_403(post_wa):
    """A signature header with non-ASCII characters is refused with 403, not a 500."""
    assert post_wa(_wa("text"), sig="sha256=é" + "0" * 63).status_code == 403


def test_non_ascii_api_channel_signature_is_403(client, form_channel):
    """The API channel refuses a non-ASCII signature with 403."""
    body = b'{"id": "f1", "text": "x", "sender": {"email": "a@example.nl"}}'
    assert post_form(client, body, sig="sha256=ü").status_code == 403


def test_non_ascii_pbx_token_is_401(client, organisation):
    """The PBX endpoint refuses a non-ASCII bearer token with 401."""
    factories.ChannelFactory(
        organisation=organisation, key="pbx", kind="phone", secrets={"pbx_token": "t"}
    )
    response = client.post(
        "/phone/pbx/tasks/", "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer ž"
    )
    assert response.status_code == 401


@override_settings(METRICS_TOKEN="metrics-token")
def test_non_ascii_metrics_token_is_403(client):
    """/metrics refuses a non-ASCII bearer token with 403."""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ÿ").status_code == 403


# --- numbers and ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations/99999999999999999999/",
        f"/api/v1/conversations/{B63}/messages/",
        f"/api/v1/parties/{B63}/",
        f"/api/v1/agents/{B63}/",
        f"/api/v1/channels/{B63}/",
    ],
)
def test_ids_beyond_the_database_range_in_paths_are_404(api, path):
    """Path ids too large for a database integer answer 404."""
    assert api.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [f"assignee={B63}", f"channel={B63}", f"team={B63}", f"party={B63}", "priority=99999999"],
)
def test_ids_beyond_the_range_in_conversation_filters_are_not_500(api, query):
    """Filters with out-of-range numbers answer 400 (unknown choice) or an empty list."""
    response = api.get(f"/api/v1/conversations/?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize("value", [str(B63), "-1", "abc"])
def test_many_to_many_filter_ids_are_checked(api, value):
    """``?teams=`` with an id no database integer holds answers 400 naming the field."""
    response = api.get(f"/api/v1/agents/?teams={value}")
    assert response.status_code == 400
    assert "teams" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "reply", "body": "x", "reply_to": B63}, "reply_to"),
        ({"kind": "reply", "body": "x", "reply_to": 0}, "reply_to"),
        ({"kind": "template", "template": B63}, "template"),
    ],
)
def test_ids_in_message_bodies_are_bounded(api, conversation, body, field):
    """reply_to and template ids beyond the database range answer 400 naming the field."""
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "path",
    [
        f"/routing/offers/{B63}/accept/",
        "/routing/offers/99999999999999999999/decline/",
        f"/routing/conversations/{B63}/assign/",
        "/routing/conversations/1/explode/",
    ],
)
def test_routing_paths_with_ids_beyond_the_range_are_404(api, path):
    """Routing paths with out-of-range ids (or an unknown action) answer 404."""
    assert api.post(path, {"agent_id": 1}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reprioritise", {"priority": 40_000}, "priority"),
        ("reprioritise", {"priority": "hoog"}, "priority"),
        ("reprioritise", {}, "priority"),
        ("assign", {"agent_id": B63}, "agent_id"),
        ("move", {"topic": ["a"]}, "topic"),
    ],
)
def test_supervisor_numbers_out_of_range_are_400_naming_the_field(
    api, conversation, action, body, field
):
    """A priority beyond the smallint column or an agent id beyond the range answers 400."""
    response = api.post(f"/routing/conversations/{conversation.pk}/{action}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_supervisor_input_must_be_an_object(api, conversation):
    """A JSON list where an object belongs answers 400, not a 500."""
    url = f"/routing/conversations/{conversation.pk}/reprioritise/"
    assert api.post(url, [1, 2], format="json").status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/conversations/0.5/", "/routing/offers/%C2%84/accept/", "/api/v1/nothing/"]
)
def test_paths_no_route_matches_answer_json_404_under_the_api(api, path):
    """A path under the API that no route matches answers the API's JSON 404, not a page."""
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
