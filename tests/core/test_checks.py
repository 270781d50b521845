"""System checks: the SQLite version that ``UPDATE … FROM`` needs."""

from __future__ import annotations

import sqlite3

import pytest
from django.core.checks import Tags, run_checks
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from balie.core.checks import MIN_SQLITE, check_sqlite_version, sqlite_version_errors

SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "balie"}}


def test_check_command_stops_on_sqlite_older_than_3_33(monkeypatch):
    """With SQLite 3.31.1 linked, ``check`` stops with balie.E001 naming both versions when
    the database is SQLite, and passes when it is PostgreSQL."""
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    if connection.vendor != "sqlite":
        call_command("check", "--tag", Tags.compatibility)
        return
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", Tags.compatibility)
    assert "balie.E001" in str(raised.value)
    assert "SQLite 3.31.1 is too old: Balie needs SQLite 3.33 or newer" in str(raised.value)


def test_sqlite_3_33_passes():
    """SQLite exactly 3.33.0 is enough; 3.32.3 is not."""
    assert sqlite_version_errors(SQLITE, MIN_SQLITE, "3.33.0") == []
    assert [e.id for e in sqlite_version_errors(SQLITE, (3, 32, 3), "3.32.3")] == ["balie.E001"]


def test_postgresql_only_ignores_the_sqlite_library():
    """Without an SQLite database an old SQLite library does not matter."""
    assert sqlite_version_errors(POSTGRES, (3, 7, 17), "3.7.17") == []


def test_the_check_is_registered_with_django():
    """The check runs among Django's compatibility checks, and passes on this machine."""
    assert check_sqlite_version in registry.get_checks()
    assert [m for m in run_checks(tags=[Tags.compatibility]) if m.id == "balie.E001"] == []
