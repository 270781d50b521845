"""The agent workspace on PostgreSQL: page server times at 10,000 open conversations, and the
delay from a signed WhatsApp webhook to the frame on an agent's WebSocket.

Run standalone: ``.venv/bin/python benchmarks/workspace.py [--requests N] [--rate R]``.

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
   supervisor's WebSocket (session cookie) is open; signed one-message webhooks are posted at
   ``--rate`` per second; the delay runs from the POST to the ``message_received`` frame.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_ws"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
APP_SECRET = "bench-app-secret"  # noqa: S105 (a benchmark fixture, not a credential)
CONVERSATIONS, AGENTS, MESSAGES, LONG = 10_000, 200, 500_000, 500
WORDS = (  # noqa: SIM905 - a line of words reads better than 40 quoted strings
    "graag vraag afspraak gemeente formulier aanvraag week morgen adres verhuizing "
    "bijstand toeslag afval container parkeren vergunning rijbewijs uittreksel belasting "
    "aanslag bezwaar termijn betaling rekening brief website inloggen digid wachtwoord "
    "openingstijden balie loket geboorte huwelijk overlijden zorg wmo hulp ondersteuning "
    "scootmobiel"
).split()
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


# --- loading ---------------------------------------------------------------------------------
def _fill(cursor: Any, table: str, given: list[str]) -> tuple[list[str], list[Any]]:
    """The table's NOT NULL columns without a default that ``given`` lacks, with a value each
    (columns other helpers add later need no change here)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s"
        " AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    now = datetime.now(UTC)
    by_type = {"jsonb": "{}", "boolean": False, "uuid": None, "timestamp with time zone": now}
    extra = [(c, by_type.get(t, 0 if "int" in t else "")) for c, t in cursor.fetchall()]
    extra = [(c, v) for c, v in extra if c not in given and c != "id"]
    return [c for c, _ in extra], [v for _, v in extra]


def copy(cursor: Any, table: str, columns: list[str], rows: Any) -> None:
    """COPY ``rows`` into ``table`` (uuid columns not given get a fresh uuid per row)."""
    extra_cols, extra_vals = _fill(cursor, table, columns)
    uuids = [i for i, v in enumerate(extra_vals) if v is None]
    names = ", ".join(columns + extra_cols)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as out:
        for row in rows:
            values = list(extra_vals)
            for i in uuids:
                values[i] = uuid.uuid4()
            out.write_row([*row, *values])


def load() -> dict[str, Any]:
    """Organisation, channels, topics, agents (ORM); parties, addresses, conversations and
    messages (COPY). Returns the ids the measurements need."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection

    from balie.channels.models import Channel
    from balie.organisations.models import Agent, Organisation, Topic

    rnd = random.Random(7)
    org = Organisation.objects.create(
        slug="bench", name="Gemeente Bench", languages=["nl", "en", "tr", "pl", "ar"]
    )
    channels = [
        Channel.objects.create(
            organisation=org,
            kind="whatsapp",
            key="bench",
            name="WhatsApp",
            settings={"phone_number_id": "106540352242922", "graph_base_url": "http://127.0.0.1:9"},
            secrets={"app_secret": APP_SECRET, "access_token": "sim-access-token"},
        )
    ] + [
        Channel.objects.create(organisation=org, kind=kind, key=kind, name=kind)
        for kind in ("email", "webchat", "api")
    ]
    topics = [
        Topic.objects.create(organisation=org, code=f"t{i}", name=f"Onderwerp {i}")
        for i in range(10)
    ]
    users = User.objects.bulk_create(
        User(username=f"agent{i}", password=make_password(None)) for i in range(AGENTS)
    )
    agents = Agent.objects.bulk_create(
        Agent(organisation=org, user=u, display_name=f"Medewerker {i}", is_supervisor=i == 0)
        for i, u in enumerate(users)
    )
    now = datetime.now(UTC)
    with connection.cursor() as c:
        cur = c.cursor  # psycopg's own cursor, for COPY
        copy(
            cur,
            "parties_party",
            ["organisation_id", "kind", "display_name"],
            (
                (org.pk, "persoon", f"{rnd.choice(WORDS).title()} Burger {i}")
                for i in range(CONVERSATIONS)
            ),
        )
        cur.execute("SELECT id FROM parties_party ORDER BY id")
        parties = [r[0] for r in cur.fetchall()]
        copy(
            cur,
            "parties_digitaladdress",
            ["organisation_id", "party_id", "kind", "value"],
            ((org.pk, p, "whatsapp", f"316{10_000_000 + i}") for i, p in enumerate(parties)),
        )
        statuses = ["queued", "assigned", "pending", "new", "assigned"]
        rows = []
        for i, party in enumerate(parties):
            status = statuses[i % len(statuses)]
            assignee = rnd.choice(agents).pk if status in ("assigned", "pending") else None
            waited = now - timedelta(minutes=rnd.randint(1, 600))
            rows.append(
                (
                    org.pk,
                    rnd.choice(channels).pk,
                    party,
                    rnd.choice(topics).pk,
                    rnd.choice(org.languages),
                    status,
                    assignee,
                    waited,
                    0,
                    uuid.uuid4(),
                )
            )
        copy(
            cur,
            "conversations_conversation",
            [
                "organisation_id",
                "channel_id",
                "party_id",
                "topic_id",
                "language",
                "status",
                "assignee_id",
                "last_inbound_at",
                "priority",
                "uuid",
            ],
            rows,
        )
        cur.execute("SELECT id, channel_id FROM conversations_conversation ORDER BY id")
        conversations = cur.fetchall()
        long_id = conversations[0][0]

        def messages() -> Any:
            start = now - timedelta(days=30)
            for n in range(MESSAGES):
                conv, channel = conversations[0 if n < LONG else 1 + n % (CONVERSATIONS - 1)]
                words = rnd.choices(WORDS, k=rnd.randint(6, 16))
                if n % 100 == 0:
                    words.append("paspoort")
                direction = ("inbound", "outbound", "inbound", "note")[n % 4]
                yield (
                    conv,
                    channel,
                    direction,
                    " ".join(words).capitalize(),
                    "received",
                    start + timedelta(seconds=n * 5),
                    uuid.uuid4(),
                )

        copy(
            cur,
            "conversations_message",
            [
                "conversation_id",
                "channel_id",
                "direction",
                "body",
                "delivery_status",
                "created_at",
                "uuid",
            ],
            messages(),
        )
    return {"org": org, "supervisor": agents[0], "long": long_id, "topic": topics[3].code}


# --- server times ----------------------------------------------------------------------------
def server_times(ids: dict[str, Any], requests: int) -> dict[str, tuple[float, float]]:
    """p50/p95 in ms of each page, through the Django test client in this process."""
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


async def _post(port: int, body: bytes, signature: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /webhooks/whatsapp/bench/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def _drive(port: int, cookie: str, count: int, rate: float) -> tuple[dict, dict, int]:
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
        statuses = await asyncio.gather(*posts)
        deadline = time.monotonic() + 30
        while len(frames) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        listener.cancel()
    return sent, frames, sum(1 for s in statuses if s == 200)


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
        from whatsapp_ingest import _wait_for_port

        _wait_for_port(port)
        first = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        sent, frames, acked = asyncio.run(
            _drive(port, session_cookie(ids["supervisor"].user), count, rate)
        )
        bodies = Message.objects.filter(pk__gt=first, direction="inbound").values_list("pk", "body")
        delays = []
        for pk, body in bodies:
            n = int(body.split()[1])  # "Vraag {n} over mijn paspoort"
            if pk in frames:
                delays.append((frames[pk] - sent[n]) * 1000)
        return {"acked": acked, "framed": len(delays), "delays": delays}
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
    args = parser.parse_args()
    import psycopg

    try:
        psycopg.connect(f"{PG_URL}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        print("postgresql: not reachable at", PG_URL, "— skipped")
        return 0
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DB}")
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


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
    started = time.perf_counter()
    ids = load()
    loaded = time.perf_counter() - started
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
    print(
        f"load: {CONVERSATIONS} open conversations, {AGENTS} agents, {MESSAGES} messages "
        f"(COPY, with the search and inbox indexes in place) in {loaded:.1f} s; "
        f"VACUUM ANALYZE {time.perf_counter() - started - loaded:.1f} s",
        flush=True,
    )
    slow = []
    for name, (p50, p95) in server_times(ids, args.requests).items():
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.requests} requests)", flush=True)
        if p95 >= 150:
            slow.append(name)
    live = live_delay(ids, args.messages, args.rate)
    if live["delays"]:
        p50, p95 = percentiles(live["delays"])
        print(
            f"webhook → WebSocket frame at {args.rate:.0f} msgs/s: p50 {p50:.0f} ms, p95 "
            f"{p95:.0f} ms, max {max(live['delays']):.0f} ms ({live['framed']} frames of "
            f"{args.messages} webhooks, {live['acked']} acknowledged; uvicorn + 1 balie worker, "
            "Redis channel layer)",
            flush=True,
        )
    else:
        print("webhook → WebSocket frame: no frame arrived", flush=True)
    if slow:
        print("over the 150 ms p95 target:", ", ".join(slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
