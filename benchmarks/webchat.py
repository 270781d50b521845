"""Web chat: N concurrent visitors over real WebSockets to Balie served by uvicorn — messages
accepted per second, and the delay from a visitor's message to the frame on an agent's socket.

Run standalone: ``.venv/bin/python benchmarks/webchat.py [--visitors N] [--messages M]``.

1. The embedded shape, as ``balie serve`` runs it: one process (uvicorn, the in-process
   worker, the in-memory channel layer) on a scratch SQLite database in a temporary
   ``BALIE_DATA_DIR``; with ``--pg`` on a scratch PostgreSQL database (``BENCH_PG_URL``).
2. This process migrates the database and creates an organisation, a web chat channel (rate
   limits raised: every visitor comes from 127.0.0.1) and a supervisor whose session cookie
   opens the agent socket (``/ws/agent/``).
3. ``--visitors`` sockets (``/ws/webchat/<key>/``, an allowed Origin) start a session each and
   send ``--messages`` messages, each after the previous one's ``ack`` (a person waits for
   their message to show); all visitors at once. Accepted per second: acks over the time from
   the first send to the last ack. Delay: from a visitor's send to the ``message_received``
   frame with that message's id on the supervisor's socket (p50/p95).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket as sockets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _databases import on_scratch_postgres  # noqa: E402
from whatsapp_ingest import _wait_for_port  # noqa: E402
from workspace import session_cookie  # noqa: E402

PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_webchat"
ORIGIN = "https://www.bench.example"


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``values``."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94]


def prepare() -> tuple[str, str]:
    """Migrate; the organisation, channel and supervisor; the channel key and a cookie."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from balie.channels.models import Channel
    from balie.organisations.models import Agent, Organisation

    org = Organisation.objects.create(slug="bench-chat", name="Gemeente Benchdam")
    Channel.objects.create(
        organisation=org,
        kind="webchat",
        key="bench-chat",
        name="Webchat",
        settings={
            "allowed_origins": [ORIGIN],
            "messages_per_minute": 100_000,
            "ip_messages_per_minute": 1_000_000,
            "ip_connections_per_minute": 100_000,
        },
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench-supervisor", password="x" * 20)
    Agent.objects.create(organisation=org, user=user, display_name="Teamleider", is_supervisor=True)
    return "bench-chat", session_cookie(user)


async def _visitor(
    port: int, key: str, n: int, messages: int, sent: dict[int, float]
) -> list[tuple[float, float]]:
    """One visitor: start, then ``messages`` messages, each after the previous ack."""
    from websockets.asyncio.client import connect

    acks = []
    async with connect(
        f"ws://127.0.0.1:{port}/ws/webchat/{key}/",
        origin=ORIGIN,  # type: ignore[arg-type]
        max_size=None,
    ) as socket:
        await socket.send(json.dumps({"type": "start", "language": "nl"}))
        while json.loads(await socket.recv())["type"] != "ready":
            pass
        for m in range(messages):
            at = time.monotonic()
            client_id = f"{n}-{m}"
            await socket.send(
                json.dumps(
                    {"type": "message", "client_id": client_id, "text": f"Vraag {m} van {n}"}
                )
            )
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] == "ack" and frame["client_id"] == client_id:
                    sent[int(frame["id"])] = at
                    acks.append((at, time.monotonic()))
                    break
                if frame["type"] == "error":
                    raise RuntimeError(f"visitor {n}: {frame}")
    return acks


async def _drive(port: int, key: str, cookie: str, visitors: int, messages: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    sent: dict[int, float] = {}
    frames: dict[int, float] = {}
    async with connect(
        f"ws://127.0.0.1:{port}/ws/agent/",
        additional_headers={"Cookie": cookie},
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
    ) as desk:
        assert '"hello"' in str(await desk.recv())

        async def listen() -> None:
            async for raw in desk:
                frame = json.loads(raw)
                if frame.get("name") == "message_received":
                    frames[int(frame["data"]["message_id"])] = time.monotonic()

        listener = asyncio.create_task(listen())
        await _visitor(port, key, -1, 3, {})  # warm-up: first imports, first queries
        await asyncio.sleep(1)
        frames.clear()
        started = time.monotonic()
        results = await asyncio.gather(
            *(_visitor(port, key, n, messages, sent) for n in range(visitors))
        )
        ended = max(done for acks in results for _, done in acks)
        deadline = time.monotonic() + 60
        while len(set(sent) & set(frames)) < len(sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        listener.cancel()
    acks = [(done - at) * 1000 for result in results for at, done in result]
    delays = [(frames[pk] - at) * 1000 for pk, at in sent.items() if pk in frames]
    return {
        "accepted": len(acks),
        "seconds": ended - started,
        "acks": acks,
        "delays": delays,
    }


def serve_and_measure(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Start ``balie serve``, drive the visitors and the agent socket, print the figures."""
    os.environ.update(env)
    key, cookie = prepare()
    with sockets.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [PYTHON, "-m", "balie", "serve", "--port", str(port)],
        # errors only: the agent socket closing at the end is a warning, not a finding
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "BALIE_LOG_LEVEL": "ERROR"},
    )
    try:
        _wait_for_port(port)
        time.sleep(1)  # the in-process worker's first beat
        found = asyncio.run(_drive(port, key, cookie, args.visitors, args.messages))
    finally:
        server.terminate()
        server.wait(30)
    from django.db import connection

    p50, p95 = percentiles(found["delays"])
    ack50, ack95 = percentiles(found["acks"])
    print(
        f"# webchat — {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor}, balie serve (uvicorn, in-process worker, in-memory channel "
        f"layer), {platform.platform()}; server and clients on this machine",
        flush=True,
    )
    print(
        f"{args.visitors} visitors × {args.messages} messages: {found['accepted']} accepted in "
        f"{found['seconds']:.1f} s = {found['accepted'] / found['seconds']:.0f} msgs/s; "
        f"ack p50 {ack50:.0f} ms, p95 {ack95:.0f} ms",
        flush=True,
    )
    print(
        f"visitor → agent frame: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max "
        f"{max(found['delays'] or [0]):.0f} ms ({len(found['delays'])} of {found['accepted']} "
        "messages framed)",
        flush=True,
    )
    return 0 if found["delays"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=50, help="concurrent visitors")
    parser.add_argument("--messages", type=int, default=10, help="messages per visitor")
    parser.add_argument("--pg", action="store_true", help="on PostgreSQL (BENCH_PG_URL)")
    args = parser.parse_args()
    base = {
        "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
        "BALIE_LOG_LEVEL": "WARNING",
        "BALIE_IN_PROCESS_WORKER": "1",
    }
    os.environ.pop("REDIS_URL", None)  # the embedded shape: the in-memory channel layer
    if args.pg:
        env = {**base, "DATABASE_URL": f"{PG_URL}/{PG_DB}"}
        return on_scratch_postgres(
            PG_URL, PG_DB, keep=False, run=lambda: serve_and_measure(args, env)
        )
    with tempfile.TemporaryDirectory(prefix="bench-webchat-") as data_dir:
        os.environ.pop("DATABASE_URL", None)
        return serve_and_measure(args, {**base, "BALIE_DATA_DIR": data_dir})


if __name__ == "__main__":
    sys.exit(main())
