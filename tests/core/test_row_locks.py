"""Row locks that let foreign keys through: every ``select_for_update`` takes ``no_key=True``.

PostgreSQL's ``FOR UPDATE`` conflicts with the ``FOR KEY SHARE`` lock an INSERT takes on the
row its foreign key points at, so a handler holding a conversation ``FOR UPDATE`` while the
ingest inserts a message into it (and holds the sender's party) deadlocks. Balie never changes
a primary key, so ``FOR NO KEY UPDATE`` is the lock it means everywhere. A lock that must stay
``FOR UPDATE`` (the row is deleted in the same transaction) says so with ``# key lock:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection, transaction

from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Message
from tests.helpers import receive

SRC = Path(__file__).resolve().parents[2] / "src" / "balie"


def _locks_without_no_key() -> list[str]:
    found = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "select_for_update" not in text:
            continue
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "select_for_update"
            ):
                continue
            no_key = any(
                k.arg == "no_key" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            window = " ".join(lines[max(0, node.lineno - 3) : node.lineno])
            if not no_key and "# key lock:" not in window:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_row_lock_lets_foreign_keys_through():
    """No ``select_for_update`` in src/ without ``no_key=True`` or a stated reason."""
    assert _locks_without_no_key() == []


@pytest.mark.django_db(transaction=True)
def test_a_locked_conversation_still_takes_new_messages(channel):
    """A transaction holding a conversation's lock does not block another inserting a
    message into it (on PostgreSQL a plain FOR UPDATE would: the FK check waits)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite locks the whole database")
    import threading

    conversation = receive(channel).message.conversation
    inserted = threading.Event()
    errors: list[BaseException] = []

    def insert() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                Message.objects.create(
                    conversation_id=conversation.pk, channel_id=channel.pk,
                    direction="inbound", body="hallo",
                )  # fmt: skip
            inserted.set()
        except BaseException as exc:  # reported by the assertions below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        lock_conversation(conversation.pk)
        thread = threading.Thread(target=insert)
        thread.start()
        thread.join(5)
    assert errors == []
    assert inserted.is_set()
