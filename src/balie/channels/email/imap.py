"""IMAP intake with imapclient: IDLE where the server offers it, polling otherwise.

Each mailbox has a cursor (:class:`MailboxCursor`): the last UID read under the mailbox's
UIDVALIDITY, written in the same transaction as the messages it covers, so a crash re-reads
at most one batch (and the Message-ID dedupe makes that harmless). A changed UIDVALIDITY
means the UIDs mean something else now: the mailbox is read again from the start, again
without duplicates. The mailbox is opened read-only; Balie never changes the citizen's
mail on the server.

One watcher per mailbox across all processes: a watcher holds a lease on the mailbox's
cursor row (:class:`MailboxLease`, renewed every 30 s, lapsing after 90 s), so the worker
of every ``balie serve``/``balie worker`` may start watchers (:mod:`.watcher`) and only one
reads each mailbox; the periodic poll skips leased mailboxes and takes over when a lease
lapses (a process that died).

Channel settings: ``imap_host``, ``imap_port`` (993), ``imap_security`` (``ssl``,
``starttls`` or ``none``; ``none`` only for loopback tests), ``imap_username``,
``imap_mailboxes`` (default ``["INBOX"]``), ``poll_seconds`` (60, when the server has no
IDLE); secret ``imap_password``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from balie.channels.email.intake import Counts, RawMail, ingest_batch
from balie.channels.email.models import MailboxCursor
from balie.channels.models import Channel
from balie.core import clock

log = structlog.get_logger(__name__)

#: IDLE is re-issued before 29 minutes (RFC 2177); we renew it every 25
IDLE_RENEW = 25 * 60
#: how long one idle_check waits, so a stop request is seen within a second
IDLE_CHECK = 1.0
#: messages fetched per round trip (and stored per transaction)
FETCH_BATCH = 50
#: bytes fetched per round trip at most (a 25 MB attachment goes alone)
FETCH_BYTES = 20 * 1024 * 1024
BACKOFF_MAX = 60.0
#: a watcher's lease on its mailbox: renewed this often, lapsing after LEASE_SECONDS
LEASE_RENEW = 30.0
LEASE_SECONDS = 90.0
NETWORK_ERRORS = (IMAPClientError, OSError, socket.error, EOFError, ssl.SSLError)


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    security: str
    username: str
    password: str
    mailbox: str
    poll_seconds: float


def mailboxes(channel: Channel) -> list[MailboxConfig]:
    """The IMAP mailboxes a channel reads ([] when it has no IMAP host)."""
    conf = channel.settings
    host = str(conf.get("imap_host", ""))
    if not host:
        return []
    security = str(conf.get("imap_security", "ssl"))
    names = conf.get("imap_mailboxes") or ["INBOX"]
    return [
        MailboxConfig(
            host=host,
            port=int(conf.get("imap_port", 993 if security == "ssl" else 143)),
            security=security,
            username=str(conf.get("imap_username", "")),
            password=str(channel.secrets.get("imap_password", "")),
            mailbox=str(name),
            poll_seconds=float(conf.get("poll_seconds", 60)),
        )
        for name in names
    ]


def connect(config: MailboxConfig) -> IMAPClient:
    """A logged-in client (TLS unless the configuration says ``none``)."""
    context = ssl.create_default_context()
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.security == "ssl",
        ssl_context=context,
        timeout=60,
    )
    if config.security == "starttls":
        client.starttls(context)
    client.login(config.username, config.password)
    return client


def poll_mailbox(channel: Channel, client: IMAPClient, mailbox: str) -> Counts:
    """Store what is new in one mailbox since its cursor; return the counts."""
    info = client.select_folder(mailbox, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    cursor, _ = MailboxCursor.objects.get_or_create(channel=channel, mailbox=mailbox)
    if cursor.uidvalidity != uidvalidity:
        if cursor.uidvalidity:
            log.warning(
                "email_uidvalidity_changed", channel_id=channel.pk, mailbox=mailbox, was=cursor
            )
        cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
    start = cursor.last_uid + 1
    uids = sorted(u for u in client.search(["UID", f"{start}:*"]) if u >= start)
    total = Counts()
    if not uids:
        if cursor.pk and cursor.uidvalidity == uidvalidity:
            MailboxCursor.objects.filter(pk=cursor.pk).update(uidvalidity=uidvalidity)
        return total
    sizes = {
        uid: int(d.get(b"RFC822.SIZE", 0)) for uid, d in client.fetch(uids, ["RFC822.SIZE"]).items()
    }
    for chunk in _chunks(uids, sizes):
        data = client.fetch(chunk, ["BODY.PEEK[]"])
        mails = [
            RawMail(bytes(data[uid][b"BODY[]"]), f"imap:{mailbox}/{uid}")
            for uid in chunk
            if uid in data and b"BODY[]" in data[uid]
        ]
        with transaction.atomic():
            total.add(ingest_batch(channel, mails))
            MailboxCursor.objects.filter(pk=cursor.pk).update(
                uidvalidity=uidvalidity, last_uid=max(chunk)
            )
    return total


def _chunks(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    chunks: list[list[int]] = [[]]
    weight = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if chunks[-1] and (len(chunks[-1]) >= FETCH_BATCH or weight + size > FETCH_BYTES):
            chunks.append([])
            weight = 0
        chunks[-1].append(uid)
        weight += size
    return [c for c in chunks if c]


def poll_once(channel: Channel, *, skip_leased: bool = False) -> Counts:
    """Read every mailbox of a channel once (``balie manage email_poll``); with
    ``skip_leased`` the mailboxes a live watcher holds are left to it."""
    total = Counts()
    busy = leased(channel) if skip_leased else set()
    for config in mailboxes(channel):
        if config.mailbox in busy:
            continue
        client = connect(config)
        try:
            total.add(poll_mailbox(channel, client, config.mailbox))
        finally:
            _logout(client)
    return total


def _logout(client: IMAPClient) -> None:
    with contextlib.suppress(*NETWORK_ERRORS):  # the connection may be gone already
        client.logout()


class LeaseLost(Exception):
    """Another watcher holds the mailbox now (ours lapsed while this one was stuck)."""


class MailboxLease:
    """The right to watch one mailbox, held in its cursor row (``watched_by`` until
    ``watched_until``): claimed when free, lapsed or already ours; renewed; released."""

    def __init__(self, channel: Channel, mailbox: str, owner: str = "") -> None:
        self.channel = channel
        self.mailbox = mailbox
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.renewed = 0.0

    def _rows(self) -> Any:
        return MailboxCursor.objects.filter(channel=self.channel, mailbox=self.mailbox)

    def claim(self) -> bool:
        """Take the lease if nobody else holds a live one; True when it is ours now."""
        MailboxCursor.objects.get_or_create(channel=self.channel, mailbox=self.mailbox)
        now = clock.now()
        taken = (
            self._rows()
            .filter(
                Q(watched_until__isnull=True) | Q(watched_until__lt=now) | Q(watched_by=self.owner)
            )
            .update(watched_by=self.owner, watched_until=now + timedelta(seconds=LEASE_SECONDS))
        )
        self.renewed = time.monotonic()
        return bool(taken)

    def renew(self, *, force: bool = False) -> None:
        """Extend the lease (every LEASE_RENEW seconds, or now with ``force``); LeaseLost
        when another watcher holds it."""
        if not force and time.monotonic() - self.renewed < LEASE_RENEW:
            return
        kept = (
            self._rows()
            .filter(watched_by=self.owner)
            .update(watched_until=clock.now() + timedelta(seconds=LEASE_SECONDS))
        )
        self.renewed = time.monotonic()
        close_old_connections()
        if not kept:
            raise LeaseLost(self.mailbox)

    def release(self) -> None:
        """Give the mailbox back (the periodic poll reads it until a watcher claims it)."""
        self._rows().filter(watched_by=self.owner).update(watched_by="", watched_until=None)


def leased(channel: Channel) -> set[str]:
    """The channel's mailboxes that a live watcher holds."""
    return set(
        MailboxCursor.objects.filter(channel=channel, watched_until__gte=clock.now()).values_list(
            "mailbox", flat=True
        )
    )


def watch(
    channel: Channel,
    config: MailboxConfig,
    stop: threading.Event,
    *,
    on_poll: Callable[[Counts], Any] | None = None,
    owner: str = "",
) -> None:
    """Keep one mailbox read until ``stop``: a poll, then IDLE (or sleep) until the server
    says something changed; reconnect with a growing backoff when the connection drops.
    Only while holding the mailbox's lease: when another process's watcher has it, wait and
    try again (it takes over when that one stops or dies)."""
    lease = MailboxLease(channel, config.mailbox, owner)
    try:
        _watch(channel, config, stop, on_poll, lease)
    finally:
        with contextlib.suppress(Exception):  # the database may be gone at shutdown
            lease.release()
        connection.close()  # this thread's own database connection


def _watch(
    channel: Channel,
    config: MailboxConfig,
    stop: threading.Event,
    on_poll: Callable[[Counts], Any] | None,
    lease: MailboxLease,
) -> None:
    backoff = 1.0
    while not stop.is_set():
        client: IMAPClient | None = None
        try:
            if not lease.claim():
                log.debug("email_mailbox_watched_elsewhere", channel_id=channel.pk)
                stop.wait(LEASE_RENEW)
                continue
            client = connect(config)
            backoff = 1.0
            _serve(channel, client, config, stop, on_poll, lease)
        except LeaseLost:
            log.warning("email_lease_lost", channel_id=channel.pk, mailbox=config.mailbox)
        except NETWORK_ERRORS as exc:
            log.warning(
                "email_imap_disconnected",
                channel_id=channel.pk,
                mailbox=config.mailbox,
                error=f"{type(exc).__name__}: {exc}",
                retry_in=backoff,
            )
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)
        except Exception:  # a database hiccup or a bug: log, wait, try again (never die)
            log.exception("email_watch_failed", channel_id=channel.pk, mailbox=config.mailbox)
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)
        finally:
            if client is not None:
                _logout(client)
            close_old_connections()


def _serve(
    channel: Channel,
    client: IMAPClient,
    config: MailboxConfig,
    stop: threading.Event,
    on_poll: Callable[[Counts], Any] | None,
    lease: MailboxLease,
) -> None:
    idle = b"IDLE" in client.capabilities()
    while not stop.is_set():
        lease.renew(force=True)
        counts = poll_mailbox(channel, client, config.mailbox)
        if on_poll is not None:
            on_poll(counts)
        close_old_connections()
        if not idle:  # the server has no IDLE: poll every poll_seconds, keeping the lease
            until = time.monotonic() + config.poll_seconds
            while not stop.is_set() and time.monotonic() < until:
                stop.wait(min(IDLE_CHECK * 5, max(0.0, until - time.monotonic())))
                lease.renew()
            continue
        client.idle()
        started = time.monotonic()
        try:
            while not stop.is_set() and time.monotonic() - started < IDLE_RENEW:
                responses = client.idle_check(timeout=IDLE_CHECK)
                if any(_changes(r) for r in responses):
                    break
                lease.renew()
        finally:
            client.idle_done()


def _changes(response: Any) -> bool:
    """An untagged EXISTS (new mail) or a BYE (the server is going away)."""
    if isinstance(response, tuple) and len(response) >= 2:
        return response[1] in {b"EXISTS", b"RECENT"}
    return isinstance(response, bytes) and response.startswith(b"BYE")


def watch_all(channels: list[Channel], stop: threading.Event) -> list[threading.Thread]:
    """A thread per mailbox of the channels, each running :func:`watch`."""
    threads = []
    for channel in channels:
        for config in mailboxes(channel):
            thread = threading.Thread(
                target=watch,
                args=(channel, config, stop),
                name=f"balie-imap-{channel.key}-{config.mailbox}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
    return threads


def poll_all() -> int:
    """Periodic job: poll the mailboxes of every active e-mail channel that no watcher holds
    (a live lease) and that has no ``email_idle`` worker declared (``imap_idle``); one
    failing server does not stop the rest. Returns the messages read."""
    from balie.channels.models import ChannelKind

    read = 0
    for channel in Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True):
        if not mailboxes(channel) or channel.settings.get("imap_idle"):
            continue
        try:
            read += poll_once(channel, skip_leased=True).read
        except NETWORK_ERRORS as exc:
            log.warning("email_poll_failed", channel_id=channel.pk, error=str(exc)[:200])
    return read
