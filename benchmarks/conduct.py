"""What the conduct screen costs on receipt, on SQLite and PostgreSQL.

Run standalone: ``.venv/bin/python benchmarks/conduct.py [--blocks N] [--batches N]``.

Every received batch asks conduct once which of its senders are blocked (one indexed query,
ADR 0015). For each database (a temporary SQLite file; a dedicated ``bench_conduct`` database
on ``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``, created and dropped):

1. the screen query alone for 64 senders, with ``--blocks`` blocks in force on other parties
   (median and p95 over 500 runs);
2. receiving ``--batches`` batches of 64 messages from 64 citizens through
   ``do_receive_messages``, none of them blocked, then with 8 of each 64 blocked (their
   messages stored and closed unrouted): median milliseconds per batch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _databases import main_on_both, migrated_django

BATCH = 64


def child(blocks: int, batches: int) -> None:
    """Measure in this process against the database the environment names."""
    vendor = migrated_django()
    from django.db import transaction

    from balie.channels.models import Channel
    from balie.conduct.models import Block, BlockState
    from balie.conduct.screen import BlockScreen
    from balie.conversations.actions import InboundMessage, do_receive_messages
    from balie.core import clock
    from balie.organisations.models import Agent, Organisation
    from balie.parties.actions import AddressClaim, SenderIdentity
    from balie.parties.models import DigitalAddress, Party

    org = Organisation.objects.create(slug="bench", name="Bench")
    channel = Channel.objects.create(organisation=org, kind="api", key="bench", name="Bench")
    from django.contrib.auth.models import User

    agent = Agent.objects.create(
        organisation=org, user=User.objects.create(username="b"), display_name="B"
    )
    others = Party.objects.bulk_create(Party(organisation=org) for _ in range(blocks))
    now = clock.now()
    Block.objects.bulk_create(
        Block(organisation=org, party=p, state=BlockState.ACTIVE, reason="x",
              requested_by=agent, requested_at=now, decided_by=agent, decided_at=now)
        for p in others
    )  # fmt: skip
    senders = Party.objects.bulk_create(Party(organisation=org) for _ in range(BATCH))
    ids = [p.pk for p in senders]
    screen = BlockScreen()
    times = []
    for _ in range(500):
        started = time.perf_counter()
        screen.blocked(org.pk, ids, now)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{vendor:10} screen  {statistics.median(times):6.2f} ms median, "
          f"{times[int(len(times) * 0.95)]:6.2f} ms p95 (64 senders, {blocks:,} blocks)",
          flush=True)  # fmt: skip

    def run(label: str, blocked_every: int) -> None:
        spent = []
        for b in range(batches):
            items = [
                (
                    SenderIdentity(
                        primary=AddressClaim("email", f"{label}{b}-{i}@example.nl"), name="B"
                    ),
                    InboundMessage(provider_id=f"{label}-{b}-{i}", body="Een vraag"),
                )
                for i in range(BATCH)
            ]
            if blocked_every:  # these citizens are known and blocked before they write
                for i in range(0, BATCH, blocked_every):
                    party = Party.objects.create(organisation=org)
                    DigitalAddress.objects.create(
                        organisation=org, party=party, kind="email",
                        value=f"{label}{b}-{i}@example.nl",
                    )  # fmt: skip
                    Block.objects.create(
                        organisation=org, party=party, state=BlockState.ACTIVE, reason="x",
                        requested_by=agent, requested_at=now, decided_by=agent, decided_at=now,
                    )  # fmt: skip
            started = time.perf_counter()
            with transaction.atomic():
                do_receive_messages(channel, items)
            spent.append((time.perf_counter() - started) * 1000)
        print(f"{vendor:10} receive {statistics.median(spent):6.1f} ms median a batch of "
              f"{BATCH} ({label})", flush=True)  # fmt: skip

    run("none-blocked", 0)
    run("8-of-64-blocked", BATCH // 8)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=30)
    return main_on_both(parser, "conduct", "bench_conduct", lambda a: child(a.blocks, a.batches))


if __name__ == "__main__":
    sys.exit(main())
