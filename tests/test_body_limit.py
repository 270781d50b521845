"""Request bodies above the limit are refused with 413 before they are read, on every path."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from django.core.asgi import get_asgi_application
from django.test import override_settings

from balie.channels.whatsapp.ingress import WhatsAppIngress
from balie.core.bodylimit import BodyLimit

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 64 * 1024
UPLOAD_LIMIT = 256 * 1024
CHUNK = 16 * 1024


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    """Balie's HTTP stack as ``balie.conf.asgi`` composes it, served by uvicorn on loopback."""
    ingress = WhatsAppIngress(get_asgi_application())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(BodyLimit(ingress), lifespan="off", log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT, BALIE_MAX_UPLOAD_BYTES=UPLOAD_LIMIT):
        thread.start()
        while not uv.started:
            time.sleep(0.01)
        yield sock.getsockname()
        uv.should_exit = True
        thread.join(5)
    sock.close()
    ingress.close()


def raw_request(address: tuple[str, int], head: str) -> socket.socket:
    """A connected socket that has sent ``head`` (request line and headers)."""
    conn = socket.create_connection(address, timeout=10)
    conn.sendall(head.encode("latin-1") + b"\r\n")
    return conn


def read_status(conn: socket.socket) -> int:
    """The status code of the response on ``conn``."""
    data = b""
    while b"\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def send_chunked_until_answered(conn: socket.socket, total: int) -> int:
    """Send up to ``total`` bytes in chunks, stopping when an answer arrives; bytes sent."""
    sent = 0
    conn.setblocking(False)
    try:
        while sent < total:
            try:
                if conn.recv(1, socket.MSG_PEEK):
                    break  # the server answered
            except BlockingIOError:
                pass
            try:
                conn.sendall(f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n")
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)  # the server does not read any more
                continue
            sent += CHUNK
            time.sleep(0.001)
    finally:
        conn.setblocking(True)
    return sent


@pytest.mark.parametrize(
    "path", ["/api/v1/conversations/", "/webhooks/api/nope/", "/phone/nope/tasks/", "/admin/"]
)
def test_declared_length_above_the_limit_is_413_without_the_body(server, path):
    """A Content-Length above the limit is answered 413 before one byte of the body is sent."""
    conn = raw_request(
        server,
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {300 * 1024 * 1024}\r\n",
    )
    with conn:
        assert read_status(conn) == 413


def test_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server):
    """A 300 MB chunked body to an unauthenticated endpoint is cut off with 413 near the limit."""
    conn = raw_request(
        server,
        "POST /api/v1/conversations/1/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
    )
    with conn:
        sent = send_chunked_until_answered(conn, 300 * 1024 * 1024)
        assert read_status(conn) == 413
    assert sent < 64 * LIMIT  # far from 300 MB: the server stopped reading


def test_chunked_body_through_httpx_gets_413(server):
    """httpx streaming a chunked body far above the limit receives 413, not the whole upload."""
    produced = 0

    def body() -> Iterator[bytes]:
        nonlocal produced
        while produced < 300 * 1024 * 1024:
            produced += CHUNK
            yield b"x" * CHUNK

    url = f"http://{server[0]}:{server[1]}/api/v1/conversations/"
    response = httpx.post(url, content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert produced < 300 * 1024 * 1024


def test_bodies_within_the_limit_reach_the_application(server):
    """A body under the limit is read and answered by the application (401 without a token)."""
    url = f"http://{server[0]}:{server[1]}/api/v1/conversations/1/status/"
    response = httpx.post(url, content=b"x" * (LIMIT - 1), headers={"Content-Type": "text/plain"})
    assert response.status_code == 401


def test_file_upload_paths_take_the_upload_limit(server):
    """The files endpoint accepts bodies up to BALIE_MAX_UPLOAD_BYTES and refuses larger ones."""
    url = f"http://{server[0]}:{server[1]}/api/v1/conversations/1/files/"
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    under = httpx.post(url, content=b"x" * (2 * LIMIT), headers=headers)
    assert under.status_code == 401
    over = httpx.post(url, content=b"x" * (UPLOAD_LIMIT + 1), headers=headers)
    assert over.status_code == 413


def test_the_served_application_has_the_limit_in_front():
    """balie.conf.asgi wraps every HTTP request, the WhatsApp ingest included, in BodyLimit."""
    from balie.conf.asgi import application

    http = application.application_mapping["http"]
    assert isinstance(http, BodyLimit)
    assert isinstance(http.app, WhatsAppIngress)


def test_the_lean_whatsapp_ingest_refuses_a_non_ascii_signature_with_403(server, organisation):
    """The ASGI ingest decodes headers as latin-1; a non-ASCII signature is a 403, not a 500."""
    from tests import factories

    factories.ChannelFactory(
        organisation=organisation, key="wa", kind="whatsapp", secrets={"app_secret": "s"}
    )
    with open("tests/whatsapp/fixtures/text.json", "rb") as f:
        body = f.read()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": b"sha256=\xe9\xff"}
    url = f"http://{server[0]}:{server[1]}/webhooks/whatsapp/wa/"
    response = httpx.post(url, content=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signature_invalid"
