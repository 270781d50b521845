"""API tokens are stored hashed, shown once at creation, and keep ``Authorization: Token``."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.api.models import ApiToken
from tests import factories

PASSWORD = "wachtwoord-test-123"


def _get(key: str, path: str = "/api/v1/conversations/"):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def _create_token(username: str, *args: str) -> str:
    out = StringIO()
    call_command("create_token", username, *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_create_token_prints_a_token_that_is_stored_only_as_its_digest(agent):
    """create_token prints a working token; the database holds its SHA-256, never the key."""
    key = _create_token(agent.user.username)
    assert len(key) >= 43
    assert _get(key).status_code == 200
    token = ApiToken.objects.get(user=agent.user)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {token.digest, token.name}
    assert token.prefix == key[:8]
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_each_create_token_makes_a_new_token_and_rotate_revokes_the_others(agent):
    """Without --rotate a second token is added (both work); --rotate leaves only the new one."""
    first = _create_token(agent.user.username)
    second = _create_token(agent.user.username, "--name", "ci")
    assert first != second
    assert _get(first).status_code == 200
    assert _get(second).status_code == 200
    third = _create_token(agent.user.username, "--rotate")
    assert _get(first).status_code == 401
    assert _get(second).status_code == 401
    assert _get(third).status_code == 200
    assert ApiToken.objects.filter(user=agent.user).count() == 1


@pytest.mark.django_db
def test_unknown_tokens_and_tokens_of_inactive_users_are_401(agent):
    """A key that matches no digest, or a deactivated user's key, answers 401 in the error shape."""
    key = do_create_token(agent.user)
    response = _get(key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}
    agent.user.is_active = False
    agent.user.save(update_fields=["is_active"])
    assert _get(key).status_code == 401


@pytest.mark.django_db
def test_a_non_ascii_token_is_401_not_500(agent):
    """A token header with non-ASCII characters is refused as a wrong token."""
    do_create_token(agent.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token s\u00e9cr\u00eat")
    assert client.get("/api/v1/conversations/").status_code == 401


@pytest.mark.django_db
def test_the_token_endpoint_answers_a_new_token_once_for_the_right_password(agent):
    """POST /api/v1/auth/token/ with the right password gives a token that works; it is new."""
    client = APIClient()
    body = {"username": agent.user.username, "password": PASSWORD}
    first = client.post("/api/v1/auth/token/", body, format="json")
    assert first.status_code == 201
    key = first.json()["token"]
    assert first.json()["prefix"] == key[:8]
    assert _get(key).status_code == 200
    second = client.post("/api/v1/auth/token/", body, format="json")
    assert second.json()["token"] != key
    assert ApiToken.objects.filter(user=agent.user).count() == 2


@pytest.mark.django_db
def test_the_token_endpoint_refuses_wrong_and_missing_credentials(agent):
    """A wrong password answers 401, a missing field 400 naming it; no token is made."""
    client = APIClient()
    wrong = client.post(
        "/api/v1/auth/token/",
        {"username": agent.user.username, "password": "niet-het-wachtwoord"},
        format="json",
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "not_authenticated"
    missing = client.post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()["error"]["fields"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_token_endpoint_is_in_the_openapi_document(agent):
    """The schema documents POST /api/v1/auth/token/ with its 201, 401 and 429 answers."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert {"201", "401", "429"} <= set(operation["responses"])


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_plaintext_tokens_over_as_digests():
    """A DRF plaintext token from before the upgrade still works; its plain table is gone."""
    user = factories.UserFactory(is_staff=True)
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0001_initial")])
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE authtoken_token ({quote('key')} varchar(40) PRIMARY KEY, "
            "created timestamp NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO authtoken_token ({quote('key')}, created, user_id) "  # noqa: S608 -- a quoted constant
            "VALUES (%s, %s, %s)",
            ["0123456789abcdef0123456789abcdef01234567", "2024-03-04 05:06:07", user.pk],
        )
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0002_hash_plain_tokens")])
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=user)
    assert token.created_at.year == 2024
    assert _get("0123456789abcdef0123456789abcdef01234567").status_code == 200
