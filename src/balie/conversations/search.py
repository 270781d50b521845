"""Full-text search over conversations: their messages and their party's name and numbers.

One entry point, :func:`search_conversations`, narrows a queryset the caller already scoped
(``access.visible_conversations``), so search can never show more than the role may see.
A conversation matches when every word occurs in it: in its messages (not necessarily the same
one) or in its party's name. ADRs 0007 and 0009 record the choices; in short:

* **PostgreSQL**: one search document per conversation, the words of all its messages
  (``conversations_search_document``, kept by triggers, migration ``0007``), under a GIN index,
  and a GIN expression index over party names (``0005``). Both fold text with
  ``balie_search_text``, an immutable SQL function: lower case, diacritics folded with
  ``translate`` (no extension needed), every run of non-alphanumerics a space, so PostgreSQL's
  parser sees plain words like FTS5 does.
* **SQLite**: external-content FTS5 tables (``unicode61 remove_diacritics 2``) over message
  bodies and party names, kept in step by triggers (``0005``); each word is looked up on its
  own and the conversations intersected.

The user's words never reach the SQL as syntax: the query is cut into alphanumeric tokens here,
each one quoted (FTS5 ``"tok"*``) or written as a lexeme (``'tok':*``) and passed as a
parameter, so ``"``, ``*``, ``NEAR(``, ``-`` or ``'`` only ever separate words. Every token
matches as a prefix (partial words), all tokens must match (AND). A query that looks like a
phone number also matches the party's digital addresses by its last nine digits, so
``06-12345678``, ``+31 6 1234 5678`` and ``0031612345678`` find the same citizen.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

from balie.conversations.models import Conversation, Message
from balie.parties.models import DigitalAddress, Party

#: characters folded to their plain letter; the migration's ``balie_search_text`` holds a copy
FOLD_FROM = "àáâãäåāăąçćčďèéêëēęěğìíîïıīłñńňòóôõöøōőřśşšťùúûüůűūýÿźżž"
FOLD_TO = "aaaaaaaaacccdeeeeeeegiiiiiilnnnoooooooorssstuuuuuuuyyzzz"
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)
#: at most this many words from one query (a pasted paragraph stays a cheap query)
MAX_TOKENS = 8
#: phone numbers compare on their last nine digits (a Dutch number without 0 / +31 / 0031)
PHONE_DIGITS = 9
_TOKEN = re.compile(r"[^\W_]+")
_PHONE = re.compile(r"^[\d\s+()./-]+$")

assert len(FOLD_FROM) == len(FOLD_TO), "FOLD_FROM and FOLD_TO pair one to one"


def fold(text: str) -> str:
    """``text`` as the index stores it: lower case, diacritics folded (``Één`` → ``een``)."""
    return text.lower().translate(_FOLD)


def tokens(query: str) -> list[str]:
    """The words of a user's query, folded: runs of letters and digits, nothing else."""
    return _TOKEN.findall(fold(query[:500]))[:MAX_TOKENS]


def phone_suffix(query: str) -> str | None:
    """The last digits to match addresses on, if ``query`` is a phone number (≥ 6 digits)."""
    if not _PHONE.match(query.strip()):
        return None
    digits = re.sub(r"\D", "", query)
    return digits[-PHONE_DIGITS:] if len(digits) >= 6 else None


class PgMatches(Lookup):
    """``column`` matches a ``to_tsquery`` string, written as the GIN expression index reads it
    (the column keeps the alias Django gives it, also inside subqueries)."""

    lookup_name = "balie_fts"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = (
            f"to_tsvector('simple'::regconfig, balie_search_text({lhs}))"
            f" @@ to_tsquery('simple'::regconfig, {rhs})"
        )
        return sql, [*lhs_params, *rhs_params]


def _pg_query(words: list[str]) -> str:
    # each word is [^\W_]+ after folding: no quote or operator can be inside it
    return " & ".join(f"'{w}':*" for w in words)


def _fts5_query(words: list[str]) -> str:
    return " ".join(f'"{w}"*' for w in words)


def _by_messages(words: list[str]) -> Q:
    """Conversations whose messages hold every word (each in any of them)."""
    if connection.vendor == "postgresql":
        documents = RawSQL(
            "SELECT conversation_id FROM conversations_search_document"
            " WHERE document @@ to_tsquery('simple'::regconfig, %s)",
            [_pg_query(words)],
        )
        return Q(pk__in=documents)
    condition = Q()
    for word in words:
        ids = RawSQL(
            "SELECT rowid FROM conversations_message_fts WHERE conversations_message_fts MATCH %s",
            [_fts5_query([word])],
        )
        condition &= Q(pk__in=Message.objects.filter(pk__in=ids).values("conversation_id"))
    return condition


def _matching_parties(words: list[str]) -> QuerySet[Party]:
    if connection.vendor == "postgresql":
        return Party.objects.filter(PgMatches(F("display_name"), _pg_query(words)))
    ids = RawSQL(
        "SELECT rowid FROM parties_party_fts WHERE parties_party_fts MATCH %s",
        [_fts5_query(words)],
    )
    return Party.objects.filter(pk__in=ids)


def search_conversations(qs: QuerySet[Conversation], query: str) -> QuerySet[Conversation]:
    """``qs`` narrowed to conversations whose messages or party (name, phone number) match
    every word of ``query`` as a prefix; ``qs`` unchanged when ``query`` has no words."""
    words = tokens(query)
    suffix = phone_suffix(query)
    if not words and not suffix:
        return qs
    condition = Q()
    if words:
        parties = _matching_parties(words).values("pk")
        condition = _by_messages(words) | Q(party_id__in=parties)
    if suffix:
        addresses = DigitalAddress.objects.filter(value__endswith=suffix).values("party_id")
        condition |= Q(party_id__in=addresses)
    return qs.filter(condition)
