"""``balie manage email_idle [--channel KEY]``: the long-running IMAP worker (IDLE or poll)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from balie.channels.email.imap import watch_all
from balie.channels.email.management.commands.email_poll import email_channels


class Command(BaseCommand):
    help = "Watch every IMAP mailbox of the e-mail channels until stopped (SIGTERM, Ctrl+C)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", default=None, help="only this channel's key")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        threads = watch_all(email_channels(options["channel"]), stop)
        self.stdout.write(f"email_idle: watching {len(threads)} mailbox(es)")
        self.stdout.flush()
        stop.wait()
        for thread in threads:
            thread.join(5)
