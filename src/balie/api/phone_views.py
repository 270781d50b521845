"""The PBX's API: call tasks and call events (thin views, documented in OpenAPI).

Mounted at ``/api/v1/phone/<key>/``; ``/phone/<key>/`` stays an undocumented alias (namespace
``legacy_phone``) for PBXs configured with the old URLs. The PBX authenticates with the
channel's ``pbx_token`` as a bearer token, not an agent's API token. Domain errors become the
API's one error shape in ``balie.api.errors.exception_handler``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from balie.api.parsers import SafeJSONParser
from balie.channels.base import same_secret
from balie.channels.models import Channel
from balie.channels.phone.actions import CALL_EVENTS, CallTask, do_call_event, do_receive_call

TAG = ["phone"]


class PbxTokenAuthentication(BaseAuthentication):
    """The PBX of the phone channel named in the path, by that channel's ``pbx_token``.

    An unknown channel and a wrong token answer alike (401), so the token guards the keys too.
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Channel]:
        """The anonymous user and the channel as ``request.auth``, or 401."""
        key = (request.parser_context or {}).get("kwargs", {}).get("key", "")
        given = request.headers.get("Authorization", "")
        channel = Channel.objects.filter(key=key, kind="phone", is_active=True).first()
        expected = str(channel.secrets.get("pbx_token", "")) if channel else ""
        if not (
            channel
            and expected
            and given.startswith("Bearer ")
            and same_secret(expected, given.removeprefix("Bearer ").strip())
        ):
            raise AuthenticationFailed("unknown channel or wrong PBX token")
        return AnonymousUser(), channel

    def authenticate_header(self, request: Request) -> str:
        """A 401, not a 403, for a missing or wrong token."""
        return 'Bearer realm="pbx"'


class PbxTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The PBX's bearer token in the OpenAPI document."""

    target_class = PbxTokenAuthentication
    name = "pbxToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """HTTP bearer: the phone channel's ``pbx_token``."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The phone channel's secret `pbx_token` (one per PBX).",
        }


class CallTaskInput(serializers.Serializer[None]):
    """A new call, as the PBX's IVR knows it."""

    call_id = serializers.CharField(max_length=128, help_text="the PBX's id of the call")
    caller = serializers.CharField(max_length=64, help_text="the caller's number")
    language = serializers.CharField(
        max_length=8, required=False, allow_blank=True, default="", help_text="from the IVR"
    )
    topic = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="a topic code"
    )


class InstructionOutput(serializers.Serializer[None]):
    """What the PBX does with the call now; the fields after ``instruction`` go with one kind."""

    call_id = serializers.CharField()
    instruction = serializers.ChoiceField(choices=["dequeue", "queue", "redirect", "hangup"])
    reservation_id = serializers.IntegerField(required=False, help_text="dequeue")
    agent_id = serializers.IntegerField(required=False, help_text="dequeue")
    extension = serializers.CharField(required=False, help_text="dequeue: the agent's extension")
    timeout_s = serializers.IntegerField(required=False, help_text="dequeue: ring this long")
    expected_wait_s = serializers.IntegerField(required=False, help_text="queue")
    to = serializers.CharField(required=False, help_text="redirect: the channel's redirect_to")
    reason = serializers.ChoiceField(
        choices=["closed", "no_agent"], required=False, help_text="redirect"
    )
    opens_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="redirect: when the centre opens, if closed"
    )


class AwareDateTime(serializers.DateTimeField):
    """An ISO 8601 time with its UTC offset: a PBX's local time is ambiguous."""

    def to_internal_value(self, value: Any) -> datetime:
        """The instant, or a 400 naming the field."""
        if not isinstance(value, str):
            raise serializers.ValidationError("must be an ISO 8601 time as a string")
        try:
            at = datetime.fromisoformat(value)
        except ValueError as exc:
            raise serializers.ValidationError("must be an ISO 8601 time") from exc
        if at.utcoffset() is None:
            raise serializers.ValidationError("must carry a UTC offset, e.g. +01:00 or Z")
        return at


class CallEventInput(serializers.Serializer[None]):
    """Something happened to a call."""

    call_id = serializers.CharField(max_length=128)
    event = serializers.ChoiceField(choices=CALL_EVENTS)
    at = AwareDateTime(required=False, allow_null=True, default=None, help_text="when; default now")


class CallOutput(serializers.Serializer[None]):
    """The call after the event."""

    call_id = serializers.CharField()
    answered = serializers.BooleanField()
    abandoned = serializers.BooleanField()
    wait_s = serializers.FloatField(allow_null=True)
    talk_s = serializers.FloatField(allow_null=True)


class PbxView(APIView):
    """A POST endpoint for the PBX: its token, a JSON body, the API's one error shape."""

    authentication_classes = [PbxTokenAuthentication]
    permission_classes: list[Any] = []  # the authentication is the whole check
    parser_classes = [SafeJSONParser]

    @staticmethod
    def channel(request: Request) -> Channel:
        """The phone channel :class:`PbxTokenAuthentication` found."""
        channel = request.auth
        if not isinstance(channel, Channel):  # only if authentication_classes were changed
            raise AuthenticationFailed("unknown channel or wrong PBX token")
        return channel

    @staticmethod
    def valid(request: Request, body: type[serializers.Serializer[None]]) -> dict[str, Any]:
        """The validated fields, or a 400 naming each field that is wrong."""
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)


class CallTasks(PbxView):
    @extend_schema(tags=TAG, request=CallTaskInput, responses={200: InstructionOutput})
    def post(self, request: Request, key: str) -> Response:
        """A new call: Balie queues it, reserves an agent and answers the instruction.

        Once per ``call_id``: a retry answers the call's instruction now. A caller whose earlier
        conversation on the channel is not closed joins it with this call."""
        channel = self.channel(request)
        task = CallTask(**self.valid(request, CallTaskInput))
        return Response(do_receive_call(channel, task))


class CallEvents(PbxView):
    @extend_schema(tags=TAG, request=CallEventInput, responses={200: CallOutput})
    def post(self, request: Request, key: str) -> Response:
        """A call event: answered, rejected (the reservation was refused), abandoned, ended."""
        channel = self.channel(request)
        data = self.valid(request, CallEventInput)
        call = do_call_event(channel, data["call_id"], data["event"], data["at"])
        return Response(
            {
                "call_id": call.call_id,
                "answered": call.answered_at is not None,
                "abandoned": call.abandoned,
                "wait_s": call.wait_s,
                "talk_s": call.talk_s,
            }
        )


class LegacyCallTasks(CallTasks):
    schema = None  # the alias stays out of the OpenAPI document


class LegacyCallEvents(CallEvents):
    schema = None


def _patterns(tasks: type[APIView], events: type[APIView]) -> list[URLPattern]:
    return [
        path("<slug:key>/tasks/", tasks.as_view(), name="phone-tasks"),
        path("<slug:key>/events/", events.as_view(), name="phone-events"),
    ]


urlpatterns = _patterns(CallTasks, CallEvents)
#: ``/phone/`` (namespace ``legacy_phone``): the URLs PBXs were configured with, not documented
legacy_urlpatterns = _patterns(LegacyCallTasks, LegacyCallEvents)
