"""Rate limits per visitor and per IP address: fixed one-minute windows in Django's cache
(Redis in the scale-out shape, so every web process counts together; local memory in the
embedded one)."""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def hit(scope: str, key: str, limit: int, *, now: float | None = None) -> int:
    """Count one hit for ``key`` in ``scope``; 0 when within ``limit``, otherwise the
    seconds until the window ends (the ``retry_after`` to tell the visitor)."""
    moment = time.time() if now is None else now
    window = int(moment // WINDOW_SECONDS)
    name = f"webchat:rl:{scope}:{key}:{window}"
    if cache.add(name, 1, timeout=WINDOW_SECONDS + 5):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
    if count <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - moment))
