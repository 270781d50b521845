"""Periodic jobs that run once per schedule, however many workers poll.

A job is claimed by advancing its ``next_run_at`` row under a row lock; the worker that wins
the update runs it. Later issues register jobs (SLA sweeps, routing retries, retention).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.db import transaction
from django.utils.module_loading import import_string

from balie.core import clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: dotted path of a no-argument function and its interval."""

    name: str
    path: str
    every: timedelta


def jobs() -> tuple[Job, ...]:
    """The periodic jobs from ``balie.handlers.PERIODIC``."""
    from balie.handlers import PERIODIC

    return tuple(PERIODIC)


def run_due() -> list[str]:
    """Run every job whose time has come, each at most once per interval; return their names."""
    from balie.core.models import ScheduledJob

    ran: list[str] = []
    for job in jobs():
        now = clock.now()
        with transaction.atomic():
            row, _ = ScheduledJob.objects.select_for_update(no_key=True).get_or_create(
                name=job.name, defaults={"next_run_at": now}
            )
            if row.next_run_at > now:
                continue
            row.next_run_at = now + job.every
            row.last_run_at = now
            row.save(update_fields=["next_run_at", "last_run_at"])
        try:
            import_string(job.path)()
            ran.append(job.name)
        except Exception:
            log.exception("periodic_job_failed", job=job.name)
    return ran
