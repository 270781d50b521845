"""``/metrics``: Prometheus exposition of the contact centre's state, aggregates only.

Gauges are read from the database on each scrape (a few grouped COUNTs), so every web process
reports the same truth. No personal data: counts per status, channel kind and queue.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from balie.conversations.models import Conversation
from balie.core.metrics import scrape_allowed
from balie.organisations.models import Agent


def metrics(request: HttpRequest) -> HttpResponse:
    """Conversations by status and channel kind, agents by presence, task backlog."""
    if not scrape_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
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
