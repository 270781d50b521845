"""Who may scrape ``/metrics`` (the view, which reads the domain, is :mod:`balie.web.metrics`)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest

from balie.core.clientip import client_ip, is_loopback


def scrape_allowed(request: HttpRequest) -> bool:
    """With a token configured, only ``Authorization: Bearer <token>``; else loopback only.

    Loopback is the client address as :func:`client_ip` trusts it: ``X-Forwarded-For`` counts
    only behind configured proxies, so a proxy on the same host does not make everyone local.
    """
    token = str(settings.METRICS_TOKEN)
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # as bytes: compare_digest refuses str with non-ASCII characters (a 500)
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "surrogateescape"), token.encode()
        )
    return is_loopback(client_ip(request))
