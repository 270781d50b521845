"""The PBX's endpoints: call tasks and call events, authenticated with the channel's token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers

from balie.api.errors import error_body
from balie.channels.base import WebhookRejected, parse_json, same_secret
from balie.channels.models import Channel
from balie.channels.phone.actions import CALL_EVENTS, CallTask, do_call_event, do_receive_call
from balie.core.errors import BalieError


class _InvalidFields(Exception):
    """A PBX request whose fields are wrong: 400 with each field and what is wrong with it."""

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__("the request has invalid fields")
        self.fields = fields


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
        except _InvalidFields as exc:
            body = error_body("invalid", "the request has invalid fields", exc.fields)
            return JsonResponse(body, status=400)
        except BalieError as exc:
            return JsonResponse(error_body(exc.code, exc.message), status=exc.status)

    return view


class _TaskInput(serializers.Serializer[None]):
    call_id = serializers.CharField(max_length=128)
    caller = serializers.CharField(max_length=64)
    language = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class _AwareDateTime(serializers.Field[datetime, str, str, Any]):
    """An ISO 8601 time with its UTC offset: a PBX's local time is ambiguous."""

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be an ISO 8601 time as a string")
        try:
            at = datetime.fromisoformat(data)
        except ValueError as exc:
            raise serializers.ValidationError("must be an ISO 8601 time") from exc
        if at.utcoffset() is None:
            raise serializers.ValidationError("must carry a UTC offset, e.g. +01:00 or Z")
        return at

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class _EventInput(serializers.Serializer[None]):
    call_id = serializers.CharField(max_length=128)
    event = serializers.ChoiceField(choices=CALL_EVENTS)
    at = _AwareDateTime(required=False, allow_null=True, default=None)


def _valid(form: type[serializers.Serializer[None]], data: dict[str, Any]) -> dict[str, Any]:
    """The validated fields, or a 400 naming each field that is wrong."""
    body = form(data=data)
    if not body.is_valid():
        raise _InvalidFields(dict(body.errors))
    return dict(body.validated_data)


@pbx_endpoint
def tasks(channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
    """A new call: ``{"call_id","caller","language","topic"}`` → the instruction."""
    return do_receive_call(channel, CallTask(**_valid(_TaskInput, data)))


@pbx_endpoint
def call_events(channel: Channel, data: dict[str, Any]) -> dict[str, Any]:
    """A call event: ``{"call_id","event":answered|rejected|abandoned|ended,"at"}``; ``at`` is
    an ISO 8601 time with its UTC offset (default: now)."""
    valid = _valid(_EventInput, data)
    at = valid["at"].isoformat() if valid["at"] else None
    call = do_call_event(channel, valid["call_id"], valid["event"], at)
    return {
        "call_id": call.call_id,
        "answered": call.answered_at is not None,
        "abandoned": call.abandoned,
        "wait_s": call.wait_s,
        "talk_s": call.talk_s,
    }
