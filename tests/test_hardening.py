"""Hardening: login lockout, security headers, the TLS switch, owner-only files, /metrics."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db.utils import ConnectionHandler
from rest_framework.test import APIClient

from balie.api.models import ApiToken
from balie.conversations.models import Attachment
from tests import factories

PASSWORD = "wachtwoord-test-123"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- Login lockout ---------------------------------------------------------------------------


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    return factories.UserFactory(username="beheerder", is_staff=True, is_superuser=True)


def _admin_login(client, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/login/?next=/admin/", {"username": "beheerder", "password": password}, **extra
    )


def _token(password: str, username: str = "beheerder", **extra: str):  # type: ignore[no-untyped-def]
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def test_four_wrong_passwords_do_not_lock_the_admin_login(client, staff):
    """Below the limit the right password still logs in to the admin."""
    for _ in range(4):
        assert _admin_login(client, "fout").status_code == 200
    response = _admin_login(client, PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_five_wrong_passwords_lock_the_admin_login_even_for_the_right_one(client, staff):
    """The fifth failure locks username+address: 429, and the right password is refused too."""
    answers = [_admin_login(client, "fout").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    locked = _admin_login(client, PASSWORD)
    assert locked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in locked.content.decode()
    assert client.get("/admin/").status_code == 302  # still not logged in


@pytest.mark.slow
def test_five_wrong_passwords_lock_the_token_endpoint(staff):
    """The token endpoint locks after five failures and then gives no token for the right one."""
    answers = [_token("fout").status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = _token(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert int(locked["Retry-After"]) == 15 * 60
    assert not ApiToken.objects.exists()


@pytest.mark.slow
def test_a_successful_token_login_clears_the_failures(staff):
    """Four failures, then the right password: the count starts again, so four more do not lock."""
    assert [_token("fout").status_code for _ in range(4)] == [401] * 4
    assert _token(PASSWORD).status_code == 201
    assert [_token("fout").status_code for _ in range(4)] == [401] * 4
    staff.refresh_from_db()
    assert staff.last_login is not None


@pytest.mark.slow
def test_admin_and_token_endpoint_share_one_count(client, staff):
    """Failures at the admin and at the token endpoint add up for the same username and address."""
    for _ in range(3):
        _admin_login(client, "fout")
    assert _token("fout").status_code == 401
    assert _token("fout").status_code == 429
    assert _admin_login(client, PASSWORD).status_code == 429


@pytest.mark.slow
def test_the_lockout_is_per_username_and_address(client, staff):
    """A lockout from one address does not lock the same user out at another address."""
    for _ in range(5):
        _token("fout", REMOTE_ADDR="203.0.113.7")
    assert _token(PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert _token(PASSWORD, REMOTE_ADDR="203.0.113.8").status_code == 201


@pytest.mark.slow
def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(staff):
    """Without a configured proxy, X-Forwarded-For is ignored: a new value is the same client."""
    for n in range(5):
        _token("fout", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert _token(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_the_lockout_message_follows_the_language(staff):
    """The lockout message is Dutch by default and English when the client asks for English."""
    for _ in range(5):
        _token("fout")
    english = _token(PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many failed login attempts" in english.json()["error"]["message"]
    dutch = _token(PASSWORD)
    assert "Te veel mislukte inlogpogingen" in dutch.json()["error"]["message"]


def test_the_failure_limit_and_cool_off_are_settings(staff, settings):
    """BALIE_LOGIN_FAILURE_LIMIT's setting decides when the lock starts."""
    settings.AXES_FAILURE_LIMIT = 2
    assert [_token("fout").status_code for _ in range(2)] == [401, 429]


# --- Security headers ------------------------------------------------------------------------

REQUIRED_CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.S)


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_html_pages_carry_csp_and_the_other_security_headers(client, staff):
    """The admin's login, index, changelist and add pages carry the CSP, nosniff and referrer."""
    pages = [client.get("/admin/login/")]
    client.force_login(staff)
    pages += [
        client.get(path)
        for path in (
            "/admin/",
            "/admin/auth/user/",
            "/admin/auth/user/add/",
            "/admin/password_change/",
        )
    ]
    for page in pages:
        assert page.status_code == 200, page.request["PATH_INFO"]
        directives = _csp(page)
        for required in REQUIRED_CSP:
            assert directives[required.split()[0]] == required
        assert "'self'" in directives["connect-src"]
        assert "ws://127.0.0.1:*" in directives["connect-src"]
        assert "unsafe-inline" not in page["Content-Security-Policy"]
        assert page["X-Content-Type-Options"] == "nosniff"
        assert page["Referrer-Policy"] == "same-origin"
        assert page["X-Frame-Options"] == "DENY"


def test_the_admin_pages_need_no_inline_script(client, staff):
    """The admin's pages run under script-src 'self': every executable script is a file."""
    client.force_login(staff)
    user = factories.UserFactory(username="iemand")
    for path in (
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{user.pk}/change/",
    ):
        html = client.get(path).content.decode()
        assert "<script" in html, path
        assert INLINE_SCRIPT.findall(html) == [], path
        assert " onclick=" not in html, path
        assert " onload=" not in html, path


def _settings_in_fresh_process(tmp_path: Path, **env: str) -> dict[str, object]:
    """Import the settings in a new process with ``env`` and a new data dir; report values."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ('SECURE_HSTS_SECONDS', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER', "
        "'PROXY_COUNT')} | {'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src']}))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BALIE_", "DATABASE_URL"))
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
        "BALIE_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_without_tls_there_is_no_hsts_and_cookies_are_not_secure(tmp_path):
    """The default (plain HTTP on a laptop) sends no HSTS and trusts no proxy header."""
    values = _settings_in_fresh_process(tmp_path)
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_balie_tls_switches_on_hsts_secure_cookies_and_wss_only(tmp_path):
    """BALIE_TLS=1 sends HSTS for a year, marks both cookies Secure and allows only wss."""
    values = _settings_in_fresh_process(tmp_path, BALIE_TLS="1")
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert not any(str(src).startswith("ws://") for src in values["csp"])  # type: ignore[attr-defined]
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_behind_a_proxy_the_forwarded_proto_is_trusted(tmp_path):
    """BALIE_PROXY_COUNT=1 trusts X-Forwarded-Proto for HTTPS detection."""
    values = _settings_in_fresh_process(tmp_path, BALIE_TLS="1", BALIE_PROXY_COUNT="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["PROXY_COUNT"] == 1


def test_hsts_is_sent_over_https_when_tls_is_on(client, settings, db):
    """With the TLS settings, a request over HTTPS gets Strict-Transport-Security."""
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/admin/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Owner-only files ------------------------------------------------------------------------


@pytest.fixture
def open_umask():  # type: ignore[no-untyped-def]
    """A permissive umask, as a careless service manager might leave it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_data_dir_is_owner_only(tmp_path, open_umask):
    """Settings create a missing BALIE_DATA_DIR with mode 0700 and its generated keys 0600."""
    _settings_in_fresh_process(tmp_path)
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    assert _mode(data / "secret_key") == 0o600


@pytest.mark.django_db
def test_sqlite_database_wal_and_shm_are_owner_only(tmp_path, open_umask):
    """A SQLite database opened by Balie, and its WAL and SHM files, are mode 0600."""
    path = tmp_path / "balie.sqlite3"
    # The embedded default's journal mode, on a database of its own (also on PostgreSQL runs).
    options = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}}
    )
    wrapper = handler["default"]
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x integer)")
            cursor.execute("INSERT INTO t VALUES (1)")
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists()
        assert shm.exists()
        assert {_mode(path), _mode(wal), _mode(shm)} == {0o600}
    finally:
        wrapper.close()


@pytest.mark.django_db
def test_stored_attachments_are_owner_only(tmp_path, settings, open_umask):
    """An attachment file is stored 0600 in directories created 0700."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    storage = Attachment._meta.get_field("file").storage
    name = storage.save("attachments/2026/11/paspoort.jpg", ContentFile(b"\xff\xd8 image"))
    stored = Path(storage.path(name))
    assert _mode(stored) == 0o600
    for directory in (stored.parent, stored.parent.parent, stored.parent.parent.parent):
        assert _mode(directory) == 0o700, directory


# --- /metrics --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_do_not_trust_forwarded_for_without_a_proxy(client):
    """A remote client claiming to be loopback in X-Forwarded-For is refused."""
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


@pytest.mark.django_db
def test_metrics_behind_a_local_proxy_judge_the_forwarded_client(client, settings):
    """Behind a proxy on this host, a remote client is refused though the peer is loopback."""
    settings.PROXY_COUNT = 1
    remote = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert remote.status_code == 403
    # A client may prepend anything; only the entry the proxy appended counts.
    spoofed = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5"
    )
    assert spoofed.status_code == 403
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.status_code == 200


@pytest.mark.django_db
def test_metrics_with_a_token_need_the_bearer_token(client, settings):
    """With BALIE_METRICS_TOKEN only `Bearer <token>` opens /metrics, from anywhere."""
    settings.METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    for header in ("scrape-token", "Token scrape-token", "Bearer wrong", "Bearer sçrape"):
        assert client.get("/metrics", HTTP_AUTHORIZATION=header).status_code == 403, header
    ok = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert ok.status_code == 200
