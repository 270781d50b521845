"""The scratch databases the benchmarks run on (shared by the benchmark scripts)."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def on_scratch_postgres(pg_url: str, name: str, *, keep: bool, run: Callable[[], int]) -> int:
    """Run ``run`` against a fresh PostgreSQL database ``name`` (or the kept one with ``keep``),
    dropped afterwards unless kept; 0 with a note when PostgreSQL is not reachable."""
    import psycopg

    try:
        psycopg.connect(f"{pg_url}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        print("postgresql: not reachable at", pg_url, "— skipped")
        return 0
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not keep:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if not exists or not keep:
            admin.execute(f"CREATE DATABASE {name}")
    try:
        return run()
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def child_on_both(cmd: list[str], pg_url: str, name: str) -> None:
    """Run the child command once on a scratch SQLite file and once on a scratch PostgreSQL
    database ``name`` (dropped afterwards), quietly and without the in-process worker."""
    base = {**os.environ, "BALIE_LOG_LEVEL": "WARNING", "BALIE_IN_PROCESS_WORKER": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**base, "BALIE_SQLITE_PATH": f"{tmp}/bench.sqlite3", "BALIE_DATA_DIR": tmp}
        env.pop("DATABASE_URL", None)
        subprocess.run(cmd, env=env, check=True)
    psql = ["psql", pg_url + "/postgres", "-q", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    try:
        subprocess.run(cmd, env={**base, "DATABASE_URL": f"{pg_url}/{name}"}, check=True)
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)


def main_on_both(
    parser: argparse.ArgumentParser, title: str, db_name: str, child: Callable[[Any], None]
) -> int:
    """A benchmark's ``main``: parse ``parser``'s options; in the child (``--child``) measure
    with ``child(args)``; else print the header line ``# title — machine`` and run this script
    again as a child on a scratch SQLite file and on the PostgreSQL database ``db_name``, with
    the same options."""
    import platform
    import sys

    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    print(f"# {title} — {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}", flush=True)  # fmt: skip
    script = os.path.abspath(sys.argv[0])
    child_on_both([sys.executable, script, "--child", *sys.argv[1:]], PG_URL, db_name)
    return 0


def migrated_django() -> str:
    """In a benchmark's child process: Balie's source on the path, Django set up against the
    database the environment names, migrated; returns the database vendor."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return str(connection.vendor)
