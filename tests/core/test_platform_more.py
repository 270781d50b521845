"""Core's small services at their edges: secrets at rest, readiness, client addresses, path
ids, owner-only files, domain errors and the body limit's guard."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory

from balie.channels.models import Channel
from balie.core import crypto, health, storage
from balie.core.bodylimit import BodyLimit, _Guard, limit_for
from balie.core.clientip import client_ip, is_loopback
from balie.core.converters import MAX_ID, IdConverter
from balie.core.errors import BalieError, Forbidden, InvalidInput, NotFound, WorkflowViolation
from tests import factories


@pytest.mark.django_db
def test_channel_secrets_are_stored_encrypted_and_read_back_plain():
    """A channel's secrets are ciphertext in the table and a dict on the model."""
    org = factories.OrganisationFactory()
    channel = factories.ChannelFactory(organisation=org, secrets={"app_secret": "s3cret"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM channels_channel WHERE id = %s", [channel.pk])
        (stored,) = cursor.fetchone()
    assert "s3cret" not in stored
    assert crypto.decrypt(stored) == {"app_secret": "s3cret"}
    assert Channel.objects.get(pk=channel.pk).secrets == {"app_secret": "s3cret"}


@pytest.mark.django_db
def test_empty_secrets_read_as_an_empty_dict():
    """A row whose secrets column is empty reads as ``{}``, not a decryption error."""
    channel = factories.ChannelFactory(organisation=factories.OrganisationFactory())
    Channel.objects.filter(pk=channel.pk).update(secrets="")
    assert Channel.objects.get(pk=channel.pk).secrets == {}


@pytest.mark.django_db
def test_secrets_written_under_another_key_are_refused_on_read(settings):
    """A value encrypted with a key no longer configured raises instead of reading garbage."""
    channel = factories.ChannelFactory(
        organisation=factories.OrganisationFactory(), secrets={"k": "v"}
    )
    settings.FIELD_ENCRYPTION_KEY = "a-different-key"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Channel.objects.get(pk=channel.pk)


def test_the_encrypted_field_takes_dicts_tokens_and_nothing():
    """``to_python`` passes a dict through, decrypts a token, and makes nothing an empty dict."""
    field = crypto.EncryptedJSONField()
    assert field.to_python({"a": 1}) == {"a": 1}
    assert field.to_python(None) == {}
    assert field.to_python("") == {}
    assert field.to_python(crypto.encrypt({"b": 2})) == {"b": 2}
    assert crypto.decrypt(field.get_prep_value(None)) == {}


def test_a_key_list_with_blanks_and_spaces_uses_the_real_keys(settings):
    """``" new , ,old "`` is the keys new and old: a value under old still decrypts."""
    settings.FIELD_ENCRYPTION_KEY = "old"
    token = crypto.encrypt([1, 2])
    settings.FIELD_ENCRYPTION_KEY = " new , ,old "
    assert crypto.decrypt(token) == [1, 2]


@pytest.mark.django_db
def test_readyz_answers_503_while_migrations_are_pending(client, monkeypatch):
    """An unapplied migration makes /readyz 503 with the reason, and the answer is not cached."""
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("a migration", False)],
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "migrations_pending"}
    assert health._migrated is False


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    """A database that does not answer makes /readyz 503 'database', not a 500 page."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database"


def _request(peer: str, forwarded: str | None = None) -> Any:
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    """With BALIE_PROXY_COUNT 0 the TCP peer is the client, whatever X-Forwarded-For says."""
    settings.PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_behind_two_proxies_the_entry_two_from_the_right_is_the_client(settings):
    """A client-forged first entry is skipped: the outermost trusted proxy's entry counts."""
    settings.PROXY_COUNT = 2
    forwarded = "6.6.6.6, 203.0.113.7, 10.0.0.1"
    assert client_ip(_request("10.0.0.2", forwarded)) == "203.0.113.7"


def test_a_request_that_bypassed_the_proxies_is_judged_by_its_peer(settings):
    """Fewer forwarded entries than proxies (blanks do not count): the peer is the client."""
    settings.PROXY_COUNT = 2
    assert client_ip(_request("198.51.100.9", "203.0.113.7, ,")) == "198.51.100.9"
    assert client_ip(_request("198.51.100.9")) == "198.51.100.9"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("", False),
        ("localhost", False),
    ],
)
def test_loopback_is_recognised_in_every_spelling(address, loopback):
    """IPv4, IPv6 and IPv4-mapped loopback are loopback; names and garbage are not."""
    assert is_loopback(address) is loopback


def test_the_id_converter_refuses_zero_and_numbers_past_64_bits():
    """0 and 2**63 are not ids (ValueError, so the route does not match); MAX_ID is."""
    conv = IdConverter()
    assert conv.to_python(str(MAX_ID)) == MAX_ID
    assert conv.to_url(42) == "42"
    for bad in ("0", str(MAX_ID + 1)):
        with pytest.raises(ValueError, match="not a database id"):
            conv.to_python(bad)


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["0", str(MAX_ID + 1), "99999999999999999999"])
def test_an_out_of_range_conversation_id_is_a_404_not_a_500(client, organisation, agent, pk):
    """A URL anyone can type with an impossible id answers 404 to an agent who sees real ones."""
    client.force_login(agent.user)
    mine = factories.ConversationFactory(organisation=organisation, assignee=agent)
    assert client.get(f"/gesprekken/{mine.pk}/").status_code == 200
    assert client.get(f"/gesprekken/{pk}/").status_code == 404


def test_restrict_makes_a_file_owner_only_and_ignores_a_missing_one(tmp_path):
    """A 0644 file becomes 0600; a path that does not exist is no error."""
    path = tmp_path / "db.sqlite3"
    path.write_text("x")
    path.chmod(0o644)
    storage.restrict(path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    storage.restrict(tmp_path / "absent")


def test_sqlite_path_is_none_for_memory_and_uri_databases():
    """In-memory and URI databases have no file to protect; a plain name is a path."""

    class Conn:
        vendor = "sqlite"

        def __init__(self, name: str) -> None:
            self.settings_dict = {"NAME": name}

    for name in ("", ":memory:", "file:memdb1?mode=memory&cache=shared", "x?mode=memory"):
        assert storage.sqlite_path(Conn(name)) is None
    assert storage.sqlite_path(Conn("/data/balie.sqlite3")) == Path("/data/balie.sqlite3")
    other = Conn("/x")
    other.vendor = "postgresql"
    assert storage.sqlite_path(other) is None


def test_the_sqlite_companions_are_restricted_when_a_connection_opens(tmp_path):
    """The database, -wal and -shm files present when a connection opens all become 0600."""

    class Conn:
        vendor = "sqlite"
        settings_dict = {"NAME": str(tmp_path / "b.sqlite3")}

    for suffix in ("", "-wal", "-shm"):
        f = tmp_path / f"b.sqlite3{suffix}"
        f.write_text("")
        f.chmod(0o664)
    storage.restrict_sqlite_files(sender=None, connection=Conn())
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"b.sqlite3": 0o600, "b.sqlite3-wal": 0o600, "b.sqlite3-shm": 0o600}
    assert not os.path.exists(tmp_path / "b.sqlite3-journal")


def test_domain_errors_carry_their_status_and_a_code_that_can_be_overridden():
    """Each error class has its HTTP status; a per-raise code replaces only that instance's."""
    assert [(e.code, e.status) for e in (InvalidInput, NotFound, Forbidden, WorkflowViolation)] == [
        ("invalid", 400),
        ("not_found", 404),
        ("forbidden", 403),
        ("workflow_violation", 409),
    ]
    err = InvalidInput("too long", code="too_long")
    assert (err.code, err.message, str(err)) == ("too_long", "too long", "too long")
    assert InvalidInput("x").code == "invalid"
    assert BalieError("x").status == 400


def test_the_upload_paths_take_the_larger_limit(settings):
    """Only the two file-upload paths get BALIE_MAX_UPLOAD_BYTES; other paths the body limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.BALIE_MAX_UPLOAD_BYTES = 1000
    assert limit_for("/api/v1/conversations/7/files/") == 1000
    assert limit_for("/gesprekken/7/bestand/") == 1000
    assert limit_for("/gesprekken/7/bestand/extra/") == 100
    assert limit_for("/api/v1/conversations/") == 100


def test_the_body_limit_passes_other_scopes_through_untouched():
    """A websocket or lifespan scope reaches the application with the original channels."""
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], receive, send))

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        return None

    asyncio.run(BodyLimit(app)({"type": "websocket", "path": "/ws/"}, receive, send))
    assert seen == [("websocket", receive, send)]


def test_past_the_limit_the_guard_answers_413_once_and_drops_the_applications_answer():
    """The guard sends one 413, then tells the application the client left and swallows
    whatever the application still sends."""
    sent: list[dict[str, Any]] = []
    chunks = iter(
        [
            {"type": "http.request", "body": b"x" * 6, "more_body": True},
            {"type": "http.request", "body": b"x" * 6, "more_body": True},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(chunks)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def scenario() -> list[Any]:
        guard = _Guard(10, "/api/v1/x/", receive, send)
        first = await guard.receive()
        second = await guard.receive()
        third = await guard.receive()
        await guard.send({"type": "http.response.start", "status": 200, "headers": []})
        await guard.send({"type": "http.response.body", "body": b"late"})
        return [first["type"], second["type"], third["type"]]

    kinds = asyncio.run(scenario())
    assert kinds == ["http.request", "http.disconnect", "http.disconnect"]
    assert [m.get("status") for m in sent] == [413, None]
    assert b"body_too_large" in sent[1]["body"]


def test_a_non_numeric_content_length_is_counted_as_the_body_arrives(settings):
    """A Content-Length that is not a number is not trusted: the body is counted instead."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] == "http.request":
            await send({"type": "http.response.start", "status": 200, "headers": []})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"123456789"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/x/", "headers": [(b"content-length", b"lots")]}
    asyncio.run(BodyLimit(app)(scope, receive, send))
    assert sent[0]["status"] == 413


def test_a_remembered_secret_is_a_fresh_copy_and_follows_the_key(settings):
    """Decrypting the same token twice gives equal but separate dicts (changing one channel's
    secrets in memory never changes another's), and under another key it is refused again."""
    token = crypto.encrypt({"access_token": "abc"})
    first, second = crypto.decrypt(token), crypto.decrypt(token)
    first["access_token"] = "changed"
    assert second == {"access_token": "abc"}
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(token)
