"""The scratch databases the benchmarks run on (shared by the benchmark scripts)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable


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
