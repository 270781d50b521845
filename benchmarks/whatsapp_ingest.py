"""WhatsApp ingest: signed webhook POSTs at concurrency 32, acknowledged and processed.

Run standalone: ``.venv/bin/python benchmarks/whatsapp_ingest.py [--messages N]``.

For SQLite (a file in a temp dir) and PostgreSQL (a dedicated ``bench_wa`` database on
``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``, created and dropped here):

1. migrate, create a WhatsApp channel pointed at the Graph API simulator (for the automatic
   queue notices routing sends);
2. start Balie's ASGI application under uvicorn (2 workers; WhatsApp POSTs take the lean
   group-commit path) and ``balie worker`` processes, each its own process;
3. a load generator in another process POSTs pre-signed one-message webhooks over loopback
   (``balie.channels.simulators.whatsapp_load``: a minimal HTTP/1.1 client on asyncio,
   concurrency 32, keep-alive; its CPU time is printed) and measures acknowledgements;
4. after the load stops, wait until every event is applied and routed (party, conversation,
   message, queue entry, decision, the queue notice written to the outbox), and until the
   outbox has sent every notice to the simulator too; report both times;
5. insert the same rows (the raw event row and its task row, same concurrency) straight into
   the same database, one message per commit and eight per commit: the physical limits of
   durable commits without and with grouping.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PYTHON = sys.executable
APP_SECRET = "bench-app-secret"  # noqa: S105 (a benchmark fixture, not a credential)
CONCURRENCY = 32
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_wa"
SETUP = """
import django; django.setup()
from balie.channels.models import Channel
from balie.organisations.models import Organisation
org = Organisation.objects.create(slug="bench", name="Gemeente Bench", languages=["nl"])
Channel.objects.create(organisation=org, kind="whatsapp", key="bench", name="WhatsApp",
    settings={"phone_number_id": "106540352242922", "graph_base_url": sys.argv[1]},
    secrets={"app_secret": "bench-app-secret", "access_token": "sim-access-token"})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- load generator (runs in its own process) -----------------------------------------------
def bodies(count: int, citizens: int) -> list[tuple[bytes, str]]:
    """Pre-signed webhook bodies: ``count`` messages from ``citizens`` people."""
    from balie.channels.simulators.whatsapp_load import signed_bodies

    return signed_bodies(count, citizens, APP_SECRET)


# --- databases ----------------------------------------------------------------------------
class Database:
    """One database under test: environment for Balie and raw SQL for counting."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.tmp = tmp
        self.env = {
            **os.environ,
            "BALIE_DATA_DIR": str(tmp),
            "BALIE_IN_PROCESS_WORKER": "0",
            "BALIE_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT / "src"),
            "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
        }
        if kind == "postgresql":
            self.env["DATABASE_URL"] = f"{PG_URL}/{PG_DB}"
        else:
            self.env.pop("DATABASE_URL", None)
            self.env["BALIE_SQLITE_PATH"] = str(tmp / "bench.sqlite3")

    def connect(self) -> Any:
        if self.kind == "postgresql":
            import psycopg

            return psycopg.connect(f"{PG_URL}/{PG_DB}", autocommit=True)
        conn = sqlite3.connect(self.tmp / "bench.sqlite3", timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def scalar(self, sql: str) -> Any:
        conn = self.connect()
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()

    def version(self) -> str:
        if self.kind == "postgresql":
            return "PostgreSQL " + str(self.scalar("SHOW server_version"))
        return "SQLite " + sqlite3.sqlite_version + " (WAL)"


@contextmanager
def postgres_database() -> Any:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DB}")
    try:
        yield
    finally:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG_URL}/postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True


# --- one run --------------------------------------------------------------------------------
ALL_TASKS = (
    "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY','RUNNING')"
    " AND (run_after IS NULL OR run_after <= CURRENT_TIMESTAMP OR run_after > '9000-01-01')"
)
ROUTING_TASKS = (
    "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY','RUNNING')"
    " AND (run_after IS NULL OR run_after <= CURRENT_TIMESTAMP OR run_after > '9000-01-01')"
    " AND queue_name <> 'outbound'"
)


def backlog(db: Database, *, sends: bool = True) -> tuple[int, int]:
    """(events not yet applied, tasks not yet finished); without ``sends``, the outbox's
    tasks (the queue notices' HTTP sends to the provider) are not counted."""
    events = db.scalar("SELECT COUNT(*) FROM whatsapp_webhookevent WHERE processed_at IS NULL")
    tasks = db.scalar(ALL_TASKS if sends else ROUTING_TASKS)
    return int(events), int(tasks)


def raw_insert_rate(db: Database, count: int, per_commit: int = 1) -> float:
    """Messages/s for the ack path's two rows per message, ``per_commit`` messages a
    transaction, 32 threads: with 1 the limit of a commit per request, with more the limit
    of group commit."""
    template = db.connect()
    cols = [
        c[0]
        for c in template.execute(
            "SELECT * FROM django_tasks_database_dbtaskresult LIMIT 1"
        ).description
    ]
    template.close()
    cols = [c for c in cols if c != "id"]
    body = bodies(1, 1)[0][0].decode()
    mark = "%s" if db.kind == "postgresql" else "?"
    per_thread = count // CONCURRENCY // per_commit * per_commit
    # Only the driver's placeholder style and the table's own column names are formatted in.
    # The columns the ack path's bulk_create writes (WebhookEvent's defaults included).
    event_sql = f"INSERT INTO whatsapp_webhookevent (channel_id, body, received_at, attempts, next_attempt_at, last_error) VALUES (1, {mark}, {mark}, 0, {mark}, '')"  # noqa: S608, E501
    columns = ", ".join(cols)
    task_sql = f"INSERT INTO django_tasks_database_dbtaskresult (id, {columns}) SELECT {mark}, {columns} FROM django_tasks_database_dbtaskresult LIMIT 1"  # noqa: S608, E501
    barrier = threading.Barrier(CONCURRENCY + 1)

    def worker() -> None:
        conn = db.connect()
        barrier.wait()
        for _ in range(per_thread // per_commit):
            conn.execute("BEGIN")
            for _ in range(per_commit):
                now = datetime.now(UTC).isoformat()
                conn.execute(event_sql, (body, now, now))
                task_id = uuid.uuid4() if db.kind == "postgresql" else uuid.uuid4().hex
                conn.execute(task_sql, (task_id,))
            conn.execute("COMMIT")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return per_thread * CONCURRENCY / (time.perf_counter() - started)


def run(
    kind: str, count: int, citizens: int, workers: int, *, defer_workers: bool
) -> dict[str, Any]:
    """Set up ``kind``, drive the load, wait for processing; return the figures."""
    from balie.channels.simulators.whatsapp import WhatsAppSimulator

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-wa-{kind}-"))
    db = Database(kind, tmp)
    sim = WhatsAppSimulator(access_token="sim-access-token").start()  # noqa: S106
    procs: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [PYTHON, "-m", "balie", "manage", "migrate", "-v", "0"], env=db.env, check=True
        )
        subprocess.run([PYTHON, "-c", "import sys\n" + SETUP, sim.base_url], env=db.env, check=True)
        port = free_port()
        procs.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "balie.conf.asgi:application",
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--lifespan",
                    "off",
                    "--workers",
                    "2",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env=db.env,
            )
        )
        worker_cmd = [PYTHON, "-m", "balie", "worker"]
        if not defer_workers:
            procs.extend(subprocess.Popen(worker_cmd, env=db.env) for _ in range(workers))
        _wait_for_port(port)
        url = f"http://127.0.0.1:{port}/webhooks/whatsapp/bench/"
        out = subprocess.run(
            [
                PYTHON,
                "-m",
                "balie.channels.simulators.whatsapp_load",
                url,
                "--messages",
                str(count),
                "--citizens",
                str(citizens),
                "--secret",
                APP_SECRET,
                "--concurrency",
                str(CONCURRENCY),
            ],
            env=db.env,
            check=True,
            capture_output=True,
        )
        load = json.loads(out.stdout.decode().strip().splitlines()[-1])
        if defer_workers:
            procs.extend(subprocess.Popen(worker_cmd, env=db.env) for _ in range(workers))
        routed_after, processed_after = _wait_processed(db, load["ended_at"], timeout=300)
        inbound = db.scalar("SELECT COUNT(*) FROM conversations_message WHERE direction='inbound'")
        _stop(procs)
        raw = raw_insert_rate(db, min(count, 3200))
        raw_grouped = raw_insert_rate(db, min(count, 3200) * 2, per_commit=8)
        return {
            "db": db.version(),
            "messages": count,
            "acked_per_s": load["acknowledged"] / load["elapsed"],
            "acknowledged": load["acknowledged"],
            "statuses": load["statuses"],
            "p50_ms": load["p50_ms"],
            "p99_ms": load["p99_ms"],
            "routed_after_s": routed_after,
            "processed_after_s": processed_after,
            "processed_per_s": count / (load["elapsed"] + processed_after),
            "client_cpu_s": load["client_cpu_s"],
            "inbound_messages": inbound,
            "raw_insert_per_s": raw,
            "raw_grouped_per_s": raw_grouped,
        }
    finally:
        _stop(procs)  # terminate first: uvicorn's supervisor then stops its worker processes
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the server and workers (a worker finishes its batch first), then kill."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    procs.clear()


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _wait_processed(db: Database, ended_at: float, timeout: float) -> tuple[float, float]:
    """Seconds after the load stopped until every message was applied and routed (party,
    conversation, queue entry, decision, notice in the outbox), and until the outbox had
    also sent the notices."""
    deadline = time.monotonic() + timeout
    routed = float("inf")
    while time.monotonic() < deadline:
        if routed == float("inf") and backlog(db, sends=False) == (0, 0):
            routed = time.time() - ended_at
        if backlog(db) == (0, 0):
            return min(routed, time.time() - ended_at), time.time() - ended_at
        time.sleep(0.05)
    return routed, float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--citizens", type=int, default=0, help="default: messages / 2")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--defer-workers",
        action="store_true",
        help="start the task workers only when the load stops (isolates the acknowledgement path)",
    )
    args = parser.parse_args()
    citizens = args.citizens or max(1, args.messages // 2)
    import django
    import uvicorn

    print(
        f"# whatsapp_ingest — {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.__version__}, uvicorn {uvicorn.__version__}, {platform.platform()}\n"
        f"# {args.messages} one-message webhooks from {citizens} citizens, concurrency "
        f"{CONCURRENCY}, uvicorn (ASGI, lean WhatsApp ingest) 2 workers + balie worker processes "
        f"({'started after the load' if args.defer_workers else 'running during the load'}), "
        "load generator and database all on this machine",
        flush=True,
    )
    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    for kind in kinds:
        if kind == "postgresql" and not postgres_available():
            print("postgresql: not reachable at", PG_URL, "— skipped")
            continue
        workers = 2 if kind == "postgresql" else 1
        if kind == "postgresql":
            with postgres_database():
                result = run(
                    kind, args.messages, citizens, workers, defer_workers=args.defer_workers
                )
        else:
            result = run(kind, args.messages, citizens, workers, defer_workers=args.defer_workers)
        print(
            f"{result['db']}: {result['acked_per_s']:.0f} msgs/s acknowledged "
            f"({result['acknowledged']}/{result['messages']}, statuses {result['statuses']}), "
            f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms (load generator "
            f"CPU {result['client_cpu_s']:.2f} s); all applied and routed "
            f"{result['routed_after_s']:.1f} s and the notices sent "
            f"{result['processed_after_s']:.1f} s after the load stopped, "
            f"{result['processed_per_s']:.0f} msgs/s end to end "
            f"({result['inbound_messages']} messages stored); raw insert of the same rows "
            f"{result['raw_insert_per_s']:.0f} msgs/s one commit each, "
            f"{result['raw_grouped_per_s']:.0f} msgs/s eight per commit",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
