"""The lean ASGI ingest over real HTTP: the same guards as the Django view, group commit, 503."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from django.core.asgi import get_asgi_application
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from balie.channels.simulators.whatsapp_payloads import signature
from balie.channels.whatsapp import groupcommit
from balie.channels.whatsapp.ingress import WhatsAppIngress
from balie.channels.whatsapp.models import WebhookEvent
from balie.conversations.models import Direction, Message
from balie.parties.models import Party
from tests.conftest import ON_POSTGRES
from tests.whatsapp.conftest import APP_SECRET, fixture_bytes, fixture_json

pytestmark = pytest.mark.django_db(transaction=True)

Post = Callable[..., httpx.Response]


@pytest.fixture
def ingress() -> Iterator[WhatsAppIngress]:
    """A fresh ingress (own channel cache and writer) around Django, served by uvicorn."""
    app = WhatsAppIngress(get_asgi_application())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    app.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # type: ignore[attr-defined]
    yield app
    server.should_exit = True
    thread.join(5)
    sock.close()
    app.close()


@pytest.fixture
def post(ingress: WhatsAppIngress, wa_channel: Any) -> Post:
    """POST raw bytes to the channel's webhook over HTTP, signed unless told otherwise."""

    def send(
        body: bytes,
        *,
        sig: str | None = "",
        content_type: str = "application/json",
        key: str = wa_channel.key,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type}
        if sig is not None:
            headers["X-Hub-Signature-256"] = sig or signature(APP_SECRET, body)
        url = f"{ingress.base_url}/webhooks/whatsapp/{key}/"  # type: ignore[attr-defined]
        return httpx.post(url, content=body, headers=headers, timeout=20)

    return send


def nothing_stored() -> bool:
    """No raw event, no task, no message, no party."""
    return not (
        WebhookEvent.objects.exists()
        or DBTaskResult.objects.exists()
        or Message.objects.exists()
        or Party.objects.exists()
    )


def test_signed_post_is_acknowledged_after_storing(post, run_tasks):
    """A signed POST answers 200 with the raw event and its task committed; applying works."""
    body = fixture_bytes("text")
    response = post(body)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().body == body.decode()
    assert DBTaskResult.objects.count() == 1
    run_tasks()
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert WebhookEvent.objects.get().processed_at is not None


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"sig": None}, 401, "signature_missing"),
        ({"sig": "sha256=" + "0" * 64}, 403, "signature_invalid"),
        ({"content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"key": "no-such-channel"}, 404, "unknown_channel"),
    ],
)
def test_bad_requests_are_refused_with_nothing_stored(post, kwargs, status, code):
    """Missing or wrong signature, wrong media type, unknown channel: the precise 4xx."""
    response = post(fixture_bytes("text"), **kwargs)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{not json", "malformed_json"), (b'{"object": "page", "entry": []}', "invalid_payload")],
)
def test_signed_garbage_is_a_400(post, body, code):
    """A correctly signed body that is not a WhatsApp envelope is refused with 400."""
    response = post(body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert nothing_stored()


def test_oversized_body_is_a_413(post):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before the signature is checked."""
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        response = post(fixture_bytes("text"))
    assert (response.status_code, response.json()["error"]["code"]) == (413, "body_too_large")
    assert nothing_stored()


def test_signature_is_checked_over_the_raw_bytes(post):
    """Re-encoding the same JSON (escaped unicode turned into UTF-8) breaks the signature."""
    body = fixture_bytes("text")
    reencoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
    response = post(reencoded, sig=signature(APP_SECRET, body))
    assert response.status_code == 403
    assert nothing_stored()


def test_duplicate_deliveries_store_one_message(post, run_tasks):
    """Meta's retry of the same wamid is acknowledged again but applied once."""
    body = fixture_bytes("text")
    assert [post(body).status_code for _ in range(3)] == [200, 200, 200]
    run_tasks()
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()


def test_concurrent_posts_are_all_stored_and_applied(post, run_tasks):
    """Twenty concurrent POSTs of different messages: all acknowledged, stored and applied."""
    bodies = []
    for n in range(20):
        payload = fixture_json("text")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.concurrent{n}"
        bodies.append(json.dumps(payload).encode())
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda b: post(b).status_code, bodies))
    assert statuses == [200] * 20
    assert WebhookEvent.objects.count() == 20
    run_tasks()
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 20


def test_acknowledgement_waits_for_the_commit(post, monkeypatch):
    """While the writer has not committed, the request has no answer and nothing is stored."""
    release = threading.Event()
    real = groupcommit.write_batch

    def held(items: list[tuple[int, str]]) -> list[int]:
        release.wait(10)
        return real(items)

    monkeypatch.setattr(groupcommit, "write_batch", held)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(post, fixture_bytes("text"))
        time.sleep(0.3)
        assert not answer.done()
        assert not WebhookEvent.objects.exists()
        release.set()
        assert answer.result().status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_failed_commit_answers_503_with_nothing_half_written(post, monkeypatch):
    """The task insert fails after the event rows: all rolls back, 503 to retry, then 200."""

    def broken(evt: Any) -> None:
        raise RuntimeError("the task table is gone")

    monkeypatch.setattr(groupcommit, "publish", broken)
    response = post(fixture_bytes("text"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert nothing_stored()
    monkeypatch.undo()
    assert post(fixture_bytes("text")).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_other_requests_pass_through_to_django(ingress, wa_channel):
    """The GET handshake and other paths are still answered by Django."""
    url = f"{ingress.base_url}/webhooks/whatsapp/{wa_channel.key}/"
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "sim-verify-token",
        "hub.challenge": "42",
    }
    response = httpx.get(url, params=params)
    assert (response.status_code, response.text) == (200, "42")
    assert httpx.get(f"{ingress.base_url}/healthz").status_code == 200


def test_a_host_outside_allowed_hosts_is_a_400(ingress, wa_channel):
    """As in Django, a Host header not in ALLOWED_HOSTS is refused and nothing is stored."""
    body = fixture_bytes("text")
    url = f"{ingress.base_url}/webhooks/whatsapp/{wa_channel.key}/"
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature(APP_SECRET, body),
        "Host": "evil.example",
    }
    response = httpx.post(url, content=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "disallowed_host")
    assert nothing_stored()


def test_the_load_generator_speaks_http_the_server_accepts(ingress, wa_channel, run_tasks):
    """The benchmark's load generator gets every signed POST acknowledged and applied."""
    import asyncio

    from balie.channels.simulators.whatsapp_load import post_all, signed_bodies

    url = f"{ingress.base_url}/webhooks/whatsapp/{wa_channel.key}/"
    result = asyncio.run(post_all(url, signed_bodies(10, 5, APP_SECRET), concurrency=4))
    assert (result["acknowledged"], result["statuses"]) == (10, {200: 10})
    run_tasks()
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 10


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single write lock")
def test_on_sqlite_the_writer_waits_for_the_write_lock(post):
    """A POST arriving while another process holds SQLite's write lock is stored once it is free."""
    import sqlite3

    from django.db import connection

    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, fixture_bytes("text"))
            time.sleep(0.5)
            assert not answer.done()
            other.execute("COMMIT")
            assert answer.result().status_code == 200
    finally:
        other.close()
    assert WebhookEvent.objects.count() == 1


def test_an_unreachable_database_answers_503(post, ingress, monkeypatch):
    """When the channel cannot be looked up, the answer is a retryable 503, never a 500."""
    from django.db import OperationalError

    from balie.channels.whatsapp import ingress as module

    def down(key: str) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(module, "_lookup", down)
    response = post(fixture_bytes("text"))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    monkeypatch.undo()
    assert post(fixture_bytes("text")).status_code == 200
