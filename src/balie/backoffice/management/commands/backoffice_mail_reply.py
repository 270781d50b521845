"""``balie manage backoffice_mail_reply [FILE]``: take a raw RFC 822 reply to a task's
notification e-mail (a file, or standard input from the MTA) as the task's answer."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.backoffice.mail import MAX_RAW, receive_task_reply
from balie.core.errors import BalieError


class Command(BaseCommand):
    help = "Take a reply to a task's notification e-mail (RFC 822, file or stdin) as its answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the .eml file (default: standard input)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options.get("file")
        if path:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_RAW + 1)
        else:
            raw = sys.stdin.buffer.read(MAX_RAW + 1)
        try:
            task = receive_task_reply(raw)
        except BalieError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"{task.reference} answered")
