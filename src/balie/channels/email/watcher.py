"""IMAP watchers inside the worker: one thread per mailbox of every active e-mail channel.

``balie serve`` (with its in-process worker) and ``balie worker`` start a :class:`MailWatcher`
beside the task worker. It looks at the channels every ``refresh`` seconds: a thread per new
mailbox (:func:`balie.channels.email.imap.watch`: IDLE where the server offers it, polling
every ``poll_seconds`` where it does not, reconnecting with a backoff of 1 s doubling to
60 s), a thread stopped for a channel that was deactivated or changed (and started again
with the new settings). Each mailbox is watched by one process at a time (its lease), so
several workers can run this safely. :meth:`MailWatcher.stop` ends every thread within a
few seconds; IDLE is left properly (``DONE``, ``LOGOUT``).

``BALIE_EMAIL_WATCH=0`` (:data:`settings.EMAIL_WATCH`) leaves IMAP to the periodic
``email_poll`` job or a separate ``balie manage email_idle``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field

import structlog
from django.db import close_old_connections

from balie.channels.email.imap import MailboxConfig, mailboxes, watch
from balie.channels.models import Channel, ChannelKind

log = structlog.get_logger(__name__)

#: how often the channels are read again for added, changed or removed mailboxes
REFRESH_SECONDS = 60.0


@dataclass
class _Running:
    thread: threading.Thread
    stop: threading.Event
    fingerprint: str


@dataclass
class MailWatcher:
    """A supervising thread that keeps one :func:`watch` thread per configured mailbox."""

    refresh: float = REFRESH_SECONDS
    _stop: threading.Event = field(default_factory=threading.Event)
    _running: dict[tuple[int, str], _Running] = field(default_factory=dict)
    _thread: threading.Thread | None = None

    def start(self) -> MailWatcher:
        """Start supervising (returns at once; the first look at the channels is immediate)."""
        self._thread = threading.Thread(target=self._supervise, name="balie-mail", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every watcher and wait for them (each sees the request within a second)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for running in self._running.values():
            running.stop.set()
        for running in self._running.values():
            running.thread.join(timeout)
        self._running.clear()
        log.info("email_watchers_stopped")

    @property
    def watching(self) -> list[tuple[int, str]]:
        """(channel id, mailbox) of every live watcher thread."""
        return sorted(k for k, r in self._running.items() if r.thread.is_alive())

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:  # the database may be away for a moment: look again later
                log.exception("email_watchers_sync_failed")
            finally:
                close_old_connections()
            self._stop.wait(self.refresh)

    def sync(self) -> None:
        """Start, restart or stop watcher threads to match the active e-mail channels."""
        wanted: dict[tuple[int, str], tuple[Channel, MailboxConfig]] = {}
        for channel in Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True):
            for config in mailboxes(channel):
                wanted[(channel.pk, config.mailbox)] = (channel, config)
        for key in list(self._running):
            running = self._running[key]
            gone = key not in wanted or running.fingerprint != _fingerprint(wanted[key][1])
            if gone or not running.thread.is_alive():
                running.stop.set()
                running.thread.join(5)
                del self._running[key]
        if self._stop.is_set():
            return
        for key, (channel, config) in wanted.items():
            if key in self._running:
                continue
            stop = threading.Event()
            thread = threading.Thread(
                target=watch,
                args=(channel, config, stop),
                name=f"balie-imap-{channel.key}-{config.mailbox}"[:60],
                daemon=True,
            )
            thread.start()
            self._running[key] = _Running(thread, stop, _fingerprint(config))
            log.info("email_watcher_started", channel_id=channel.pk, mailbox=config.mailbox)


def _fingerprint(config: MailboxConfig) -> str:
    """What a watcher was started with (a changed password or host restarts it)."""
    return hashlib.sha256(json.dumps(config.__dict__, sort_keys=True).encode()).hexdigest()
