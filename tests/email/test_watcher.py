"""IMAP watchers inside the worker, against a real Dovecot: ``balie worker`` picks up mail
appended to the mailbox within seconds (IDLE) and stops cleanly on SIGTERM; the watcher
threads follow the channels, one process per mailbox (the lease), polling where the server
has no IDLE."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from balie.channels.email.imap import MailboxLease, mailboxes, poll_all, watch
from balie.channels.email.models import MailboxCursor
from balie.channels.email.samples import build
from balie.channels.email.watcher import MailWatcher
from balie.conversations.models import Message
from tests import factories
from tests.email.dovecot import DOVECOT, PASSWORD, Dovecot

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _wait(check: Callable[[], object], what: str, within: float = 10.0) -> float:
    """Seconds until ``check()`` is true; AssertionError after ``within``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} within {within} s")


def _stored(message_id: str) -> Callable[[], bool]:
    return lambda: Message.objects.filter(provider_id=message_id).exists()


def _leased() -> bool:
    return MailboxCursor.objects.filter(watched_by__gt="").exists()


@pytest.fixture
def watcher() -> Iterator[MailWatcher]:
    """A MailWatcher looking at the channels every half second, stopped afterwards."""
    running = MailWatcher(refresh=0.5).start()
    yield running
    running.stop()


def test_balie_worker_watches_the_mailbox_and_stops_cleanly(imap_channel, dovecot):
    """`balie worker` holds the mailbox's lease, stores an appended mail within 5 s by IDLE,
    and on SIGTERM leaves IDLE, gives the lease back and exits 0."""
    env = {
        **os.environ,
        "BALIE_SQLITE_PATH": str(connection.settings_dict["NAME"]),
        "BALIE_DATA_DIR": str(settings.DATA_DIR),
        "BALIE_WORKER_NICE": "0",
    }
    if connection.vendor != "sqlite":
        pytest.skip("the worker process reads the SQLite test database")
    worker = subprocess.Popen(
        [sys.executable, "-m", "balie", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(_leased, "the worker did not claim the mailbox", within=30)
        time.sleep(0.5)  # its first poll done, IDLE under way
        dovecot.append(build(message_id="<worker1@b.example>"))
        assert _wait(_stored("<worker1@b.example>"), "the mail did not arrive") < 5
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    cursor = MailboxCursor.objects.get(channel=imap_channel)
    assert (cursor.watched_by, cursor.watched_until) == ("", None)


def test_watchers_follow_the_channels_and_hold_the_mailbox(imap_channel, dovecot, watcher):
    """A watcher starts for the channel and delivers within 5 s; meanwhile another process
    cannot claim the mailbox and the periodic poll leaves it alone; a deactivated channel's
    watcher stops and gives the mailbox back."""
    _wait(lambda: watcher.watching == [(imap_channel.pk, "INBOX")], "no watcher started")
    _wait(_leased, "the watcher did not claim the mailbox")
    time.sleep(0.5)
    dovecot.append(build(message_id="<w1@b.example>"))
    assert _wait(_stored("<w1@b.example>"), "the mail did not arrive") < 5
    other = MailboxLease(imap_channel, "INBOX", owner="elsewhere:1:1")
    assert not other.claim()
    assert poll_all() == 0
    imap_channel.is_active = False
    imap_channel.save()
    _wait(lambda: watcher.watching == [], "the watcher did not stop")
    _wait(lambda: not _leased(), "the lease was not given back")
    assert other.claim()


def test_a_changed_channel_restarts_its_watcher(imap_channel, dovecot, watcher):
    """New settings (here: another mailbox) stop the old watcher and start one for them."""
    _wait(lambda: watcher.watching == [(imap_channel.pk, "INBOX")], "no watcher started")
    dovecot.client().create_folder("Postbus")
    imap_channel.settings["imap_mailboxes"] = ["Postbus"]
    imap_channel.save()
    _wait(lambda: watcher.watching == [(imap_channel.pk, "Postbus")], "no new watcher")
    time.sleep(0.5)
    dovecot.append(build(message_id="<pb1@b.example>"), "Postbus")
    _wait(_stored("<pb1@b.example>"), "the mail did not arrive")


@pytest.fixture
def no_idle_dovecot() -> Iterator[Dovecot]:
    """A Dovecot that does not offer IDLE (its CAPABILITY list without it)."""
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: run scripts/ensure-dovecot.sh (as root)")
    server = Dovecot(extra="imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS")
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


def test_a_server_without_idle_is_polled(organisation, no_idle_dovecot):
    """Without IDLE the watcher polls every poll_seconds: the mail still arrives in seconds."""
    client = no_idle_dovecot.client()
    assert b"IDLE" not in client.capabilities()
    client.logout()
    channel = factories.ChannelFactory(
        organisation=organisation, key="noidle", kind="email",
        settings={"address": "balie@gemeente.example", **no_idle_dovecot.settings,
                  "poll_seconds": 1},
        secrets={"imap_password": PASSWORD},
    )  # fmt: skip
    polls: list[int] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(channel, mailboxes(channel)[0], stop),
        kwargs={"on_poll": lambda counts: polls.append(counts.read)},
    )
    thread.start()
    try:
        _wait(lambda: len(polls) >= 2, "the watcher did not poll twice")
        no_idle_dovecot.append(build(message_id="<np1@b.example>"))
        assert _wait(_stored("<np1@b.example>"), "the mail did not arrive") < 5
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
