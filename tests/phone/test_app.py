"""The phone channel as its own app: its Call on the table routing made, its adapter in the
registry, its API under /api/v1/phone/ in the OpenAPI document, the old URLs as an alias."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from balie.channels.base import SendError
from balie.channels.phone.adapter import PhoneAdapter
from balie.channels.phone.models import Call
from balie.channels.registry import adapter_for, adapter_for_kind
from balie.core import clock
from tests import factories
from tests.phone.conftest import CALLER, pbx_post

BEFORE = [("routing", "0004_call_per_conversation_many"), ("phone", None)]


def test_the_call_keeps_the_table_routing_made() -> None:
    """The move changed no table: the phone app's Call lives on ``routing_call``."""
    assert (Call._meta.app_label, Call._meta.db_table) == ("phone", "routing_call")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_call_written_before_the_move_is_read_after_it() -> None:
    """Migrating forwards from routing's Call keeps its rows: no copy, no loss."""
    conversation = factories.ConversationFactory(channel__kind="phone")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE[0]).apps.get_model("routing", "Call")
        old.objects.create(
            conversation_id=conversation.pk,
            channel_id=conversation.channel_id,
            call_id="before-the-move",
            queued_at=clock.now(),
            talk_s=42.0,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    call = Call.objects.get(call_id="before-the-move")
    assert (call.conversation_id, call.talk_s, call.klantcontact_id) == (
        conversation.pk,
        42.0,
        None,
    )


@pytest.mark.django_db
def test_the_registry_serves_phone_channels() -> None:
    """A phone channel gets the phone adapter, which refuses a written reply for good."""
    channel = factories.ChannelFactory(kind="phone")
    assert isinstance(adapter_for(channel), PhoneAdapter)
    assert adapter_for_kind("phone").has_reply_window is False
    conversation = factories.ConversationFactory(channel=channel, organisation=channel.organisation)
    message = conversation.messages.create(channel=channel, body="Hallo")
    with pytest.raises(SendError) as refused:
        adapter_for(channel).send(message)
    assert (refused.value.code, refused.value.retryable) == ("not_supported", False)


@pytest.mark.django_db
def test_the_phone_api_is_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    """/api/v1/schema/ documents both PBX operations with their bearer token; the alias not."""
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for name in ("tasks", "events"):
        operation = paths[f"/api/v1/phone/{{key}}/{name}/"]["post"]
        assert operation["security"] == [{"pbxToken": []}]
        assert {"200", "400", "401"} <= set(operation["responses"])
    assert not [path for path in paths if path.startswith("/phone/")]
    assert schema["components"]["securitySchemes"]["pbxToken"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_the_old_urls_still_take_calls(phone, client) -> None:  # type: ignore[no-untyped-def]
    """A PBX configured with /phone/<key>/… is answered as on /api/v1/phone/<key>/…."""
    response = pbx_post(client, "/phone/pbx/tasks/", {"call_id": "c1", "caller": CALLER})
    assert response.status_code == 200
    assert response.json()["instruction"] == "redirect"
    ended = pbx_post(client, "/phone/pbx/events/", {"call_id": "c1", "event": "abandoned"})
    assert ended.json()["abandoned"] is True
    assert pbx_post(client, "/phone/pbx/tasks/", {"call_id": "c2"}, token="x").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["", "Bearer ", "Token pbx-secret-token", "Bearer pbx-secret-token-2", "Bearer ü"]
)
def test_a_missing_or_wrong_token_is_401(phone, client, header) -> None:  # type: ignore[no-untyped-def]
    """Anything but the channel's own bearer token is a 401 with WWW-Authenticate; no call."""
    response = client.post(
        "/api/v1/phone/pbx/tasks/",
        {"call_id": "c1", "caller": CALLER},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="pbx"'
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_another_channels_token_or_kind_is_401(phone, client) -> None:  # type: ignore[no-untyped-def]
    """The token of one phone channel does not open another; a non-phone key is unknown."""
    factories.ChannelFactory(
        organisation=phone.organisation, kind="phone", key="pbx2", secrets={"pbx_token": "other"}
    )
    factories.ChannelFactory(organisation=phone.organisation, kind="api", key="web")
    body = {"call_id": "c1", "caller": CALLER}
    assert pbx_post(client, "/api/v1/phone/pbx2/tasks/", body).status_code == 401
    assert pbx_post(client, "/api/v1/phone/web/tasks/", body).status_code == 401
    phone.is_active = False
    phone.save()
    assert pbx_post(client, "/api/v1/phone/pbx/tasks/", body).status_code == 401
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_pbx_answers_as_its_openapi_document_says(phone, passport, make_agent, client) -> None:  # type: ignore[no-untyped-def]
    """Every instruction (dequeue, queue, redirect) and an event's answer match the document."""
    import httpx
    import schemathesis

    document = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    schema = schemathesis.openapi.from_dict(document)

    def check(path: str, body: dict[str, object]) -> dict[str, object]:
        answer = pbx_post(client, f"/api/v1/phone/pbx/{path}/", body)
        response = httpx.Response(
            answer.status_code,
            headers=dict(answer.headers),
            content=answer.content,
            request=httpx.Request("POST", f"http://testserver/api/v1/phone/pbx/{path}/"),
        )
        response.read()
        response.elapsed = timedelta(0)  # schemathesis reads it; no network was involved
        schema[f"/api/v1/phone/{{key}}/{path}/"]["POST"].validate_response(response)
        return answer.json()  # type: ignore[no-any-return]

    task = {"caller": CALLER, "language": "nl", "topic": "paspoort"}
    make_agent("piet", skills={passport: 3}, channels={"phone": 1})  # Dutch only
    spanish = {**task, "call_id": "r", "language": "es"}
    assert check("tasks", spanish)["instruction"] == "redirect"
    assert check("tasks", {**task, "call_id": "d", "caller": "+31600000001"})["instruction"] == (
        "dequeue"
    )
    assert check("events", {"call_id": "d", "event": "answered"})["answered"] is True
    queued = check("tasks", {**task, "call_id": "q", "caller": "+31600000002"})
    assert queued["instruction"] == "queue"
    assert check("tasks", {"call_id": "x"})["error"]["fields"]  # type: ignore[index]
