"""Search by conversation on PostgreSQL: one search document per conversation (ADR 0009).

``conversations_search_document`` holds, per conversation, the set of words of all its messages
(``strip(to_tsvector('simple', balie_search_text(body)))``, no positions) under a GIN index. A
search then looks at 10,000 conversations instead of 500,000 messages. The table belongs to the
database like an index: statement triggers on ``conversations_message`` keep it in step with
every writer (ORM, batch SQL, COPY), so no Django model or action knows about it:

* insert: the new messages' words merged into their conversations' documents (one upsert per
  statement; a document is only rewritten when the messages brought a word it lacked);
* update of a body or of a message's conversation, delete: the documents of the conversations
  touched are rebuilt from their messages (a masked or erased word is no longer found);
* truncate (the test runner's flush): emptied too.

No foreign key: a table Django does not know must not stop ``TRUNCATE`` of the conversations.
The message-level expression index of 0005 goes; the party names' index stays. SQLite keeps its
FTS5 tables (``balie.conversations.search`` asks them word by word).
"""

from django.db import migrations

#: the words of a group of messages (S608 below: SQL from this module's constants, never input)
WORDS = "strip(to_tsvector('simple'::regconfig, string_agg(balie_search_text(body), ' ')))"

POSTGRES_UP = [
    """
    CREATE TABLE conversations_search_document (
        conversation_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    )
    """,
    "CREATE INDEX conversations_search_document_gin ON conversations_search_document"
    " USING gin (document)",
    # the documents of conversations ``ids``, rebuilt from their messages (none: no document)
    f"""
    CREATE FUNCTION balie_search_rebuild(ids bigint[]) RETURNS void
    LANGUAGE sql VOLATILE AS $$
        DELETE FROM conversations_search_document WHERE conversation_id = ANY(ids);
        INSERT INTO conversations_search_document (conversation_id, document)
        SELECT conversation_id, {WORDS} FROM conversations_message
        WHERE conversation_id = ANY(ids) GROUP BY conversation_id ORDER BY conversation_id;
    $$
    """,  # noqa: S608
    # ORDER BY: concurrent batches lock documents in the same order (no deadlock)
    f"""
    CREATE FUNCTION balie_search_added() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO conversations_search_document AS d (conversation_id, document)
        SELECT conversation_id, {WORDS} FROM balie_added
        GROUP BY conversation_id ORDER BY conversation_id
        ON CONFLICT (conversation_id) DO UPDATE SET document = d.document || EXCLUDED.document
        WHERE length(d.document || EXCLUDED.document) > length(d.document);
        RETURN NULL;
    END $$
    """,  # noqa: S608
    """
    CREATE FUNCTION balie_search_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM balie_search_rebuild(ARRAY(
            SELECT o.conversation_id FROM balie_before o JOIN balie_after n ON n.id = o.id
            WHERE n.body IS DISTINCT FROM o.body OR n.conversation_id <> o.conversation_id
            UNION
            SELECT n.conversation_id FROM balie_before o JOIN balie_after n ON n.id = o.id
            WHERE n.conversation_id <> o.conversation_id
        ));
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION balie_search_removed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM balie_search_rebuild(ARRAY(SELECT DISTINCT conversation_id FROM balie_removed));
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION balie_search_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE conversations_search_document;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER balie_search_ai AFTER INSERT ON conversations_message"
    " REFERENCING NEW TABLE AS balie_added FOR EACH STATEMENT"
    " EXECUTE FUNCTION balie_search_added()",
    "CREATE TRIGGER balie_search_au AFTER UPDATE ON conversations_message"
    " REFERENCING OLD TABLE AS balie_before NEW TABLE AS balie_after FOR EACH STATEMENT"
    " EXECUTE FUNCTION balie_search_changed()",
    "CREATE TRIGGER balie_search_ad AFTER DELETE ON conversations_message"
    " REFERENCING OLD TABLE AS balie_removed FOR EACH STATEMENT"
    " EXECUTE FUNCTION balie_search_removed()",
    "CREATE TRIGGER balie_search_at AFTER TRUNCATE ON conversations_message"
    " FOR EACH STATEMENT EXECUTE FUNCTION balie_search_truncated()",
    # the messages already there
    f"""
    INSERT INTO conversations_search_document (conversation_id, document)
    SELECT conversation_id, {WORDS} FROM conversations_message GROUP BY conversation_id
    """,  # noqa: S608
    "DROP INDEX IF EXISTS conversations_message_fts",
]
POSTGRES_DOWN = [
    "CREATE INDEX IF NOT EXISTS conversations_message_fts ON conversations_message"
    " USING gin (to_tsvector('simple'::regconfig, balie_search_text(body)))",
    *(
        f"DROP TRIGGER IF EXISTS balie_search_{t} ON conversations_message"
        for t in ("ai", "au", "ad", "at")
    ),
    *(
        f"DROP FUNCTION IF EXISTS balie_search_{f}()"
        for f in ("added", "changed", "removed", "truncated")
    ),
    "DROP FUNCTION IF EXISTS balie_search_rebuild(bigint[])",
    "DROP TABLE IF EXISTS conversations_search_document",
]


def _run(statements):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0006_message_timeline_index")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN), elidable=False)]
