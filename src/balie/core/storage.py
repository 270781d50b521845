"""Files that hold personal data are readable by their owner only, whatever the umask.

The SQLite database and its ``-wal``/``-shm`` companions are made 0600 each time a connection
opens (SQLite creates them with the process umask; WAL and SHM appear with the first write).
Attachments get 0600 files in 0700 directories through ``FILE_UPLOAD_PERMISSIONS`` and
``FILE_UPLOAD_DIRECTORY_PERMISSIONS`` (settings), which Django's file storage applies itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

OWNER_ONLY = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def restrict(path: Path, mode: int = OWNER_ONLY) -> None:
    """Set ``path`` to ``mode`` if it exists and differs; a file we do not own is left alone."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current != mode:
            os.chmod(path, mode)
    except (FileNotFoundError, PermissionError):
        pass


def sqlite_path(connection: Any) -> Path | None:
    """The file behind a SQLite connection; None for PostgreSQL and in-memory databases."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return Path(name)


def restrict_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: the SQLite database and its companions become 0600."""
    path = sqlite_path(connection)
    if path is None:
        return
    # SQLite gives a new -wal/-shm the database file's mode, so once the database is 0600
    # they are born 0600; the ones opened before that (by init_command) are fixed here.
    for suffix in SQLITE_COMPANIONS:
        restrict(path.with_name(path.name + suffix))
