"""IMAP intake with imapclient: IDLE where the server offers it, polling otherwise.

Each mailbox has a cursor (:class:`MailboxCursor`): the last UID read under the mailbox's
UIDVALIDITY, written in the same transaction as the messages it covers, so a crash re-reads
at most one batch (and the Message-ID dedupe makes that harmless). A changed UIDVALIDITY
means the UIDs mean something else now: the mailbox is read again from the start, again
without duplicates. The mailbox is opened read-only; Balie never changes the citizen's
mail on the server.

Channel settings: ``imap_host``, ``imap_port`` (993), ``imap_security`` (``ssl``,
``starttls`` or ``none``; ``none`` only for loopback tests), ``imap_username``,
``imap_mailboxes`` (default ``["INBOX"]``), ``poll_seconds`` (60, when the server has no
IDLE); secret ``imap_password``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from django.db import close_old_connections, connection, transaction
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from balie.channels.email.intake import Counts, RawMail, ingest_batch
from balie.channels.email.models import MailboxCursor
from balie.channels.models import Channel

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


def poll_once(channel: Channel) -> Counts:
    """Read every mailbox of a channel once (``balie manage email_poll``)."""
    total = Counts()
    for config in mailboxes(channel):
        client = connect(config)
        try:
            total.add(poll_mailbox(channel, client, config.mailbox))
        finally:
            _logout(client)
    return total


def _logout(client: IMAPClient) -> None:
    with contextlib.suppress(*NETWORK_ERRORS):  # the connection may be gone already
        client.logout()


def watch(
    channel: Channel,
    config: MailboxConfig,
    stop: threading.Event,
    *,
    on_poll: Callable[[Counts], Any] | None = None,
) -> None:
    """Keep one mailbox read until ``stop``: a poll, then IDLE (or sleep) until the server
    says something changed; reconnect with a growing backoff when the connection drops."""
    try:
        _watch(channel, config, stop, on_poll)
    finally:
        connection.close()  # this thread's own database connection


def _watch(
    channel: Channel,
    config: MailboxConfig,
    stop: threading.Event,
    on_poll: Callable[[Counts], Any] | None,
) -> None:
    backoff = 1.0
    while not stop.is_set():
        client: IMAPClient | None = None
        try:
            client = connect(config)
            backoff = 1.0
            _serve(channel, client, config, stop, on_poll)
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
) -> None:
    idle = b"IDLE" in client.capabilities()
    while not stop.is_set():
        counts = poll_mailbox(channel, client, config.mailbox)
        if on_poll is not None:
            on_poll(counts)
        close_old_connections()
        if not idle:
            stop.wait(config.poll_seconds)
            continue
        client.idle()
        started = time.monotonic()
        try:
            while not stop.is_set() and time.monotonic() - started < IDLE_RENEW:
                responses = client.idle_check(timeout=IDLE_CHECK)
                if any(_changes(r) for r in responses):
                    break
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
    """Periodic job: poll the mailboxes of every active e-mail channel that has no
    ``email_idle`` worker (``imap_idle`` unset); one failing server does not stop the rest.
    Returns the messages read."""
    from balie.channels.models import ChannelKind

    read = 0
    for channel in Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True):
        if not mailboxes(channel) or channel.settings.get("imap_idle"):
            continue
        try:
            read += poll_once(channel).read
        except NETWORK_ERRORS as exc:
            log.warning("email_poll_failed", channel_id=channel.pk, error=str(exc)[:200])
    return read
