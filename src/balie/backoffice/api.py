"""The back-office REST API under ``/api/v1/backoffice/``: tasks listed, forwarded, answered,
extended and withdrawn (thin views over the actions; OpenAPI through drf-spectacular).

Authorisation as in the workspace (``backoffice.access`` over ``conversations.access``); domain
errors become the API's one error shape in the project's DRF exception handler.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from balie.backoffice import actions
from balie.backoffice.access import TaskAction, access_task, visible_tasks
from balie.backoffice.models import Task
from balie.backoffice.workflow import ACTIVE, TaskState
from balie.conversations.access import Action, access_conversation, agent_of
from balie.core.converters import MAX_ID
from balie.core.errors import Forbidden
from balie.organisations.models import Agent

TAG = ["backoffice"]


class TaskStepOutput(serializers.Serializer[Any]):
    """One step of a task's history."""

    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    at = serializers.DateTimeField()


class TaskOutput(serializers.ModelSerializer[Task]):
    """An internal task (interne taak) with its term; ``steps`` on the detail only."""

    reference = serializers.CharField(read_only=True)
    team = serializers.CharField(source="team.name", read_only=True)
    message_ids = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "uuid", "reference", "conversation_id", "team_id", "team", "requested_action",
            "state", "due_at", "first_due_at", "extensions", "answer", "answered_by_id",
            "created_by_id", "created_at", "closed_at", "escalated_at", "message_ids",
        ]  # fmt: skip
        read_only_fields = fields

    def get_message_ids(self, task: Task) -> list[int]:
        return [tm.message_id for tm in task.task_messages.all()]


class TaskDetailOutput(TaskOutput):
    """A task with its history."""

    steps = TaskStepOutput(many=True, read_only=True)

    class Meta(TaskOutput.Meta):
        fields = [*TaskOutput.Meta.fields, "steps"]
        read_only_fields = fields


class ForwardInput(serializers.Serializer[None]):
    """Forward a conversation to a team; ``due_at`` empty: the topic's term on its calendar."""

    conversation_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    team_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    requested_action = serializers.CharField(max_length=200)
    message_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=actions.MAX_MESSAGES,
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AnswerInput(serializers.Serializer[None]):
    """The back office's answer (returns to the contact centre's conversation)."""

    answer = serializers.CharField(max_length=actions.MAX_ANSWER)


class ExtendInput(serializers.Serializer[None]):
    """More time: why, and the new deadline (the citizen is told it)."""

    reason = serializers.CharField(max_length=500)
    due_at = serializers.DateTimeField()


class WithdrawInput(serializers.Serializer[None]):
    """Why the contact centre withdraws the task."""

    reason = serializers.CharField(max_length=500)


def _agent(request: Request) -> Agent:
    agent = agent_of(request.user)
    if agent is None:
        raise Forbidden("only agents can work tasks", code="not_an_agent")
    return agent


def _valid(serializer: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    checked = serializer(data=data)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def _detail(task_id: int, request: Request) -> Response:
    task = access_task(request.user, task_id)
    task = (
        Task.objects.prefetch_related("task_messages", "steps")
        .select_related("team")
        .get(pk=task.pk)
    )
    return Response(TaskDetailOutput(task).data)


@extend_schema(
    tags=TAG,
    methods=["GET"],
    parameters=[
        OpenApiParameter("state", str, enum=[s.value for s in TaskState] + ["active"]),
        OpenApiParameter("team", int),
    ],
    responses={200: TaskOutput(many=True)},
    description="The tasks the caller may see, earliest deadline first (paginated).",
)
@extend_schema(
    tags=TAG,
    methods=["POST"],
    request=ForwardInput,
    responses={201: TaskDetailOutput},
    description="Forward a conversation to a team; the conversation goes on hold and the "
    "citizen is told the term.",
)
@api_view(["GET", "POST"])
def tasks(request: Request) -> Response:
    """List the visible tasks, or forward a conversation (POST)."""
    if request.method == "POST":
        data = _valid(ForwardInput, request.data)
        access_conversation(request.user, data["conversation_id"], for_action=Action.STATUS)
        task = actions.check_forward(
            data["conversation_id"], _agent(request), team_id=data["team_id"],
            requested_action=data["requested_action"], message_ids=data["message_ids"],
            due_at=data["due_at"],
        )  # fmt: skip
        response = _detail(task.pk, request)
        response.status_code = 201
        return response
    qs = visible_tasks(request.user).select_related("team").prefetch_related("task_messages")
    state = request.query_params.get("state", "")
    if state == "active":
        qs = qs.filter(state__in=ACTIVE)
    elif state in TaskState.__members__.values():
        qs = qs.filter(state=state)
    team = request.query_params.get("team", "")
    if team.isdigit() and len(team) < 19:
        qs = qs.filter(team_id=int(team))
    pagination: Any = api_settings.DEFAULT_PAGINATION_CLASS  # the API's one page shape
    paginator = pagination()
    page = paginator.paginate_queryset(qs.order_by("due_at", "pk"), request)
    listed: Response = paginator.get_paginated_response(TaskOutput(page, many=True).data)
    return listed


@extend_schema(tags=TAG, responses={200: TaskDetailOutput})
@api_view(["GET"])
def task(request: Request, task_id: int) -> Response:
    """One task with its history."""
    return _detail(task_id, request)


@extend_schema(tags=TAG, request=AnswerInput, responses={200: TaskDetailOutput})
@api_view(["POST"])
def answer(request: Request, task_id: int) -> Response:
    """The back office answers; the conversation returns to its agent with the answer."""
    access_task(request.user, task_id, for_action=TaskAction.WORK)
    data = _valid(AnswerInput, request.data)
    actions.check_answer(task_id, _agent(request), data["answer"])
    return _detail(task_id, request)


@extend_schema(tags=TAG, request=ExtendInput, responses={200: TaskDetailOutput})
@api_view(["POST"])
def extend(request: Request, task_id: int) -> Response:
    """More time with a reason; the new deadline is set and the citizen told it."""
    access_task(request.user, task_id, for_action=TaskAction.WORK)
    data = _valid(ExtendInput, request.data)
    actions.check_request_extension(task_id, _agent(request), data["reason"], data["due_at"])
    return _detail(task_id, request)


@extend_schema(tags=TAG, request=WithdrawInput, responses={200: TaskDetailOutput})
@api_view(["POST"])
def withdraw(request: Request, task_id: int) -> Response:
    """The contact centre withdraws the task; the conversation is back with its agent."""
    access_task(request.user, task_id, for_action=TaskAction.WITHDRAW)
    data = _valid(WithdrawInput, request.data)
    actions.check_withdraw(task_id, _agent(request), data["reason"])
    return _detail(task_id, request)


urlpatterns: list[URLPattern] = [
    path("tasks/", tasks, name="backoffice-tasks"),
    path("tasks/<id:task_id>/", task, name="backoffice-task"),
    path("tasks/<id:task_id>/answer/", answer, name="backoffice-answer"),
    path("tasks/<id:task_id>/extend/", extend, name="backoffice-extend"),
    path("tasks/<id:task_id>/withdraw/", withdraw, name="backoffice-withdraw"),
]
