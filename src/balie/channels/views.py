"""The webhook entry: ``/webhooks/<kind>/<key>/`` hands the request to the kind's adapter."""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from balie.channels.base import WebhookRejected
from balie.channels.models import Channel
from balie.channels.registry import ADAPTERS, adapter_for_kind

log = structlog.get_logger(__name__)


@csrf_exempt  # providers sign their requests; CSRF tokens are for browsers
def webhook(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Find the active channel and let its adapter verify, store and answer."""
    try:
        if kind not in ADAPTERS:
            raise WebhookRejected(404, "unknown_channel", "no such channel")
        channel = Channel.objects.filter(kind=kind, key=key, is_active=True).first()
        if channel is None:
            raise WebhookRejected(404, "unknown_channel", "no such channel")
        return adapter_for_kind(kind).handle_webhook(request, channel)
    except WebhookRejected as rejected:
        log.info("webhook_rejected", kind=kind, key=key, code=rejected.code)
        return rejected.response()
