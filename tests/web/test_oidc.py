"""OIDC login against a real OpenID Connect-shaped provider on loopback (no mocks).

The provider is a small HTTP server in a thread on a free port: an authorization endpoint
that sends the browser back with a code, a token endpoint that answers with an ID token
signed RS256 by a key made in the test, a JWKS endpoint with the public key, and a
userinfo endpoint with the claims. mozilla-django-oidc talks to it over HTTP as it would
to the organisation's identity provider; the Django test client plays the browser.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client
from jwt.algorithms import RSAAlgorithm

from balie.organisations.models import Agent, AgentRole
from tests import factories

pytestmark = pytest.mark.django_db

CLIENT_ID = "balie-test"
CLIENT_SECRET = secrets.token_urlsafe(16)
KID = "sleutel-1"


@dataclass
class Provider:
    """What the fake identity provider knows: its key, its codes, the person logging in."""

    base: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    signing_key: Any = None  # None: sign with ``key``; another key makes a bad signature
    claims: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token → subject
    token_requests: int = 0

    def id_token(self, nonce: str) -> str:
        """An ID token for the current person, signed RS256."""
        now = int(time.time())
        payload = {
            "iss": self.base,
            "aud": CLIENT_ID,
            "sub": self.claims["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
        }
        key = self.signing_key or self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KID})

    def jwks(self) -> dict[str, Any]:
        """The public key, as the JWKS endpoint publishes it."""
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}


class Handler(BaseHTTPRequestHandler):
    """The provider's four endpoints."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        provider: Provider = self.server.provider
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/authorize":
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return self._json(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(12)
            provider.codes[code] = {
                "nonce": query["nonce"],
                "redirect_uri": query["redirect_uri"],
            }
            back = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
            self.send_response(302)
            self.send_header("Location", back)
            self.end_headers()
        elif url.path == "/jwks":
            self._json(200, provider.jwks())
        elif url.path == "/userinfo":
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in provider.tokens:
                return self._json(401, {"error": "invalid_token"})
            self._json(200, provider.claims)
        else:
            self._json(404, {"error": "not_found"})
        return None

    def do_POST(self) -> None:
        provider: Provider = self.server.provider
        if self.path != "/token":
            return self._json(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        provider.token_requests += 1
        grant = provider.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return self._json(400, {"error": "invalid_grant"})
        access = secrets.token_urlsafe(16)
        provider.tokens[access] = provider.claims["sub"]
        self._json(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant["nonce"]),
            },
        )
        return None


@pytest.fixture
def provider(settings) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    """A running provider on a free loopback port, and Balie's settings pointed at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.provider = Provider()  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.provider.base = base  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BALIE_OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/token"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/jwks"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_TIMEOUT = 10
    settings.OIDC_ROLE_MAP = {
        "kcc-medewerker": "agent",
        "kcc-teamleider": "supervisor",
        "kcc-backoffice": "backoffice",
        "kcc-beheer": "administrator",
    }
    settings.OIDC_ORGANISATION = "testgemeente"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "balie.web.oidc.Backend"]
    try:
        yield server.provider  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _provider_answer(location: str) -> str:
    """Follow the browser to the provider's authorization URL; its redirect back (a path)."""
    import http.client

    url = urlsplit(location)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", f"{url.path}?{url.query}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        back = urlsplit(response.getheader("Location", ""))
    finally:
        connection.close()
    assert back.netloc == "testserver"
    return f"{back.path}?{back.query}"


def _log_in(client: Client, provider: Provider, **claims: Any):  # type: ignore[no-untyped-def]
    """Run the whole code flow as the person with ``claims``; the callback's response."""
    provider.claims = {"sub": secrets.token_hex(8), **claims}
    start = client.get("/accounts/oidc/start/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.base}/authorize?")
    sent = parse_qs(urlsplit(start["Location"]).query)
    assert sent["redirect_uri"] == ["http://testserver/accounts/oidc/callback/"]
    assert sent["nonce"]
    assert sent["state"]
    callback = _provider_answer(start["Location"])
    assert "code=" in callback
    assert "state=" in callback
    return client.get(callback)


def test_a_new_person_logs_in_and_gets_an_agent_with_the_mapped_role(
    client: Client, organisation, provider: Provider
) -> None:  # type: ignore[no-untyped-def]
    """A first login creates the user and its agent, role from the claim, then the inbox."""
    response = _log_in(
        client,
        provider,
        preferred_username="j.devries",
        email="j.devries@testdam.nl",
        name="Jan de Vries",
        roles=["kcc-teamleider", "iets-anders"],
    )
    assert response.status_code == 302
    assert response["Location"] == "/gesprekken/"
    assert provider.token_requests == 1
    agent = Agent.objects.get(user__username="j.devries")
    assert agent.organisation == organisation
    assert agent.role == AgentRole.SUPERVISOR
    assert agent.display_name == "Jan de Vries"
    assert agent.user.email == "j.devries@testdam.nl"
    assert not agent.user.has_usable_password()
    assert client.get("/gesprekken/").status_code == 200
    assert client.get("/supervisie/").status_code == 200


def test_an_existing_user_is_linked_by_email_and_the_role_follows_the_claim(
    client: Client, organisation, provider: Provider
) -> None:  # type: ignore[no-untyped-def]
    """A known e-mail links the existing user and agent; the claim's role replaces the old one."""
    agent = factories.AgentFactory(organisation=organisation, role=AgentRole.SUPERVISOR)
    agent.user.email = "m.jansen@testdam.nl"
    agent.user.save(update_fields=["email"])
    response = _log_in(
        client,
        provider,
        preferred_username="mjansen-idp",
        email="M.Jansen@testdam.nl",
        roles="kcc-medewerker",
    )
    assert response["Location"] == "/gesprekken/"
    agent.refresh_from_db()
    assert agent.role == AgentRole.AGENT
    assert Agent.objects.filter(organisation=organisation).count() == 1
    assert client.get("/gesprekken/").status_code == 200
    assert client.get("/supervisie/").status_code == 403


def test_the_administrator_claim_opens_the_admin(client: Client, organisation, provider) -> None:  # type: ignore[no-untyped-def]
    """The claim mapped to administrator makes a superuser who reaches the Django admin."""
    response = _log_in(client, provider, preferred_username="beheerder", roles=["kcc-beheer"])
    assert response.status_code == 302
    user = get_user_model().objects.get(username="beheerder")
    assert user.is_superuser
    assert user.is_staff
    assert client.get("/admin/").status_code == 200


def test_an_unmapped_role_is_refused(client: Client, organisation, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    """A verified person whose role claim maps to no Balie role is not logged in nor created."""
    response = _log_in(client, provider, preferred_username="bezoeker", roles=["burger"])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert provider.token_requests == 1  # refused after a real token exchange, not before
    assert not get_user_model().objects.filter(username="bezoeker").exists()
    assert client.get("/gesprekken/")["Location"].startswith("/accounts/login/")


def test_a_bad_signature_is_refused(client: Client, organisation, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    """An ID token signed by another key than the provider's JWKS publishes logs no one in."""
    provider.signing_key = rsa.generate_private_key(65537, 2048)
    response = _log_in(client, provider, preferred_username="indringer", roles=["kcc-beheer"])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert provider.token_requests == 1
    assert not get_user_model().objects.filter(username="indringer").exists()
    assert client.get("/admin/").status_code == 302
    assert client.get("/gesprekken/")["Location"].startswith("/accounts/login/")


def test_a_2fa_role_logging_in_at_the_provider_skips_the_local_code(
    client: Client, organisation, provider: Provider, settings
) -> None:  # type: ignore[no-untyped-def]
    """The provider applies its own second factor: a supervisor in BALIE_2FA_ROLES gets in."""
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    _log_in(client, provider, preferred_username="teamleider", roles=["kcc-teamleider"])
    assert client.get("/supervisie/").status_code == 200
