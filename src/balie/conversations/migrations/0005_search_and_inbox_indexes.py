"""Indexes for the inbox and full-text search (ADR 0007).

PostgreSQL: an immutable ``balie_search_text`` (lower case, diacritics folded, punctuation a
space) and GIN expression indexes over message bodies and party names. SQLite: external-content
FTS5 tables over the same columns, kept in step by triggers. The fold table is a frozen copy of
``balie.conversations.search.FOLD_FROM``/``FOLD_TO``.
"""

from django.db import migrations, models

FOLD_FROM = "àáâãäåāăąçćčďèéêëēęěğìíîïıīłñńňòóôõöøōőřśşšťùúûüůűūýÿźżž"
FOLD_TO = "aaaaaaaaacccdeeeeeeegiiiiiilnnnoooooooorssstuuuuuuuyyzzz"

POSTGRES_UP = [
    f"""
    CREATE OR REPLACE FUNCTION balie_search_text(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        SELECT regexp_replace(translate(lower($1), '{FOLD_FROM}', '{FOLD_TO}'),
                              '[^[:alnum:]]+', ' ', 'g')
    $$
    """,
    "CREATE INDEX conversations_message_fts ON conversations_message"
    " USING gin (to_tsvector('simple'::regconfig, balie_search_text(body)))",
    "CREATE INDEX parties_party_fts ON parties_party"
    " USING gin (to_tsvector('simple'::regconfig, balie_search_text(display_name)))",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS parties_party_fts",
    "DROP INDEX IF EXISTS conversations_message_fts",
    "DROP FUNCTION IF EXISTS balie_search_text(text)",
]


def _fts5(table: str, column: str) -> list[str]:
    """An external-content FTS5 table over ``table.column`` and the triggers keeping it
    (S608: table and column names are this module's constants, never input)."""
    fts, col = f"{table}_fts", column
    new_row = f"INSERT INTO {fts}(rowid, {col}) VALUES (new.id, new.{col});"  # noqa: S608
    old_row = f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.id, old.{col});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({col}, content='{table}',"
        f" content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"INSERT INTO {fts}(rowid, {col}) SELECT id, {col} FROM {table}",  # noqa: S608
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {new_row} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {old_row} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {col} ON {table} BEGIN {old_row} {new_row} END",
    ]


def _fts5_down(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


UP = {
    "postgresql": POSTGRES_UP,
    "sqlite": _fts5("conversations_message", "body") + _fts5("parties_party", "display_name"),
}
DOWN = {
    "postgresql": POSTGRES_DOWN,
    "sqlite": _fts5_down("conversations_message") + _fts5_down("parties_party"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_labels_changes_mentions"),
        ("parties", "0002_address_label"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["organisation", "status", "last_inbound_at"],
                name="conversatio_organis_5a44fb_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["conversation", "id"], name="conversatio_convers_ca4693_idx"
            ),
        ),
        migrations.RunPython(_run(UP), _run(DOWN), elidable=False),
    ]
