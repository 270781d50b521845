"""E-mail intake: ``balie email import`` throughput and threading, and IMAP IDLE latency.

Run standalone: ``.venv/bin/python benchmarks/email_import.py [--messages 2000] [--idle 60]``.

1. 2,000 generated e-mails (``balie.channels.email.samples.corpus``: threads of one to five
   messages, Dutch and English, replies quoting what they answer, PDF attachments on some,
   ISO-8859-1 and Windows-1252 bodies and encoded-word headers on others) are written as
   .eml files in a shuffled order and fed through ``balie email import`` in a fresh
   database: SQLite (a file in a temp dir) and PostgreSQL (a ``bench_mail`` database on
   ``BENCH_PG_URL``, created and dropped here) when it is reachable.
   Reported: messages per second (the command's own ``seconds``, parse and store; and the
   whole process, start-up included) and the share of replies whose ``reply_to`` is the
   message they answer (known from the generator).
2. A private Dovecot on loopback (tests/email/dovecot.py) and ``balie manage email_idle``
   in its own process: messages APPENDed one by one, each timed until its row is in the
   database (polled every 10 ms). Reported: p50, p95 and max delay.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# this file's own folder would shadow the standard library's ``email`` package (none of the
# imports above loads it)
sys.path[:] = [p for p in sys.path if p not in {"", str(Path(__file__).resolve().parent)}]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
from balie.channels.email.samples import build, corpus  # noqa: E402 (after the path)

BALIE = str(ROOT / ".venv" / "bin" / "balie")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_mail"
SETUP = """
import sys, json, django; django.setup()
from balie.channels.models import Channel
from balie.organisations.models import Organisation
org = Organisation.objects.create(slug="bench", name="Gemeente Bench", languages=["nl", "en"])
Channel.objects.create(organisation=org, kind="email", key="post", name="Postbus",
    settings={"address": "balie@gemeente.example", **json.loads(sys.argv[1])},
    secrets=json.loads(sys.argv[2]))
"""
LINKS = (
    "SELECT m.provider_id, p.provider_id FROM conversations_message m "
    "LEFT JOIN conversations_message p ON p.id = m.reply_to_id"
)


def environment(kind: str, tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "BALIE_DATA_DIR": str(tmp),
        "BALIE_IN_PROCESS_WORKER": "0",
        "BALIE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
    }
    if kind == "postgresql":
        env["DATABASE_URL"] = f"{PG_URL}/{PG_DB}"
    else:
        env.pop("DATABASE_URL", None)
        env["BALIE_SQLITE_PATH"] = str(tmp / "bench.sqlite3")
    return env


def query(kind: str, tmp: Path, sql: str) -> list[tuple[Any, ...]]:
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_URL}/{PG_DB}") as conn:
            return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]
    conn = sqlite3.connect(tmp / "bench.sqlite3", timeout=30)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def prepare(kind: str, tmp: Path, settings: dict[str, Any], secrets: dict[str, str]) -> None:
    env = environment(kind, tmp)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {PG_DB}")
    subprocess.run([BALIE, "manage", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-c", SETUP, json.dumps(settings), json.dumps(secrets)],
        env=env,
        check=True,
    )


def drop(kind: str) -> None:
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG_URL}/postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True


def import_run(kind: str, count: int) -> dict[str, Any]:
    """Throughput and threading of one shuffled import."""
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as name:
        tmp = Path(name)
        prepare(kind, tmp, {}, {})
        samples = corpus(count, seed=2026)
        random.Random(7).shuffle(samples)
        folder = tmp / "mail"
        folder.mkdir()
        for n, sample in enumerate(samples):
            (folder / f"{n:05d}.eml").write_bytes(sample.raw)
        started = time.perf_counter()
        done = subprocess.run(
            [BALIE, "email", "import", str(folder), "--channel", "post"],
            env=environment(kind, tmp),
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        out = json.loads(done.stdout.strip().splitlines()[-1])
        links = dict(query(kind, tmp, LINKS))
        replies = [s for s in samples if s.parent]
        right = sum(1 for s in replies if links.get(s.message_id) == s.parent)
        drop(kind)
    return {
        "out": out,
        "rate": out["read"] / out["seconds"],
        "wall_rate": out["read"] / wall,
        "replies": len(replies),
        "threaded": right,
        "threads": len({s.thread for s in samples}),
        "with_attachment": sum(1 for s in samples if b"application/pdf" in s.raw),
        "legacy": sum(1 for s in samples if b"iso-8859-1" in s.raw or b"windows-1252" in s.raw),
    }


def idle_run(count: int) -> dict[str, float]:
    """Delay from APPEND to the stored message with ``email_idle`` watching the mailbox."""
    from tests.email.dovecot import PASSWORD, Dovecot

    server = Dovecot()
    server.start()
    worker = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-mail-idle-") as name:
            tmp = Path(name)
            prepare("sqlite", tmp, server.settings, {"imap_password": PASSWORD})
            worker = subprocess.Popen(
                [BALIE, "manage", "email_idle", "--channel", "post"],
                env=environment("sqlite", tmp),
                stdout=subprocess.PIPE,
                text=True,
            )
            assert worker.stdout is not None
            worker.stdout.readline()  # "watching 1 mailbox(es)"
            time.sleep(1.0)  # the first poll and IDLE
            conn = sqlite3.connect(tmp / "bench.sqlite3", timeout=30)
            delays = []
            client = server.client()
            for n in range(count):
                mid = f"<idle{n}@burger.example>"
                raw = build(message_id=mid, sender=f"idle{n}@burger.example")
                started = time.perf_counter()
                client.append("INBOX", raw)
                while not conn.execute(
                    "SELECT 1 FROM conversations_message WHERE provider_id = ?", (mid,)
                ).fetchone():
                    if time.perf_counter() - started > 30:
                        raise RuntimeError(f"{mid} did not arrive in 30 s")
                    time.sleep(0.01)
                delays.append(time.perf_counter() - started)
                time.sleep(random.uniform(0.05, 0.3))
            client.logout()
            conn.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)
        server.cleanup()
    delays.sort()
    return {
        "p50": delays[len(delays) // 2],
        "p95": delays[int(len(delays) * 0.95) - 1],
        "max": delays[-1],
        "count": float(len(delays)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--idle", type=int, default=60, help="messages for the IDLE delay")
    args = parser.parse_args()
    print(f"# e-mail intake — {platform.node()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")  # fmt: skip
    kinds = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    ok = True
    for kind in kinds:
        r = import_run(kind, args.messages)
        share = r["threaded"] / r["replies"] if r["replies"] else 1.0
        print(
            f"{kind:10s} import {r['out']['read']} mails ({r['threads']} threads, "
            f"{r['replies']} replies, {r['with_attachment']} with a PDF, {r['legacy']} in "
            f"legacy charsets), shuffled: {r['rate']:.0f} msg/s in the intake "
            f"({r['wall_rate']:.0f} msg/s with process start-up); replies threaded "
            f"{r['threaded']}/{r['replies']} = {share:.1%}; stored {r['out']['stored']}, "
            f"quarantined {r['out']['quarantined']}"
        )
        ok = ok and r["rate"] >= 200 and share == 1.0
    if args.idle:
        d = idle_run(args.idle)
        print(
            f"IMAP IDLE  {int(d['count'])} APPENDs to Dovecot → message in Balie (SQLite): "
            f"p50 {d['p50'] * 1000:.0f} ms, p95 {d['p95'] * 1000:.0f} ms, "
            f"max {d['max'] * 1000:.0f} ms"
        )
        ok = ok and d["p95"] < 5
    print("targets (≥ 200 msg/s, 100 % threaded, IDLE p95 < 5 s):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
