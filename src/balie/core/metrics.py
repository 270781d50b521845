"""``/metrics``: Prometheus exposition of the contact centre's state, aggregates only.

Gauges are read from the database on each scrape (a few grouped COUNTs), so every web process
reports the same truth. No personal data: counts per status, channel kind and queue.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from balie.core.clientip import client_ip, is_loopback


def _allowed(request: HttpRequest) -> bool:
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


def metrics(request: HttpRequest) -> HttpResponse:
    """Conversations by status and channel kind, agents by presence, task backlog."""
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent

    registry = CollectorRegistry()
    conversations = Gauge(
        "balie_conversations", "Conversations by status and channel kind",
        ["status", "channel_kind"], registry=registry,
    )  # fmt: skip
    for row in Conversation.objects.values("status", "channel__kind").annotate(n=Count("pk")):
        conversations.labels(row["status"], row["channel__kind"]).set(row["n"])
    agents = Gauge("balie_agents", "Agents by presence", ["presence"], registry=registry)
    for row in Agent.objects.values("presence").annotate(n=Count("pk")):
        agents.labels(row["presence"]).set(row["n"])
    tasks = Gauge(
        "balie_tasks", "Background tasks by queue and status", ["queue", "status"],
        registry=registry,
    )  # fmt: skip
    for row in DBTaskResult.objects.values("queue_name", "status").annotate(n=Count("pk")):
        tasks.labels(row["queue_name"], row["status"]).set(row["n"])
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
