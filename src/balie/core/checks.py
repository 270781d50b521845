"""System checks for what Balie needs from its environment beyond Django's own.

``manage.py check`` (and every management command that runs checks: ``migrate``, ``runserver``,
``balie serve``) reports them; an error stops the command with the message below.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

#: ``UPDATE … FROM`` (``balie.core.sql.update_statement``) arrived in SQLite 3.33.0
MIN_SQLITE = (3, 33, 0)


def check_sqlite_version(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """An error when a configured SQLite database runs on a library older than 3.33.

    The version is that of the ``sqlite3`` module Python links against, the library Django
    uses; PostgreSQL-only configurations are not affected.
    """
    return sqlite_version_errors(
        settings.DATABASES, sqlite3.sqlite_version_info, sqlite3.sqlite_version
    )


def sqlite_version_errors(
    databases: Mapping[str, Mapping[str, Any]], found: tuple[int, ...], label: str
) -> list[CheckMessage]:
    """:func:`check_sqlite_version` over given database settings and library version."""
    if not any(str(db.get("ENGINE", "")).endswith("sqlite3") for db in databases.values()):
        return []
    if tuple(found) >= MIN_SQLITE:
        return []
    need = ".".join(map(str, MIN_SQLITE[:2]))
    return [
        Error(
            f"SQLite {label} is too old: Balie needs SQLite {need} or newer "
            "(its batch writes use UPDATE … FROM).",
            hint=(
                "Use a Python built against a newer SQLite (python.org and distribution builds "
                "of Python 3.11 ship 3.37 or newer), or set DATABASE_URL to a PostgreSQL "
                "database."
            ),
            id="balie.E001",
        )
    ]
