"""The one explicit registry: which handlers react to which events, and periodic jobs.

Handlers are dotted paths to ``fn(event)`` (``batch=True``: ``fn(events)``, every event a
worker claimed at once); each event is its own durable task, written in the transaction that
published it and run after that commits. Add a line here, nowhere else.
"""

from __future__ import annotations

from datetime import timedelta

from balie.core.dispatch import Handler
from balie.core.scheduler import Job

HANDLERS: dict[str, list[Handler]] = {
    "conversation_created": [
        Handler("balie.routing.handlers.on_conversations_created", batch=True)
    ],
    "conversation_status_changed": [
        Handler(
            "balie.routing.handlers.on_status_changed",
            when="balie.routing.handlers.wants_status_change",
        ),
        Handler(
            "balie.sla.handlers.on_statuses_changed",
            when="balie.sla.handlers.wants_status_change",
            batch=True,
        ),
    ],
    # the service-level clock (balie.sla): starts, answers, moves, calendar changes
    "conversation_changed": [
        Handler(
            "balie.sla.handlers.on_conversations_changed",
            when="balie.sla.handlers.wants_change",
            batch=True,
        )
    ],
    "calendar_changed": [Handler("balie.sla.handlers.on_calendar_changed")],
    "agent_presence_changed": [Handler("balie.routing.handlers.on_presence_changed")],
    "message_received": [
        # first of all: personal data is masked before routing offers the conversation to
        # anyone (until then every screen masks it on the fly: balie.privacy.display)
        Handler("balie.privacy.handlers.on_messages_received", batch=True, priority=20),
        # before routing (priority): the conversation's language is known when it decides
        Handler("balie.replies.enrichment.on_messages_received", batch=True, priority=10),
        Handler(
            "balie.routing.handlers.on_messages_received",
            when="balie.routing.handlers.wants_message",
            batch=True,
        ),
        Handler("balie.backoffice.afterhours.on_messages_received", batch=True),
        Handler("balie.sla.handlers.on_messages_received", batch=True),
    ],
    "backoffice_task_changed": [
        Handler(
            "balie.backoffice.mail.send_task_mail",
            queue="outbound",
            when="balie.backoffice.events.is_forwarded",
        )
    ],
    "backoffice_task_overdue": [
        Handler("balie.backoffice.mail.send_escalation_mail", queue="outbound")
    ],
    "contact_offered": [Handler("balie.channels.phone.callbacks.on_contact_offered")],
    "reply_queued": [
        Handler("balie.channels.delivery.on_replies_queued", queue="outbound", batch=True),
        Handler("balie.sla.handlers.on_replies_queued", batch=True),
    ],
    "whatsapp_webhook_received": [
        Handler("balie.channels.whatsapp.ingest.on_webhooks_received", queue="ingest", batch=True)
    ],
}

PERIODIC: list[Job] = [
    Job("task_reclaim", "balie.core.worker.reclaim_lost_tasks", timedelta(seconds=60)),
    Job("routing_sweep", "balie.routing.handlers.sweep_queue", timedelta(seconds=30)),
    Job("routing_offers", "balie.routing.handlers.lapse_offers", timedelta(seconds=5)),
    Job("routing_feed", "balie.routing.feeds.publish_snapshots", timedelta(seconds=15)),
    Job("outbox_sweep", "balie.channels.delivery.sweep_outbox", timedelta(seconds=60)),
    Job("sla_sweep", "balie.sla.handlers.sweep", timedelta(seconds=30)),
    Job("backoffice_overdue", "balie.backoffice.overdue.sweep_overdue", timedelta(seconds=60)),
    Job("out_of_hours", "balie.backoffice.afterhours.sweep", timedelta(seconds=60)),
    Job("conduct_expiry", "balie.conduct.actions.expire_blocks", timedelta(seconds=60)),
    Job(
        "whatsapp_sweep", "balie.channels.whatsapp.ingest.sweep_unprocessed", timedelta(seconds=60)
    ),
    Job("email_poll", "balie.channels.email.imap.poll_all", timedelta(seconds=60)),
    Job("webchat_sessions", "balie.channels.webchat.retention.prune_sessions", timedelta(days=1)),
    Job("retention", "balie.privacy.retention.job.run_daily", timedelta(days=1)),
    Job("audit_prune", "balie.audit.prune.prune_expired", timedelta(days=1)),
]

#: Pushed to agents' browsers right after commit (best effort, in-process; ids only).
REALTIME_EVENTS = (
    "conversation_created",
    "message_received",
    "conversation_status_changed",
    "conversation_assigned",
    "reply_queued",
    "note_added",
    "delivery_status_changed",
    "attachments_added",
    "reaction_recorded",
    "message_masked",  # the open conversation shows the masked text
    "agent_presence_changed",
    "conversation_changed",
    "agent_mentioned",  # to the mentioned agent's group only (the event names no organisation)
    "call_connected",  # to the agent's group only: their workspace opens the call's contact
    "contact_offered",  # to the agent's group only: the offers banner
    "offer_resolved",  # to the agent's group only: the banner drops a lapsed offer
    "queue_snapshot",  # to the organisation: the supervisor wall
    "message_flagged",  # to the organisation: the conversation's header shows the flag
    "speech_analysed",  # to the organisation: the conversation's tone and language cue
    "reply_linked",  # to the organisation: the timeline shows what a late reply answers
    "sla_warning",  # to the organisation: inbox rows and the conversation's due time
    "sla_breached",
    "backoffice_task_changed",  # to the organisation: task lists and the conversation page
    "conduct_step_taken",  # to the organisation: the conversation's conduct panel
    "webchat_typing",  # to the organisation: "the visitor is typing" on the conversation page
)
for _name in REALTIME_EVENTS:
    HANDLERS.setdefault(_name, []).append(Handler("balie.web.realtime.push", durable=False))
