"""Honest expectations for the visitor: is anyone there now, and if not, when an answer
comes. The calendar is the conversation's (organisation, team, channel), the same one the
out-of-hours reply (:mod:`balie.backoffice.afterhours`) and the service levels use, so the
widget never promises what the automatic reply contradicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from balie.backoffice.afterhours import PROMISE_MORNING
from balie.backoffice.terms import calendar_of, written_date, written_due, written_time
from balie.channels.models import Channel
from balie.core import clock
from balie.organisations.models import Agent, Presence
from balie.sla.businesstime import NoOpening, is_open, next_opening, same_day_or_next_morning


def availability(channel: Channel, language: str, now: datetime | None = None) -> dict[str, Any]:
    """``open`` (the calendar), ``agents_available`` (someone of the channel's team, or of
    the organisation, is available), the next opening and the promised answer, as ISO times
    and as words in ``language`` (``nl``/``en``)."""
    moment = now or clock.now()
    language = "en" if language == "en" else "nl"
    cal = calendar_of(channel.organisation, team=channel.team, channel=channel)
    agents = Agent.objects.filter(
        organisation_id=channel.organisation_id, presence=Presence.AVAILABLE
    )
    if channel.team_id:
        agents = agents.filter(teams=channel.team_id)
    found: dict[str, Any] = {
        "open": is_open(cal, moment),
        "agents_available": agents.exists(),
        "opens_at": None,
        "opens_text": "",
        "answer_by": None,
        "answer_by_text": "",
    }
    try:
        opens = next_opening(cal, moment)
        due = same_day_or_next_morning(cal, moment, PROMISE_MORNING, PROMISE_MORNING)
    except NoOpening:
        return found
    local = opens.astimezone(cal.zone)
    found["opens_at"] = local.isoformat()
    found["opens_text"] = f"{written_date(local, language)} {written_time(local.time(), language)}"
    found["answer_by"] = due.astimezone(cal.zone).isoformat()
    found["answer_by_text"] = written_due(due.astimezone(cal.zone), language)
    return found
