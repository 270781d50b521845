"""What each handler of a received WhatsApp message costs: the worker's time, split by handler.

Run standalone: ``.venv/bin/python benchmarks/ingest_handlers.py [--messages N]``.

For SQLite (a temporary file) and PostgreSQL (a dedicated ``bench_handlers`` database on
``BENCH_PG_URL``, created and dropped), in one process and one thread, so every second is
accounted for:

1. store ``--messages`` signed one-message webhooks (from half as many citizens) through the
   group-commit writer, eight per commit, as the lean ingest does;
2. run the ingest queue (parse, parties, conversations, messages);
3. run everything that follows (the ``message_received`` handlers: language and tone,
   routing, out-of-hours care, the service-level clock, the privacy guard; then routing's
   queue notices and what they publish), timing each handler path, and the worker's own
   claiming and bookkeeping as "worker";
4. print each handler's milliseconds per message and share, and what the ingest costs with
   and without the privacy guard (issue #12: at most 10 % more).

The clock is frozen on a Tuesday at 10:00 (Europe/Amsterdam), inside opening hours, so the
figures do not depend on when the benchmark runs; ``--closed`` freezes it on a Saturday
instead (every conversation then gets the out-of-hours reply).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from _databases import main_on_both, migrated_django

OPEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
CLOSED = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def child(messages: int, closed: bool) -> None:
    """Measure in this process against the database the environment names."""
    import time_machine

    vendor = migrated_django()
    with time_machine.travel(CLOSED if closed else OPEN, tick=True):
        _measure(vendor, messages)


def _measure(vendor: str, messages: int) -> None:
    from balie.channels.models import Channel
    from balie.channels.simulators.whatsapp_load import signed_bodies
    from balie.channels.whatsapp.groupcommit import write_batch
    from balie.core import dispatch, worker
    from balie.organisations.models import Organisation

    org = Organisation.objects.create(slug="bench", name="Gemeente Bench", languages=["nl", "en"])
    channel = Channel.objects.create(
        organisation=org, kind="whatsapp", key="bench", name="WhatsApp",
        settings={"phone_number_id": "106540352242922", "graph_base_url": "http://127.0.0.1:9"},
        secrets={"app_secret": "bench-app-secret", "access_token": "sim-access-token"},
    )  # fmt: skip
    items = [
        (channel.pk, body.decode())
        for body, _ in signed_bodies(messages, messages // 2, "bench-app-secret")
    ]
    for start in range(0, len(items), 8):
        write_batch(items[start : start + 8])

    from balie.replies.enrichment import warm_up

    started = time.perf_counter()
    warm_up()  # as a worker does at start
    loaded = time.perf_counter() - started
    print(f"{vendor}: language models loaded in {loaded:.1f} s (at worker start)", flush=True)
    spent: dict[str, float] = defaultdict(float)
    original = dispatch.imported

    def timed(path: str):  # type: ignore[no-untyped-def]
        fn = original(path)
        if not callable(fn):
            return fn

        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[path] += time.perf_counter() - started

        return run

    dispatch.imported = timed  # type: ignore[assignment]
    started = time.perf_counter()
    worker.run_ready_tasks(queues=["ingest"])
    ingest = time.perf_counter() - started
    started = time.perf_counter()
    tasks = worker.run_ready_tasks(queues=["default"])
    rest = time.perf_counter() - started
    dispatch.imported = original  # type: ignore[assignment]
    handlers = sum(spent[p] for p in spent if "ingest" not in p)
    spent["worker (claim, bookkeeping, task rows)"] = rest - handlers
    total = ingest + rest
    per_message = total / messages * 1000
    print(f"{vendor}: {messages} messages — ingest {ingest:.2f} s, then {tasks} handler tasks "
          f"in {rest:.2f} s; {per_message:.2f} ms per message in all", flush=True)  # fmt: skip
    rows = sorted(((p, s) for p, s in spent.items() if "ingest" not in p), key=lambda r: -r[1])
    rows.insert(0, ("ingest (parse, parties, conversations, messages)", ingest))
    for path, seconds in rows:
        name = path.removeprefix("balie.")
        print(f"  {name:58} {seconds / messages * 1000:6.3f} ms/msg  {seconds / total:6.1%}")
    privacy = spent.get("balie.privacy.handlers.on_messages_received", 0.0)
    print(f"  privacy guard: ingest {total - privacy:.2f} s without, {total:.2f} s with: "
          f"+{privacy / (total - privacy):.1%} (issue #12: at most +10 %)", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--closed", action="store_true", help="on a Saturday (out of hours)")
    title = "ingest_handlers (one process, one thread; clock frozen on a Tuesday 10:00, or a "
    title += "Saturday with --closed)"
    return main_on_both(parser, title, "bench_handlers", lambda a: child(a.messages, a.closed))


if __name__ == "__main__":
    sys.exit(main())
