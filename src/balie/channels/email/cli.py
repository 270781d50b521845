"""``balie email import PATH… --channel KEY``: the intake fed from files (one JSON line)."""

from __future__ import annotations

import json
import sys

from balie.channels.email.intake import ingest
from balie.channels.email.sources import SourceError, check_paths, read_paths
from balie.channels.models import Channel, ChannelKind


def import_main(paths: list[str], channel_key: str) -> int:
    """Import the paths into the e-mail channel ``channel_key``; print the counts."""
    channel = Channel.objects.filter(key=channel_key).first()
    if channel is None or channel.kind != ChannelKind.EMAIL:
        print(f"balie email import: no e-mail channel with key {channel_key!r}", file=sys.stderr)
        return 2
    try:
        checked = check_paths(paths)
    except SourceError as exc:
        print(f"balie email import: {exc}", file=sys.stderr)
        return 2
    counts = ingest(channel, read_paths(checked))
    print(json.dumps(counts.as_dict()))
    return 0
