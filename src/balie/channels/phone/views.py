"""The PBX's endpoints: call tasks and call events, authenticated with the channel's token."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from balie.channels.models import Channel
from balie.channels.phone.actions import CallTask, do_call_event, do_receive_call
from balie.core.errors import BalieError, InvalidInput, NotFound


def _channel(request: HttpRequest, key: str) -> Channel | None:
    channel = Channel.objects.filter(key=key, kind="phone", is_active=True).first()
    if channel is None:
        return None
    expected = str(channel.secrets.get("pbx_token", ""))
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return None
    return channel


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput("the body is not JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_json")
    return data


def _error(exc: BalieError) -> JsonResponse:
    status = 404 if isinstance(exc, NotFound) else 400 if isinstance(exc, InvalidInput) else 409
    return JsonResponse({"error": exc.code, "detail": str(exc)}, status=status)


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
            return JsonResponse({"error": "unauthorised"}, status=401)
        try:
            return JsonResponse(handle(channel, _body(request)))
        except BalieError as exc:
            return _error(exc)

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
