"""The client's address as far as Balie can trust it.

``X-Forwarded-For`` is written by whoever sends the request, so it is read only when the
operator says how many reverse proxies stand in front of Balie (``BALIE_PROXY_COUNT``): the
entry that many places from the right is the one the outermost trusted proxy appended. With
no proxy configured the TCP peer (``REMOTE_ADDR``) is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: the trusted proxies' view of it, else the TCP peer."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "PROXY_COUNT", 0))
    if count <= 0:
        return peer
    forwarded = [
        part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # The proxies did not all append: the request did not come through them.
        return peer
    return forwarded[-count]


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; False for anything unparsable."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))
