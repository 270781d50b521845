"""``balie manage email_poll [--channel KEY]``: read every IMAP mailbox once."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.channels.email.imap import poll_once
from balie.channels.email.intake import Counts
from balie.channels.models import Channel, ChannelKind


def email_channels(key: str | None) -> list[Channel]:
    """The active e-mail channels (or the one named); CommandError for an unknown key."""
    channels = Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True)
    if key:
        channels = channels.filter(key=key)
        if not channels.exists():
            raise CommandError(f"no active e-mail channel with key {key!r}")
    return list(channels)


class Command(BaseCommand):
    help = "Read the new mail of every IMAP mailbox once (prints the counts as JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", default=None, help="only this channel's key")

    def handle(self, *args: Any, **options: Any) -> None:
        total = Counts()
        for channel in email_channels(options["channel"]):
            total.add(poll_once(channel))
        self.stdout.write(json.dumps(total.as_dict()))
