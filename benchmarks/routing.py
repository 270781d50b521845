"""Routing: decision latency and assignments per second, 500 agents and 5,000 queued contacts.

Run standalone: ``.venv/bin/python benchmarks/routing.py [--agents 500] [--queued 5000]
[--only postgresql]``.

For SQLite (a file in a temp dir) and PostgreSQL (a dedicated ``bench_rt`` database on
``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``, created and dropped here),
each in its own process:

1. migrate; create an organisation with 500 agents (languages, topic skills 1-5, trainings,
   capacity: web chat 4, e-mail 6) and 5,000 waiting conversations over 12 topics and 5
   languages (bulk inserts, outside the measurement); ANALYZE, as autovacuum would;
2. **decisions**: route the first 2,000 queue entries one at a time through the production
   path (``route_entries``: board from the process cache, queue order, score, then the claim
   with ``SELECT … FOR UPDATE SKIP LOCKED`` on the entry and the agent, recount under lock,
   ``do_assign`` with its status history and events). Latency per decision, p50/p99, for the
   first 1,000 as is, and for the next 1,000 without core's in-process realtime push;
3. **sweep, 1 process**: from the full queue again (every conversation queued, every agent
   free), ``sweep_organisation`` (batches of 50 contacts per transaction) until the queue or
   the capacity is exhausted; assignments/s up to the last batch that placed one;
4. **sweep, N processes** (default 4): the same, with the processes set up first and started
   together, timed from that start to the last productive round;
5. **physical limits**: the smallest write transaction (one UPDATE, COMMIT), p50/p99, the
   floor of a decision in its own transaction; and the same rows the claims write
   (conversation UPDATE, status history and routing record INSERTs, queue entry and agent
   state UPDATEs), written raw in transactions of 50, without reads, locks, ranking or
   events: what the database alone allows here.

Also the pure decision alone (ranking the board for one contact, no database), p50/p99.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _routing_data import commit_floor, populate, reset, write_limit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_rt"


def setup_django() -> None:
    """Django against the configured database (each sweeper process, once)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    import django

    django.setup()


def sweeper(org_id: int, start_at: float) -> tuple[int, float, float]:
    """One sweeping process: from ``start_at`` (wall clock, shared by all), sweep until two
    rounds in a row place nothing; returns (placed, start, end of the last productive round).
    """
    from balie.routing.engine import sweep_organisation

    time.sleep(max(0.0, start_at - time.time()))
    started = last = time.time()
    total, idle = 0, 0
    while idle < 2:  # two empty rounds: the queue or the capacity is exhausted
        placed = sweep_organisation(org_id, limit=400)
        total += placed
        if placed:
            last = time.time()
        idle = idle + 1 if placed == 0 else 0
    return total, started, last


def sweep(org_id: int, processes: int) -> tuple[int, float]:
    """``processes`` sweepers from a common start after their setup; (placed, seconds)."""
    import multiprocessing

    from django.db import connection

    connection.close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, initializer=setup_django) as pool:
        pool.map(time.sleep, [0.0] * processes)  # every worker has set up Django
        start_at = time.time() + 0.5
        runs = pool.starmap(sweeper, [(org_id, start_at)] * processes)
    placed = sum(r[0] for r in runs)
    return placed, max(r[2] for r in runs) - min(r[1] for r in runs)


def measure(agents: int, queued: int, decisions: int, processes: int) -> dict[str, Any]:
    """Set up Django against the configured database, populate, and time the phases."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from balie.core import clock
    from balie.organisations.models import Organisation
    from balie.routing import selection as sel
    from balie.routing.board import board_for
    from balie.routing.engine import _waiting, route_entries, sweep_organisation
    from balie.routing.needs import need_now

    call_command("migrate", verbosity=0)
    org_id = populate(agents, queued)
    with connection.cursor() as cursor:
        # Planner statistics, as a database in use has them (autovacuum would gather them a
        # little later); without, PostgreSQL plans the load count as a scan of every
        # assigned conversation.
        cursor.execute("ANALYZE")
    organisation = Organisation.objects.get(pk=org_id)
    entries = _waiting(org_id, decisions)
    # The pure decision alone: rank the board's agents for a contact (no database).
    board = board_for(organisation, clock.now(), fresh=True)
    ranks = []
    for entry in entries:
        need = need_now(organisation, entry, entry.conversation.topic,
                        entry.conversation.language, board.steps, board.now)  # fmt: skip
        t0 = time.perf_counter()
        sel.rank_agents(need, board.candidates(need), t0, board.rare, board.mixing,
                        qualified=True, fixed=board.fixed(need))  # fmt: skip
        ranks.append(time.perf_counter() - t0)
    ranks.sort()

    def decide(batch: list[Any]) -> tuple[list[float], int, float]:
        latencies, assigned = [], 0
        started = time.perf_counter()
        for entry in batch:
            t0 = time.perf_counter()
            claim = route_entries(organisation, [entry])[entry.pk]
            latencies.append(time.perf_counter() - t0)
            assigned += claim.agent_id is not None
        return sorted(latencies), assigned, time.perf_counter() - started

    half = len(entries) // 2
    latencies, assigned, elapsed = decide(entries[:half])
    # The same path without the in-process realtime push that core runs after each commit
    # (its non-durable handlers), to show what that push costs per decision.
    from balie.core import dispatch

    every = dispatch.handlers_for
    dispatch.handlers_for = lambda name: tuple(h for h in every(name) if h.durable)  # type: ignore[assignment]
    quiet, _, _ = decide(entries[half:])
    dispatch.handlers_for = every
    # Sweeps, each from the full queue with every agent free: one process, then several.
    reset(org_id)
    t0 = last = time.perf_counter()
    single = 0
    while placed := sweep_organisation(org_id, limit=400):
        single += placed
        last = time.perf_counter()
    single_s = last - t0
    reset(org_id)
    swept, sweep_s = sweep(org_id, processes)
    limit = write_limit(org_id, 2000, 50)
    floor = commit_floor(org_id, 500)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 2)

    return {
        "db": connection.vendor,
        "server": server_version(connection),
        "rank_p50_ms": pct(ranks, 0.5),
        "rank_p99_ms": pct(ranks, 0.99),
        "decisions": len(latencies),
        "assigned": assigned,
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "quiet_p50_ms": pct(quiet, 0.5),
        "quiet_p99_ms": pct(quiet, 0.99),
        "assignments_per_s": round(assigned / elapsed),
        "single_sweep_assigned": single,
        "single_sweep_per_s": round(single / single_s) if single_s else 0,
        "processes": processes,
        "sweep_assigned": swept,
        "sweep_assignments_per_s": round(swept / sweep_s) if sweep_s else 0,
        "write_limit_per_s": round(limit),
        "commit_p50_ms": pct(floor, 0.5),
        "commit_p99_ms": pct(floor, 0.99),
    }


def server_version(connection: Any) -> str:
    """The database server's version, for the figures' context."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return str(cursor.fetchone()[0])


def child(args: argparse.Namespace) -> int:
    print(json.dumps(measure(args.agents, args.queued, args.decisions, args.processes)))
    return 0


def run(env_extra: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, **env_extra, "BALIE_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, __file__, "--child", "--agents", str(args.agents), "--queued",
           str(args.queued), "--decisions", str(args.decisions),
           "--processes", str(args.processes)]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_postgresql(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The measurement on a fresh ``bench_rt`` database (none if the server is unavailable)."""
    try:
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        psql(f"CREATE DATABASE {PG_DB}")
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"PostgreSQL unavailable at {PG_URL}: {exc}")
        return []
    try:
        return [run({"DATABASE_URL": f"{PG_URL}/{PG_DB}"}, args)]
    finally:
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")


def psql(sql: str) -> None:
    subprocess.run(["psql", PG_URL + "/postgres", "-qc", sql], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--queued", type=int, default=5000)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4, help="parallel sweepers")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    print(f"routing benchmark: {args.agents} agents, {args.queued} queued; {os.cpu_count()} "
          f"cores, Python {platform.python_version()}, {platform.platform()}")  # fmt: skip
    results = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            env = {"BALIE_DATA_DIR": tmp, "BALIE_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
                   "DATABASE_URL": ""}  # fmt: skip
            results.append(run(env, args))
    if args.only != "sqlite":
        results.extend(run_postgresql(args))
    for r in results:
        print(f"{r['db']} {r['server']}:\n"
              f"  decision (rank {args.agents} agents, pure): p50 {r['rank_p50_ms']} ms, "
              f"p99 {r['rank_p99_ms']} ms\n"
              f"  decision + claim (one transaction each): p50 {r['p50_ms']} ms, "
              f"p99 {r['p99_ms']} ms, {r['assignments_per_s']} assignments/s "
              f"({r['assigned']}/{r['decisions']})\n"
              f"  the same without core's in-process realtime push: p50 {r['quiet_p50_ms']} ms, "
              f"p99 {r['quiet_p99_ms']} ms\n"
              f"  sweep, 1 process, batches of 50: {r['single_sweep_per_s']} assignments/s "
              f"({r['single_sweep_assigned']} assigned)\n"
              f"  sweep, {r['processes']} processes, batches of 50: "
              f"{r['sweep_assignments_per_s']} assignments/s "
              f"({r['sweep_assigned']} assigned)\n"
              f"  physical limit, the same rows written raw in batches of 50 (no reads, locks, "
              f"ranking or events): {r['write_limit_per_s']} assignments/s\n"
              f"  physical limit, one-row UPDATE + COMMIT per transaction: "
              f"p50 {r['commit_p50_ms']} ms, p99 {r['commit_p99_ms']} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
