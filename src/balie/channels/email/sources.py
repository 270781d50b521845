"""Reading mail from files for ``balie email import``: .eml files, Maildir folders and mbox
files, in the order given (a plain folder: its files by name)."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from balie.channels.email.intake import RawMail


class SourceError(Exception):
    """A path that is no mail source (missing, unreadable)."""


def check_paths(paths: list[str]) -> list[Path]:
    """Every path exists; else one error naming the missing ones (nothing is read then)."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise SourceError(f"no such file or folder: {', '.join(missing)}")
    return [Path(p) for p in paths]


def read_paths(paths: list[Path]) -> Iterator[RawMail]:
    """The raw messages of each path, path by path."""
    for path in paths:
        yield from read_path(path)


def read_path(path: Path) -> Iterator[RawMail]:
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                with box.get_file(key) as handle:
                    yield RawMail(handle.read(), f"{path}/{key}")
            return
        for child in sorted(path.iterdir()):
            if child.is_file() or child.is_dir():
                yield from read_path(child)
        return
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        for n, message in enumerate(mailbox.mbox(path, create=False)):
            yield RawMail(message.as_bytes(), f"{path}#{n}")
        return
    yield RawMail(path.read_bytes(), str(path))
