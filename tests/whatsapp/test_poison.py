"""Poison events: a stored webhook that cannot be applied is retried with backoff, then parked
for an administrator, and never holds up the events behind it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.audit.models import AuditEntry
from balie.channels.whatsapp import ingest
from balie.channels.whatsapp.ingest import process_events, sweep_unprocessed
from balie.channels.whatsapp.models import WebhookEvent
from balie.conversations.models import Direction, Message
from balie.core import clock
from tests import factories
from tests.whatsapp.conftest import fixture_json

POISON = "POISON"
#: what a citizen wrote: must never reach a log line
SECRET = "mijn BSN is 123456782"


def inbound_count() -> int:
    """Inbound messages stored."""
    return Message.objects.filter(direction=Direction.INBOUND).count()


def text_payload(n: int, text: str = "Hallo") -> dict:  # type: ignore[type-arg]
    """A recorded text message with its own wamid and ``text``."""
    payload = fixture_json("text")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = f"wamid.poison{n}"
    message["text"]["body"] = text
    return payload


class Poison:
    """While ``active``, applying an event whose raw body holds ``POISON`` raises, as a bug
    would; ``cure()`` is the bug fixed."""

    active = True

    def cure(self) -> None:
        self.active = False


@pytest.fixture
def poison(monkeypatch) -> Poison:  # type: ignore[no-untyped-def]
    """The bug, switched on."""
    real_apply = ingest._apply
    bug = Poison()

    def apply(events: list[WebhookEvent]) -> None:
        body = events[0].body  # a local holding the citizen's text, as real code has
        if bug.active and any(POISON in event.body for event in events):
            raise ValueError(f"cannot apply event of {len(body)} characters")
        real_apply(events)

    monkeypatch.setattr(ingest, "_apply", apply)
    return bug


@pytest.fixture
def store(post_webhook):  # type: ignore[no-untyped-def]
    """POST a text message (``poisoned``: one that fails); return the stored event's id."""
    count = iter(range(10**6))

    def go(*, poisoned: bool = False) -> int:
        text = f"{POISON} {SECRET}" if poisoned else f"Hallo {SECRET}"
        assert post_webhook(text_payload(next(count), text)).status_code == 200
        return WebhookEvent.objects.latest("pk").pk

    return go


@pytest.mark.usefixtures("poison")
def test_a_failing_event_is_retried_on_a_backoff_schedule_then_parked(
    store, run_tasks, time_machine
):
    """Failures 1–4 make the event due again after 1, 4, 16 and 64 minutes; the 5th parks it."""
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    pk = store(poisoned=True)
    run_tasks()  # the webhook's handler: attempt 1
    event = WebhookEvent.objects.get(pk=pk)
    assert (event.attempts, event.processed_at, event.parked_at) == (1, None, None)
    assert event.last_error == "ValueError: cannot apply event of " + str(len(event.body)) + (
        " characters"
    )
    for attempts, wait in [(1, 1), (2, 4), (3, 16), (4, 64)]:
        assert event.next_attempt_at == clock.now() + timedelta(minutes=wait)
        time_machine.shift(timedelta(minutes=wait) - timedelta(seconds=1))
        assert sweep_unprocessed() == 0, f"due too early after failure {attempts}"
        time_machine.shift(timedelta(seconds=1))
        assert sweep_unprocessed() == 1
        event.refresh_from_db()
        assert event.attempts == attempts + 1
    assert (event.parked_at, event.next_attempt_at) == (clock.now(), None)
    time_machine.shift(timedelta(days=7))
    assert sweep_unprocessed() == 0  # parked: no retry, no traceback every minute
    assert WebhookEvent.objects.get(pk=pk).attempts == 5


@pytest.mark.usefixtures("poison")
def test_the_number_of_attempts_is_configurable(store, run_tasks, time_machine, settings):
    """With WHATSAPP_MAX_ATTEMPTS = 2 the second failure parks the event."""
    settings.WHATSAPP_MAX_ATTEMPTS = 2
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    pk = store(poisoned=True)
    run_tasks()
    time_machine.shift(timedelta(minutes=1))
    assert sweep_unprocessed() == 1
    event = WebhookEvent.objects.get(pk=pk)
    assert (event.attempts, event.parked_at) == (2, clock.now())


@pytest.mark.usefixtures("poison")
def test_only_the_event_that_fails_counts_an_attempt(store):
    """A batch with one bad event is applied event by event: the others are processed and
    count no attempt; the bad one counts exactly one."""
    ids = [store(), store(poisoned=True), store()]
    process_events(ids)
    rows = {e.pk: e for e in WebhookEvent.objects.all()}
    assert [rows[pk].attempts for pk in ids] == [0, 1, 0]
    assert [rows[pk].processed_at is not None for pk in ids] == [True, False, True]
    assert rows[ids[0]].next_attempt_at is None
    assert inbound_count() == 2


@pytest.mark.slow
@pytest.mark.usefixtures("poison")
def test_newer_events_are_reached_behind_10000_failing_ones(store, wa_channel, time_machine):
    """10,000 older events that keep failing, all due: one sweep still applies a newer event
    whose handler was lost, and counts one more attempt only on the failures it tried."""
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    body = json.dumps({"object": "whatsapp_business_account", "entry": [], "x": POISON})
    WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(channel=wa_channel, body=body, attempts=1, next_attempt_at=clock.now())
            for _ in range(10_000)
        ],
        batch_size=1000,
    )
    newer = store()  # stored; its handler task never runs
    time_machine.shift(timedelta(minutes=2))
    assert sweep_unprocessed() == ingest.SWEEP_LIMIT
    assert WebhookEvent.objects.get(pk=newer).processed_at is not None
    assert inbound_count() == 1
    assert WebhookEvent.objects.filter(attempts=2).count() == ingest.SWEEP_LIMIT - 1
    assert not WebhookEvent.objects.filter(processed_at__isnull=False).exclude(pk=newer).exists()


@pytest.mark.usefixtures("poison")
def test_failing_events_waiting_for_their_backoff_are_not_taken(store, wa_channel, time_machine):
    """10,000 older failing events waiting for their backoff take none of the sweep's slots:
    it takes exactly the one due event behind them."""
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    later = clock.now() + timedelta(hours=1)
    WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(channel=wa_channel, body=POISON, attempts=3, next_attempt_at=later)
            for _ in range(10_000)
        ],
        batch_size=1000,
    )
    newer = store()
    WebhookEvent.objects.filter(pk=newer).update(attempts=1, next_attempt_at=clock.now())
    assert sweep_unprocessed() == 1
    assert WebhookEvent.objects.get(pk=newer).processed_at is not None


#: every query of applying four text messages of one citizen as one batch, on SQLite and on
#: PostgreSQL: measured before the retry columns existed (they must not add any); 15 since the
#: batch asks conduct once whether its senders are blocked (#13)
HEALTHY_BATCH_QUERIES = 15


def test_applying_a_healthy_batch_adds_no_queries(store):
    """A healthy batch reads and marks its stored events with one query each, as before."""
    ids = [store() for _ in range(4)]
    with CaptureQueriesContext(connection) as queries:
        process_events(ids)
    on_events = [q["sql"] for q in queries if "whatsapp_webhookevent" in q["sql"]]
    assert len(on_events) == 2, on_events  # SELECT … FOR UPDATE, and the UPDATE
    assert len(queries) == HEALTHY_BATCH_QUERIES, [q["sql"] for q in queries]
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 4


@pytest.mark.usefixtures("poison")
def test_each_failure_logs_one_traceback(store, caplog):
    """A failure is logged once with its traceback; the batch split that found it logs none."""
    ids = [store(), store(poisoned=True)]
    with caplog.at_level(logging.INFO):
        process_events(ids)
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1
    assert with_traceback[0].msg["event"] == "whatsapp_event_failed"
    assert with_traceback[0].msg["event_id"] == ids[1]


# --- the administrator's view -------------------------------------------------------------


@pytest.fixture
def parked(poison, store, run_tasks, settings, time_machine):  # type: ignore[no-untyped-def]
    """One parked event and one processed one (time frozen); returns the parked event's id."""
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    settings.WHATSAPP_MAX_ATTEMPTS = 1
    store()
    pk = store(poisoned=True)
    run_tasks()
    assert WebhookEvent.objects.get(pk=pk).parked_at is not None
    return pk


def staff(client, *perms: str):  # type: ignore[no-untyped-def]
    """Log in a staff member (not a superuser) holding ``perms`` of the whatsapp app."""
    user = factories.UserFactory(username="beheerder", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="whatsapp", codename__in=perms)
    )
    client.force_login(user)
    return client


URL = "/admin/whatsapp/webhookevent/"


def test_staff_see_parked_events_with_their_error_but_not_the_body(client, parked):
    """The "parked" filter lists the parked event with its error and attempts; the raw body
    (a citizen's text) appears neither in the list nor on the detail page."""
    staff(client, "view_webhookevent")
    page = client.get(URL, {"state": "parked"}).content.decode()
    assert f"webhook event #{parked}" in page or f">{parked}<" in page
    assert "ValueError: cannot apply event" in page
    assert SECRET not in page
    assert "Opnieuw verwerken" not in page  # no retry permission: no action offered
    detail = client.get(f"{URL}{parked}/change/")
    assert detail.status_code == 200
    assert SECRET not in detail.content.decode()


def test_the_parked_filter_leaves_out_processed_events(client, parked):
    """Only the parked event is listed under "parked"; both under no filter."""
    staff(client, "view_webhookevent", "retry_webhookevent")
    listed = client.get(URL, {"state": "parked"}).context["cl"].result_list
    assert [e.pk for e in listed] == [parked]
    assert client.get(URL).context["cl"].result_count == 2


def test_process_again_unparks_and_applies_the_event(client, parked, poison, run_tasks):
    """ "Opnieuw verwerken" (once the cause is fixed) un-parks the event, makes it due now,
    records who asked, and the worker applies it."""
    poison.cure()
    staff(client, "view_webhookevent", "retry_webhookevent")
    page = client.get(URL, {"state": "parked"}).content.decode()
    assert "Opnieuw verwerken" in page
    response = client.post(
        URL, {"action": "retry", "_selected_action": [str(parked)], "index": "0"}, follow=True
    )
    assert response.status_code == 200
    assert "1 gebeurtenis wordt opnieuw verwerkt." in response.content.decode()
    event = WebhookEvent.objects.get(pk=parked)
    assert (event.parked_at, event.next_attempt_at, event.attempts) == (None, clock.now(), 1)
    entry = AuditEntry.objects.get(action="whatsapp_event_retry")
    assert (entry.actor_label, entry.object_id) == ("beheerder", str(parked))
    run_tasks()
    assert WebhookEvent.objects.get(pk=parked).processed_at is not None
    assert inbound_count() == 2


def test_a_retry_that_fails_again_parks_at_once(client, parked, run_tasks):
    """An administrator's retry is one more attempt: if the cause is still there, the event
    is parked again straight away (no new round of retries)."""
    staff(client, "view_webhookevent", "retry_webhookevent")
    client.post(URL, {"action": "retry", "_selected_action": [str(parked)], "index": "0"})
    run_tasks()
    event = WebhookEvent.objects.get(pk=parked)
    assert (event.attempts, event.processed_at) == (2, None)
    assert event.parked_at is not None


def test_staff_without_the_permission_cannot_retry(client, parked):
    """Posting the action without the retry permission changes nothing."""
    staff(client, "view_webhookevent")
    client.post(URL, {"action": "retry", "_selected_action": [str(parked)], "index": "0"})
    assert WebhookEvent.objects.get(pk=parked).parked_at is not None
    assert not AuditEntry.objects.filter(action="whatsapp_event_retry").exists()


def test_a_superuser_sees_the_body_and_the_view_is_audited(client, parked):
    """The raw body is shown only to a superuser, and opening it writes an audit entry."""
    user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    page = client.get(f"{URL}{parked}/change/").content.decode()
    assert SECRET in page
    entry = AuditEntry.objects.get(action="admin_view", object_type="whatsapp.webhookevent")
    assert (entry.actor_label, entry.object_id) == ("root", str(parked))
