"""Fixtures of the e-mail tests: an e-mail channel and running ``balie email import``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from balie.cli import main
from tests import factories
from tests.email.dovecot import DOVECOT, PASSWORD, Dovecot


@pytest.fixture
def mail_channel(organisation):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(
        organisation=organisation,
        key="post",
        kind="email",
        name="Postbus",
        settings={"address": "balie@gemeente.example", "domain": "gemeente.example"},
        secrets={},
    )


@pytest.fixture
def import_mail(
    mail_channel: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., dict[str, Any]]:
    """Write raw messages to .eml files and run ``balie email import`` on them; its JSON."""
    counter = iter(range(1_000_000))

    def run(*raws: bytes, paths: list[str] | None = None) -> dict[str, Any]:
        files = []
        for raw in raws:
            path = tmp_path / f"{next(counter):05d}.eml"
            path.write_bytes(raw)
            files.append(str(path))
        capsys.readouterr()
        assert main(["email", "import", *(paths or files), "--channel", "post"]) == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # type: ignore[no-any-return]

    return run


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot on a free loopback port, stopped and removed afterwards."""
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: run scripts/ensure-dovecot.sh (as root)")
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def imap_channel(organisation, dovecot):  # type: ignore[no-untyped-def]
    """An e-mail channel reading the private Dovecot's INBOX."""
    return factories.ChannelFactory(
        organisation=organisation,
        key="imap",
        kind="email",
        name="Postbus IMAP",
        settings={"address": "balie@gemeente.example", **dovecot.settings, "poll_seconds": 1},
        secrets={"imap_password": PASSWORD},
    )
