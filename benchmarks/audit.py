"""The audit trail's hash chain and the retention job, on SQLite and PostgreSQL.

Run standalone: ``.venv/bin/python benchmarks/audit.py [--entries N] [--contacts N]``.

For each database (a temporary SQLite file; a dedicated ``bench_audit`` database on
``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``, created and dropped):

1. append ``--entries`` audit entries one by one, each in its own transaction (entries/s);
   on PostgreSQL also with 4 threads at once (the head row queues them);
2. verify the whole chain (entries/s);
3. the retention job over ``--contacts`` resolved contacts past their term, 10 messages and a
   klantcontact each, every party in one contact only (contacts/s, queries per batch of 500).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from typing import Any

from _databases import main_on_both, migrated_django


def child(entries: int, contacts: int) -> None:
    """Measure in this process against the database the environment names."""
    vendor = migrated_django()
    import threading

    from django.db import connection, transaction

    from balie.audit import trail
    from balie.audit.verify import verify
    from balie.organisations.models import Organisation

    org = Organisation.objects.create(slug="bench", name="Bench")
    started = time.perf_counter()
    for _ in range(entries):
        trail.record(request=None, action="view_party", obj=org, detail={"n": 1})
    append = entries / (time.perf_counter() - started)
    line = f"{vendor:10} append {append:8,.0f} entries/s (one by one)"
    if vendor == "postgresql":

        def work() -> None:
            for _ in range(entries // 4):
                with transaction.atomic():
                    trail.record(request=None, action="view_party", obj=org)
            connection.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        line += f", {entries / (time.perf_counter() - started):,.0f} with 4 threads"
    print(line, flush=True)
    started = time.perf_counter()
    verdict = verify()
    elapsed = time.perf_counter() - started
    assert verdict.ok, verdict
    print(f"{vendor:10} verify {verdict.checked / elapsed:8,.0f} entries/s "
          f"({verdict.checked:,} entries in {elapsed:.2f} s)", flush=True)  # fmt: skip

    _retention(org, contacts)


def _retention(org: Any, contacts: int) -> None:
    """The retention job over ``contacts`` expired contacts; prints contacts/s."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.channels.models import Channel
    from balie.conversations.models import Conversation, Klantcontact, Message
    from balie.core import clock
    from balie.parties.models import Party
    from balie.privacy.retention import job

    vendor = connection.vendor
    channel = Channel.objects.create(organisation=org, kind="email", key="bench", name="Bench")
    old = clock.now() - timedelta(days=400)
    parties = Party.objects.bulk_create(
        Party(organisation=org, display_name=f"Burger {i}") for i in range(contacts)
    )
    conversations = Conversation.objects.bulk_create(
        Conversation(organisation=org, channel=channel, party=p, status="resolved") for p in parties
    )
    Conversation.objects.update(resolved_at=old, updated_at=old)
    Message.objects.bulk_create(
        Message(conversation=c, channel=channel, direction="inbound", body="Vraag " * 20)
        for c in conversations
        for _ in range(10)
    )
    Klantcontact.objects.bulk_create(
        Klantcontact(organisation=org, conversation=c, party=c.party, kanaal="email",
                     onderwerp="Vraag", inhoud="Inhoud", taal="dut", plaatsgevonden_op=old)
        for c in conversations
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = job.apply_retention(org)
        elapsed = time.perf_counter() - started
    assert outcome.totals()["conversations"] == contacts, outcome.totals()
    batches = -(-contacts // job.BATCH)
    print(f"{vendor:10} retention {contacts / elapsed:8,.0f} contacts/s ({contacts:,} contacts, "
          f"{contacts * 10:,} messages in {elapsed:.2f} s; {len(queries)} queries, "
          f"{len(queries) / batches:.0f} a batch of {job.BATCH})", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--contacts", type=int, default=5000)
    return main_on_both(parser, "audit", "bench_audit", lambda a: child(a.entries, a.contacts))


if __name__ == "__main__":
    sys.exit(main())
