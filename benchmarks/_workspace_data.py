"""Data set-up for benchmarks/workspace.py (not a benchmark itself): the organisation, agents,
parties, open conversations and messages, loaded with PostgreSQL's COPY."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

APP_SECRET = "bench-app-secret"  # noqa: S105 (a benchmark fixture, not a credential)
AGENTS, LONG = 200, 500
WORDS = (  # noqa: SIM905 - a line of words reads better than 40 quoted strings
    "graag vraag afspraak gemeente formulier aanvraag week morgen adres verhuizing "
    "bijstand toeslag afval container parkeren vergunning rijbewijs uittreksel belasting "
    "aanslag bezwaar termijn betaling rekening brief website inloggen digid wachtwoord "
    "openingstijden balie loket geboorte huwelijk overlijden zorg wmo hulp ondersteuning "
    "scootmobiel"
).split()


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


def load(conversations_count: int, messages_count: int) -> dict[str, Any]:
    """Organisation, channels, topics, agents (ORM); ``conversations_count`` parties, addresses
    and open conversations and ``messages_count`` messages (COPY). Returns the ids the
    measurements need."""
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
        Agent(  # bulk_create skips save(), which keeps role and is_supervisor in step
            organisation=org,
            user=u,
            display_name=f"Medewerker {i}",
            role="supervisor" if i == 0 else "agent",
            is_supervisor=i == 0,
        )
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
                for i in range(conversations_count)
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
            for n in range(messages_count):
                conv, channel = conversations[0 if n < LONG else 1 + n % (conversations_count - 1)]
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
