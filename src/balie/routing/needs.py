"""What a queued conversation needs of its agent, with its topic's escalation steps applied."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from balie.organisations.models import Organisation, Topic
from balie.routing import selection as sel
from balie.routing.models import EscalationStep, QueueEntry, RoutingSettings

#: Answer targets (s) per channel kind when the organisation sets none.
DEFAULT_TARGETS = {"phone": 20, "whatsapp": 300, "webchat": 60, "email": 3600}
DEFAULT_HANDLING = {"phone": 360, "whatsapp": 480, "webchat": 420, "email": 600}


def answer_target(settings: RoutingSettings, kind: str) -> float:
    """Seconds within which a contact of ``kind`` should be answered."""
    return float(settings.answer_targets.get(kind) or DEFAULT_TARGETS.get(kind, 600))


def handling_time(settings: RoutingSettings, kind: str) -> float:
    """Average handling time (s) of a contact of ``kind``."""
    return float(settings.handling_times.get(kind) or DEFAULT_HANDLING.get(kind, 480))


def steps_for_organisation(organisation_id: int) -> dict[int, list[sel.Step]]:
    """Escalation steps per topic of the organisation, as pure values."""
    return _steps(EscalationStep.objects.filter(topic__organisation_id=organisation_id))


def _steps(rows: QuerySet[EscalationStep]) -> dict[int, list[sel.Step]]:
    steps: dict[int, list[sel.Step]] = {}
    for row in rows.select_related("training"):
        training = (
            row.training.code if row.training is not None else ("" if row.drop_training else None)
        )
        steps.setdefault(row.topic_id, []).append(
            sel.Step(
                after_s=row.after_s,
                min_skill=row.min_skill,
                min_language=row.min_language,
                require_skill=row.require_skill,
                training=training,
                supervisors_only=row.supervisors_only,
            )
        )
    return steps


def base_need(
    organisation: Organisation, entry: QueueEntry, topic: Topic | None, language: str
) -> sel.Need:
    """The requirements before any escalation step."""
    fallback = organisation.languages[0] if organisation.languages else "nl"
    return sel.Need(
        channel=entry.channel_kind,
        language=language or fallback,
        topic=topic.code if topic else "",
        min_language=organisation.min_language_proficiency,
        min_skill=topic.min_skill_level if topic else 1,
        training=topic.required_training.code if topic and topic.required_training_id else None,  # type: ignore[union-attr]
        require_skill=topic is not None,
        priority=entry.priority,
    )


def need_now(
    organisation: Organisation,
    entry: QueueEntry,
    topic: Topic | None,
    language: str,
    steps: dict[int, list[sel.Step]],
    now: datetime,
) -> sel.Need:
    """The requirements after waiting until ``now``."""
    base = base_need(organisation, entry, topic, language)
    waited = (now - entry.enqueued_at).total_seconds()
    return sel.requirements_at(base, steps.get(topic.pk, []) if topic else [], waited)
