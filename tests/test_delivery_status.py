"""Delivery statuses move forward only, whatever order reports arrive in."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from balie.conversations.actions import check_send_reply, do_update_delivery_status
from balie.conversations.delivery import DeliveryStatus, advance

OUTBOUND = [s for s in DeliveryStatus if s != DeliveryStatus.RECEIVED]
ORDER = ["pending", "sent", "failed", "delivered", "read"]


def furthest(reports: list[DeliveryStatus]) -> DeliveryStatus:
    """The furthest of ``reports`` along the way (pending if none)."""
    return max([DeliveryStatus.PENDING, *reports], key=lambda s: ORDER.index(s.value))


@given(st.lists(st.sampled_from(OUTBOUND), min_size=1, max_size=10))
def test_the_result_is_the_furthest_report_in_any_order(reports):
    """Reports in any order end at the furthest one reported, except that a failure before
    any sign of arrival is final."""
    status = DeliveryStatus.PENDING
    for report in reports:
        status = advance(status, report)
    first_failure = reports.index(DeliveryStatus.FAILED) if DeliveryStatus.FAILED in reports else -1
    if first_failure >= 0 and ORDER.index(furthest(reports[:first_failure])) < ORDER.index(
        "failed"
    ):
        assert status == DeliveryStatus.FAILED
    else:
        assert status == furthest(reports)


def test_failed_is_final():
    """A delivered or read report after a failure leaves the message failed."""
    assert advance(DeliveryStatus.FAILED, DeliveryStatus.DELIVERED) == DeliveryStatus.FAILED
    assert advance(DeliveryStatus.FAILED, DeliveryStatus.READ) == DeliveryStatus.FAILED


def test_an_unsure_failure_is_settled_by_a_report():
    """Balie's own 'outcome unknown' failure gives way to the provider's report."""
    for report in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        assert advance(DeliveryStatus.FAILED, report, unsure=True) == report


def test_read_is_not_undone_by_a_late_delivered_or_failed():
    """A late 'delivered' or 'failed' after 'read' changes nothing."""
    assert advance(DeliveryStatus.READ, DeliveryStatus.DELIVERED) == DeliveryStatus.READ
    assert advance(DeliveryStatus.READ, DeliveryStatus.FAILED) == DeliveryStatus.READ


def test_inbound_messages_have_no_delivery_status():
    """Received (inbound) messages ignore delivery reports."""
    assert advance(DeliveryStatus.RECEIVED, DeliveryStatus.READ) == DeliveryStatus.RECEIVED


@pytest.mark.django_db
def test_out_of_order_reports_through_the_action(channel, agent, events):
    """read, then sent, then failed: the message stays read and only one change is published."""
    from tests.helpers import receive

    conversation = receive(channel).message.conversation
    message = check_send_reply(conversation.pk, agent, "Uw paspoort ligt klaar.")
    for report in ("read", "sent", "failed"):
        with transaction.atomic():
            do_update_delivery_status(message.pk, DeliveryStatus(report), error_code="131026")
    message.refresh_from_db()
    assert message.delivery_status == "read"
    assert message.error_code == ""
    assert [e.status for e in events.named("delivery_status_changed")] == ["read"]


@pytest.mark.django_db
def test_failed_carries_the_provider_error(channel, agent):
    """A failure report stores the provider's code and text for the agent."""
    from tests.helpers import receive

    conversation = receive(channel).message.conversation
    message = check_send_reply(conversation.pk, agent, "Hallo")
    with transaction.atomic():
        do_update_delivery_status(
            message.pk, DeliveryStatus.FAILED, error_code="131047", error_text="Re-engagement"
        )
    message.refresh_from_db()
    assert (message.delivery_status, message.error_code, message.error_text) == (
        "failed",
        "131047",
        "Re-engagement",
    )
