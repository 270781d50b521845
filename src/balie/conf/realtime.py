"""The channel layer (realtime pushes) and the cache: Redis when ``REDIS_URL`` is set, else
in-memory (one process only). Part of the settings: ``balie.conf.settings`` imports everything
here; every environment variable is declared where it is read.
"""

from __future__ import annotations

import os

from balie.conf.env import env

REDIS_URL = env(
    "REDIS_URL", "", "redis://host:6379/0 for the channel layer and locks. Empty: in-memory."
)
# Parallel test workers (pytest-xdist sets PYTEST_XDIST_WORKER) share one Redis: each worker's
# keys and groups get its own prefix, as two installations sharing one Redis would.
REDIS_PREFIX = env(
    "BALIE_REDIS_PREFIX", "balie", "Prefix of Balie's keys and channel groups in Redis."
) + os.environ.get("PYTEST_XDIST_WORKER", "")
#: pushes waiting for one socket before the layer drops new ones (channels' default is 100:
#: a burst of 50 messages a second overran an agent's socket in the web chat benchmark)
CHANNEL_CAPACITY = 1000
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times reads out after 5 s, the very time channels-redis blocks waiting
            # for a message (BZPOPMIN 5): a quiet socket's consumer crashed with TimeoutError
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": REDIS_PREFIX,
                "capacity": CHANNEL_CAPACITY,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
