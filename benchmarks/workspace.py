"""The agent workspace on PostgreSQL: page server times at 10,000 open conversations, and the
delay from a signed WhatsApp webhook to the frame on an agent's WebSocket.

Run standalone: ``.venv/bin/python benchmarks/workspace.py [--requests N] [--rate R]``.
To iterate on one figure: ``--keep`` keeps the database afterwards and reuses a loaded one
(migrated again first), ``--pages search`` measures only the pages whose name holds "search",
``--no-live`` skips the live delay.

1. A dedicated ``bench_ws`` database on ``BENCH_PG_URL`` (default
   ``postgres://postgres@127.0.0.1:5432``) is created, migrated and dropped afterwards.
2. Load (timed): 200 agents, 10,000 parties with a phone number, 10,000 open conversations,
   500,000 messages (one conversation has 500, the rest about 50 each), with PostgreSQL's COPY;
   then ``VACUUM ANALYZE``.
3. Server time: the Django test client in this process, timed around each request (URL
   resolution, middleware, view, queries, template): the inbox (*all*, 10,000 rows, 50 a page),
   a filtered inbox (channel + topic + language), a search (a word in ~1 % of the messages,
   and a phone number), and the conversation with 500 messages. p50/p95 over ``--requests``.
4. Live delay: Balie's ASGI app under uvicorn plus a ``balie worker`` process, the Redis
   channel layer between them (``REDIS_URL``, default a dedicated Redis database 14); a
   supervisor's WebSocket (session cookie) is open; once the worker beats and ten warm-up
   webhooks have their frames, signed one-message webhooks are posted at ``--rate`` per
   second; the delay runs from the POST to the ``message_received`` frame.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _databases import on_scratch_postgres  # noqa: E402
from _workspace_data import AGENTS, APP_SECRET, load  # noqa: E402
from whatsapp_ingest import _wait_for_port  # noqa: E402

PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_ws"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CONVERSATIONS, MESSAGES = 10_000, 500_000
#: webhooks sent (and their frames awaited) before the measured ones
WARM_UP = 10
ENV = {
    "DATABASE_URL": f"{PG_URL}/{PG_DB}",
    "BALIE_IN_PROCESS_WORKER": "0",
    "BALIE_LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
}


def percentiles(values: list[float]) -> tuple[float, float]:
    """(p50, p95) of ``values``."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


# --- server times ----------------------------------------------------------------------------
def server_times(
    ids: dict[str, Any], requests: int, only: str = ""
) -> dict[str, tuple[float, float]]:
    """p50/p95 in ms of each page (those whose name holds ``only``), through the Django test
    client in this process."""
    from django.test import Client

    client = Client()
    client.force_login(ids["supervisor"].user)
    pages = {
        "inbox (all, 10,000 open)": "/gesprekken/?view=all",
        "inbox filtered (channel+topic+language)": (
            f"/gesprekken/?view=all&channel=whatsapp&topic={ids['topic']}&language=nl"
        ),
        "inbox newest first, page 20": "/gesprekken/?view=all&sort=newest&page=20",
        "search 'paspoort' (1 % of messages)": "/gesprekken/?view=all&q=paspoort",
        "search 'aanvraag verhuiz' (two words)": "/gesprekken/?view=all&q=aanvraag+verhuiz",
        "search phone '06-10004242'": "/gesprekken/?view=all&q=06-10004242",
        "conversation with 500 messages": f"/gesprekken/{ids['long']}/?view=all",
    }
    out = {}
    for name, url in pages.items():
        if only not in name:
            continue
        for _ in range(5):  # warm-up: caches, plans, templates
            assert client.get(url).status_code == 200, url
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        out[name] = percentiles(timings)
    return out


# --- live delay ------------------------------------------------------------------------------
def session_cookie(user: Any) -> str:
    """A logged-in session for ``user`` (the database session store the server reads)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.module_loading import import_string

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = next(  # the first backend that can load a user (not axes)
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


async def _post(port: int, body: bytes, signature: str) -> tuple[int, float]:
    """POST one signed webhook; its status and when the answer came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /webhooks/whatsapp/bench/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    answered = time.monotonic()
    writer.close()
    return status, answered


async def _drive(
    port: int, cookie: str, count: int, rate: float
) -> tuple[dict, dict, list[tuple[int, float]]]:
    from websockets.asyncio.client import connect

    from balie.channels.simulators.whatsapp_load import signed_bodies

    work = signed_bodies(count, max(1, count // 2), APP_SECRET)
    sent: dict[int, float] = {}
    frames: dict[int, float] = {}
    async with connect(
        f"ws://127.0.0.1:{port}/ws/agent/",
        additional_headers={"Cookie": cookie},
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
    ) as socket:
        assert '"hello"' in str(await socket.recv())

        async def listen() -> None:
            async for raw in socket:
                import json

                frame = json.loads(raw)
                if frame.get("name") == "message_received":
                    frames[int(frame["data"]["message_id"])] = time.monotonic()

        listener = asyncio.create_task(listen())
        posts = []
        started = time.monotonic()
        for n, (body, signature) in enumerate(work):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            sent[n] = time.monotonic()
            posts.append(asyncio.create_task(_post(port, body, signature)))
        answers = await asyncio.gather(*posts)
        deadline = time.monotonic() + 60
        while len(frames) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        listener.cancel()
    return sent, frames, answers


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_worker(timeout: float = 60) -> None:
    """Until the worker process beats (started, migrated, listening): its start-up is not
    part of a webhook's delay."""
    from balie.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.all().delete()  # a kept database's earlier runs
    deadline = time.monotonic() + timeout
    while not WorkerHeartbeat.objects.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start")
        time.sleep(0.1)
    time.sleep(0.5)  # its listener's LISTEN, after its first beat


def live_delay(ids: dict[str, Any], count: int, rate: float) -> dict[str, Any]:
    """Delays (ms) from each signed webhook to its ``message_received`` frame."""
    import socket as sockets

    from balie.conversations.models import Message

    with sockets.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **ENV, "REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "balie.conf.asgi:application",
            "--lifespan",
            "off",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    worker = subprocess.Popen([PYTHON, "-m", "balie", "worker"], env=env)
    try:
        _wait_for_port(port)
        _wait_for_worker()
        cookie = session_cookie(ids["supervisor"].user)
        # warm-up, not measured: the worker's first messages load what it loads once (the
        # language detector's models, ~6 s), and the server's first socket its imports
        asyncio.run(_drive(port, cookie, WARM_UP, rate))
        first = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        before = [_cpu_seconds(proc.pid) for proc in (server, worker)]
        sent, frames, answers = asyncio.run(_drive(port, cookie, count, rate))
        cpu = [_cpu_seconds(p.pid) - b for p, b in zip((server, worker), before, strict=True)]
        bodies = Message.objects.filter(pk__gt=first, direction="inbound").values_list("pk", "body")
        delays = []
        for pk, body in bodies:
            n = int(body.split()[1])  # "Vraag {n} over mijn paspoort"
            if pk in frames:
                delays.append((frames[pk] - sent[n]) * 1000)
        acks = [(at - sent[n]) * 1000 for n, (status, at) in enumerate(answers) if status == 200]
        return {"acks": acks, "framed": len(delays), "delays": delays, "cpu": cpu}
    finally:
        for proc in (server, worker):
            proc.terminate()
        for proc in (server, worker):
            proc.wait(30)


# --- main ------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per page (≥ 50)")
    parser.add_argument("--messages", type=int, default=200, help="webhooks for the live delay")
    parser.add_argument("--rate", type=float, default=20.0, help="webhooks per second")
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the data, to try")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--pages", default="", help="only the pages whose name holds this")
    parser.add_argument("--no-live", action="store_true", help="skip the webhook → frame delay")
    args = parser.parse_args()
    return on_scratch_postgres(PG_URL, PG_DB, keep=args.keep, run=lambda: run(args))


def loaded() -> dict[str, Any] | None:
    """The ids of a kept database's data (``--keep``), or None when it holds none."""
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent

    supervisor = Agent.objects.filter(organisation__slug="bench", is_supervisor=True).first()
    if supervisor is None:
        return None
    first = Conversation.objects.filter(organisation=supervisor.organisation_id).order_by("pk")
    return {
        "org": supervisor.organisation,
        "supervisor": supervisor,
        "long": first.values_list("pk", flat=True)[0],
        "topic": "t3",
    }


def run(args: argparse.Namespace) -> int:
    """Migrate, load, measure, print."""
    global CONVERSATIONS, MESSAGES
    CONVERSATIONS, MESSAGES = int(CONVERSATIONS * args.scale), int(MESSAGES * args.scale)
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        version = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[union-attr]
    print(
        f"# workspace — {os.cpu_count()} cores, Python {platform.python_version()}, Django "
        f"{django.__version__}, PostgreSQL {version}, {platform.platform()}; database, server, "
        "worker and client on this machine",
        flush=True,
    )
    ids = loaded() if args.keep else None
    if ids is None:
        started = time.perf_counter()
        ids = load(CONVERSATIONS, MESSAGES)
        took = time.perf_counter() - started
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")
        print(
            f"load: {CONVERSATIONS} open conversations, {AGENTS} agents, {MESSAGES} messages "
            f"(COPY, with the search and inbox indexes in place) in {took:.1f} s; "
            f"VACUUM ANALYZE {time.perf_counter() - started - took:.1f} s",
            flush=True,
        )
    else:
        print("load: the kept database's data (--keep)", flush=True)
    slow = []
    for name, (p50, p95) in server_times(ids, args.requests, args.pages).items():
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.requests} requests)", flush=True)
        if p95 >= 150:
            slow.append(name)
    if slow:
        print("over the 150 ms p95 target:", ", ".join(slow), flush=True)
    if args.no_live:
        return 0
    live = live_delay(ids, args.messages, args.rate)
    if live["delays"]:
        p50, p95 = percentiles(live["delays"])
        ack50, ack95 = percentiles(live["acks"] or [0.0])
        print(
            f"webhook → WebSocket frame at {args.rate:.0f} msgs/s: p50 {p50:.0f} ms, p95 "
            f"{p95:.0f} ms, max {max(live['delays']):.0f} ms ({live['framed']} frames of "
            f"{args.messages} webhooks, {len(live['acks'])} acknowledged, the answer p50 "
            f"{ack50:.0f} / p95 {ack95:.0f} ms; uvicorn + 1 balie worker, Redis channel layer)",
            flush=True,
        )
        server_cpu, worker_cpu = (1000 * c / args.messages for c in live["cpu"])
        print(
            f"CPU per webhook: server {server_cpu:.1f} ms, worker {worker_cpu:.1f} ms (receiving, "
            "enrichment, routing, service levels, the queue notice's delivery; at 20 msgs/s the "
            f"worker needs {worker_cpu * args.rate / 10:.0f} % of a core)",
            flush=True,
        )
    else:
        print("webhook → WebSocket frame: no frame arrived", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
