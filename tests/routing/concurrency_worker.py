"""A worker process for the concurrency test: routes, sweeps, toggles presence, declines."""

from __future__ import annotations

import os
import random


def work(db_name: str, index: int, conversation_ids: list[int], agent_ids: list[int]) -> int:
    """Run one OS process's share of arrivals with presence changes, declines and sweeps."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = db_name
    from django.db import connection

    connection.settings_dict["NAME"] = db_name
    from balie.core.worker import run_ready_tasks
    from balie.organisations.actions import do_set_presence
    from balie.organisations.models import Agent
    from balie.routing.engine import sweep_organisation
    from balie.routing.handlers import _enqueue_and_route
    from balie.routing.models import Offer
    from balie.routing.offers import do_accept_offer, do_decline_offer

    rng = random.Random(index)
    organisation_id = Agent.objects.get(pk=agent_ids[0]).organisation_id
    done = 0
    for n, conversation_id in enumerate(conversation_ids):
        _enqueue_and_route([conversation_id], "arrived")
        done += 1
        if n % 7 == 0:
            agent_id = rng.choice(agent_ids)
            do_set_presence(agent_id, "away")
            do_set_presence(agent_id, "available")
        if n % 5 == 0:
            for offer in Offer.objects.filter(outcome="pending").order_by("?")[:3]:
                agent = Agent.objects.get(pk=offer.agent_id)
                try:
                    if rng.random() < 0.5:
                        do_decline_offer(offer.pk, agent)
                    else:
                        do_accept_offer(offer.pk, agent)
                except Exception as exc:  # a lapsed offer raced by another process
                    if getattr(exc, "code", "") not in ("offer_lapsed", "workflow_violation"):
                        raise
        if n % 25 == 0:
            sweep_organisation(organisation_id)
            run_ready_tasks(max_tasks=40, worker_id=f"w{index}")
    sweep_organisation(organisation_id)
    return done
