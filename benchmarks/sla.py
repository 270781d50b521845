"""Service levels on PostgreSQL: recomputing every open conversation's due times after a
calendar change, and the sweep that flags warnings and breaches.

Run standalone: ``.venv/bin/python benchmarks/sla.py [--conversations N] [--keep]``.

1. A dedicated ``bench_sla`` database on ``BENCH_PG_URL`` (default
   ``postgres://postgres@127.0.0.1:5432``) is created, migrated and dropped afterwards.
2. Load: one organisation with weekday office hours (lunch break, NL holidays) and three
   policies (business minutes, same day or next morning, wall minutes for one channel);
   ``--conversations`` open conversations (default 100,000) over four channels and ten topics,
   each with a running clock started in the last 30 days (COPY); ``VACUUM ANALYZE``.
3. Recompute (timed, three runs): ``recompute_organisation`` as the ``calendar_changed``
   handler runs it after a change (Wednesdays closed, then open again): read each chunk of
   clocks with its conversation's fields, compute, bulk update.
4. Sweep (timed): the first run flags up to 1,000 overdue clocks and publishes their events.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _databases import on_scratch_postgres  # noqa: E402
from _workspace_data import copy, load  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_sla"
ENV = {
    "DATABASE_URL": f"{PG_URL}/{PG_DB}",
    "BALIE_IN_PROCESS_WORKER": "0",
    "BALIE_LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "balie.conf.settings",
}
HOURS = [["08:30", "12:30"], ["13:00", "17:00"]]


def setup_sla(org_id: int) -> None:
    """The organisation's calendar and policies, and one running clock per conversation."""
    from django.db import connection

    from balie.channels.models import Channel
    from balie.organisations.models import Calendar as CalendarRow
    from balie.sla.models import Policy

    CalendarRow.objects.create(
        organisation_id=org_id,
        hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), HOURS),
        holidays_country="NL",
        closed_days=["2026-12-24"],
    )
    Policy.objects.create(
        organisation_id=org_id,
        name="Standaard",
        first_response={"business_minutes": 480},
        next_response={"business_minutes": 240},
        resolution={"business_minutes": 2400},
    )
    Policy.objects.create(
        organisation_id=org_id,
        name="E-mail",
        channel=Channel.objects.get(organisation_id=org_id, key="email"),
        first_response={"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}},
        resolution={"business_minutes": 4800},
    )
    Policy.objects.create(
        organisation_id=org_id,
        name="Chat",
        channel=Channel.objects.get(organisation_id=org_id, key="webchat"),
        first_response={"wall_minutes": 5},
        resolution={"wall_minutes": 120},
    )
    rnd = random.Random(11)
    now = datetime.now(UTC)
    with connection.cursor() as c:
        cur = c.cursor
        cur.execute(
            "SELECT id FROM conversations_conversation WHERE organisation_id = %s", [org_id]
        )
        ids = [r[0] for r in cur.fetchall()]

        def rows():  # type: ignore[no-untyped-def]
            for conversation_id in ids:
                started = now - timedelta(minutes=rnd.randint(1, 30 * 24 * 60))
                yield (conversation_id, org_id, started, "first_response", started, 0.0, 0.0)

        copy(
            cur,
            "sla_clock",
            [
                "conversation_id",
                "organisation_id",
                "started_at",
                "response_target",
                "response_started_at",
                "paused_business_minutes",
                "paused_wall_minutes",
            ],
            rows(),
        )


def run(args: argparse.Namespace) -> int:
    """Migrate, load, measure, print."""
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from balie.organisations.models import Calendar as CalendarRow
    from balie.organisations.models import Organisation
    from balie.sla.calendars import forget_calendars
    from balie.sla.handlers import recompute_organisation, sweep
    from balie.sla.models import Clock

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        version = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[union-attr]
    print(
        f"# sla — {os.cpu_count()} cores, Python {platform.python_version()}, Django "
        f"{django.__version__}, PostgreSQL {version}, {platform.platform()}; database and "
        "Balie on this machine",
        flush=True,
    )
    org = Organisation.objects.filter(slug="bench").first()
    if org is None or not Clock.objects.exists():
        started = time.perf_counter()
        org = load(args.conversations, 0)["org"]
        setup_sla(org.pk)
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")
        print(
            f"load: {args.conversations:,} open conversations with clocks in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    row = CalendarRow.objects.get(organisation=org, team=None, channel=None)
    times = []
    for n in range(args.runs):
        # a real change each time: Wednesdays closed, then open again
        row.hours["wed"] = [] if n % 2 == 0 else HOURS
        row.save()
        forget_calendars()
        started = time.perf_counter()
        count = recompute_organisation(org.pk)
        times.append(time.perf_counter() - started)
        print(f"recompute run {n + 1}: {count:,} clocks in {times[-1]:.1f} s", flush=True)
    median = statistics.median(times)
    print(
        f"recompute after a calendar change: {count:,} open conversations, median "
        f"{median:.1f} s ({count / median:,.0f} clocks/s) over {args.runs} runs",
        flush=True,
    )
    Clock.objects.filter(organisation=org).update(warned=False, breached=False)
    started = time.perf_counter()
    flagged = sweep()
    print(
        f"sweep: {flagged:,} clocks flagged (its limit per run) in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms",
        flush=True,
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args()
    return on_scratch_postgres(PG_URL, PG_DB, keep=args.keep, run=lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
