"""The one clock. Tests freeze it with time-machine; code never calls datetime.now() itself."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return timezone.now()
