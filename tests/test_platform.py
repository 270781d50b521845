"""Health probes, secrets at rest, the scheduler, and the demo end to end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
import time_machine

from balie.core import crypto, scheduler
from balie.core.models import ScheduledJob


def test_healthz(client):
    """/healthz answers ok without touching anything."""
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    """/readyz answers ok when the database answers and is migrated."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_encryption_round_trips_and_detects_tampering(settings):
    """Encrypted secrets decrypt to the value; a tampered token is refused."""
    token = crypto.encrypt({"app_secret": "s3cret"})
    assert "s3cret" not in token
    assert crypto.decrypt(token) == {"app_secret": "s3cret"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(token[:-4] + "AAAA")


def test_key_rotation_keeps_old_values_readable(settings):
    """With the new key first and the old one after, old tokens still decrypt."""
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    token = crypto.encrypt({"v": 1})
    settings.FIELD_ENCRYPTION_KEY = "new-key,old-key"
    assert crypto.decrypt(token) == {"v": 1}


@pytest.mark.django_db
def test_a_periodic_job_runs_once_per_interval(monkeypatch):
    """Two polls within the interval run the job once; after the interval it runs again."""
    calls = []
    monkeypatch.setattr(
        scheduler,
        "jobs",
        lambda: (scheduler.Job("t", "tests.test_platform._tick", timedelta(seconds=30)),),
    )
    monkeypatch.setattr(sys.modules[__name__], "_calls", calls)
    with time_machine.travel("2026-11-24 10:00:00 +0000", tick=False) as clock:
        scheduler.run_due()
        scheduler.run_due()
        assert calls == [1]
        clock.shift(31)
        scheduler.run_due()
    assert calls == [1, 1]
    assert ScheduledJob.objects.get(name="t").last_run_at is not None


_calls: list[int] = []


def _tick() -> None:
    _calls.append(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the demo is the SQLite default")
def test_the_demo_serves_and_citizens_messages_arrive(tmp_path):
    """`balie demo` serves the API with demo data and simulated messages appear within seconds."""
    port = _free_port()
    env = {**os.environ, "BALIE_DATA_DIR": str(tmp_path)}
    env.pop("BALIE_TEST_DB_NAME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "balie", "demo", "--port", str(port), "--rate", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # start-up migrates and applies the demo first
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        client = httpx.Client(base_url=base, timeout=5)
        login = client.get("/admin/login/")
        token = login.cookies["csrftoken"]
        client.post(
            "/admin/login/",
            data={
                "username": "beheer",
                "password": "balie-demo",
                "csrfmiddlewaretoken": token,
                "next": "/admin/",
            },
        )
        while time.monotonic() < deadline:
            body = client.get("/api/v1/conversations/").json()
            if body.get("count", 0) > 0:
                break
            time.sleep(0.5)
        assert body["count"] > 0
        while time.monotonic() < deadline:
            whatsapp = client.get("/api/v1/conversations/?channel_kind=whatsapp").json()
            if whatsapp.get("count", 0) > 0:
                break
            time.sleep(0.5)
        assert whatsapp["count"] > 0
        assert client.get("/admin/conversations/conversation/").status_code == 200
        agent = httpx.Client(base_url=base, timeout=5)
        form = agent.get("/accounts/login/")
        agent.post(
            "/accounts/login/",
            data={
                "username": "mohamed.elamrani",
                "password": "balie-demo",
                "csrfmiddlewaretoken": form.cookies["csrftoken"],
            },
        )
        inbox = agent.get("/", follow_redirects=True)
        assert (inbox.status_code, inbox.url.path) == (200, "/gesprekken/")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "login beheer / balie-demo" in output
    assert f"{base}/   agent login mohamed.elamrani / balie-demo" in output


@pytest.mark.django_db
def test_metrics_expose_aggregates_to_loopback_only(client, channel, settings):
    """/metrics counts conversations by status for loopback; elsewhere it needs the token."""
    from tests.helpers import receive

    receive(channel)
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'balie_conversations{channel_kind="api",status="new"} 1.0' in body
    assert "jan@example.nl" not in body
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.METRICS_TOKEN = "scrape-token"
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-token"
        ).status_code
        == 200
    )
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
