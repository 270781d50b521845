"""Carry DRF's plaintext tokens (``authtoken_token``) over as digests, then drop the plain table.

Clients keep their tokens: the digest of an old key matches it. ``rest_framework.authtoken``
is no longer installed, so the old table is read with SQL when it exists; its migration records
are removed too, so installing that app again would create a fresh, empty table.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

PLAIN_TABLE = "authtoken_token"


def _aware(value: Any) -> datetime | None:
    when = parse_datetime(value) if isinstance(value, str) else value
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    return when


def hash_plain_tokens(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("api", "ApiToken")
    quote = schema_editor.quote_name
    with connection.cursor() as cursor:
        # Only quoted constants in the SQL.
        cursor.execute(f"SELECT {quote('key')}, user_id, created FROM {quote(PLAIN_TABLE)}")  # noqa: S608
        rows = cursor.fetchall()
    created = ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            digest=hashlib.sha256(key.encode("utf-8")).hexdigest(),
            prefix=key[:8],
            name="authtoken",
        )
        for key, user_id, _created in rows
    )
    # auto_now_add set the creation time to now: keep the old one.
    for token, (_key, _user_id, when) in zip(created, rows, strict=True):
        if _aware(when) is not None:
            ApiToken.objects.filter(digest=token.digest).update(created_at=_aware(when))
    schema_editor.execute(f"DROP TABLE {quote(PLAIN_TABLE)}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop, elidable=True),
    ]
