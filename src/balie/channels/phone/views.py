"""The PBX's endpoints: call tasks and call events, authenticated with the channel's token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from balie.api.errors import error_body
from balie.channels.base import WebhookRejected, parse_json, same_secret
from balie.channels.models import Channel
from balie.channels.phone.actions import CallTask, do_call_event, do_receive_call
from balie.core.errors import BalieError


def _channel(request: HttpRequest, key: str) -> Channel | None:
    channel = Channel.objects.filter(key=key, kind="phone", is_active=True).first()
    if channel is None:
        return None
    expected = str(channel.secrets.get("pbx_token", ""))
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not same_secret(expected, given):
        return None
    return channel


def _body(request: HttpRequest) -> dict[str, Any]:
    data = parse_json(request.body or b"{}")
    if not isinstance(data, dict):
        raise WebhookRejected(400, "invalid_payload", "the body must be a JSON object")
    return data


def pbx_endpoint(
    handle: Callable[[Channel, dict[str, Any]], dict[str, Any]],
) -> Callable[[HttpRequest, str], JsonResponse]:
    """A POST endpoint for the PBX: token check, JSON body, domain errors as JSON."""

    @csrf_exempt
    @require_POST
    @wraps(handle)
    def view(request: HttpRequest, key: str) -> JsonResponse:
        channel = _channel(request, key)
        if channel is None:
            body = error_body("unauthorised", "unknown channel or wrong PBX token")
            return JsonResponse(body, status=401)
        try:
            return JsonResponse(handle(channel, _body(request)))
        except WebhookRejected as exc:
            return exc.response()
        except BalieError as exc:
            return JsonResponse(error_body(exc.code, exc.message), status=exc.status)

    return view


@pbx_endpoint
def tasks(channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
    """A new call: ``{"call_id","caller","language","topic"}`` → the instruction."""
    task = CallTask(
        call_id=str(data.get("call_id", "")),
        caller=str(data.get("caller", "")),
        language=str(data.get("language", ""))[:8],
        topic=str(data.get("topic", ""))[:50],
    )
    return do_receive_call(channel, task)


@pbx_endpoint
def call_events(channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
    """A call event: ``{"call_id","event":answered|rejected|abandoned|ended,"at"}``."""
    call = do_call_event(
        channel, str(data.get("call_id", "")), str(data.get("event", "")), data.get("at")
    )
    return {
        "call_id": call.call_id,
        "answered": call.answered_at is not None,
        "abandoned": call.abandoned,
        "wait_s": call.wait_s,
        "talk_s": call.talk_s,
    }
