"""Routing's own records in the admin: queue entries, offers, routing states and records are
shown, never added, changed or deleted by hand (the engine's actions own them)."""

from __future__ import annotations

import pytest

from balie.routing.models import Offer, QueueEntry, RoutingRecord, RoutingSettings
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def routed(org, web, passport, make_agent, run_tasks):  # type: ignore[no-untyped-def]
    """A web chat offered to Piet: an entry, an offer, a routing state and a record."""
    RoutingSettings.objects.create(
        organisation=org, auto_accept_kinds=["email"], offer_timeout_s=30
    )
    make_agent("piet", skills={passport: 3})
    receive(web, "Vraag", email="x@example.nl", language="nl", topic_code="paspoort")
    run_tasks()
    return QueueEntry.objects.get(), Offer.objects.get()


@pytest.mark.parametrize("model", ["queueentry", "offer", "routingrecord", "agentroutingstate"])
def test_routing_records_are_listed_but_cannot_be_added(admin_client, routed, model):
    """The changelist renders; the add page is forbidden even to a superuser."""
    assert admin_client.get(f"/admin/routing/{model}/").status_code == 200
    assert admin_client.get(f"/admin/routing/{model}/add/").status_code == 403


def test_an_offer_cannot_be_changed_or_deleted_in_the_admin(admin_client, routed):
    """POSTing a change or a delete leaves the offer as the engine wrote it."""
    entry, offer = routed
    admin_client.post(
        f"/admin/routing/offer/{offer.pk}/change/", {"outcome": "accepted", "agent": offer.agent_id}
    )
    deleted = admin_client.post(f"/admin/routing/offer/{offer.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    offer.refresh_from_db()
    assert offer.outcome == "pending"
    assert QueueEntry.objects.filter(pk=entry.pk).exists()


def test_the_change_page_shows_a_record_read_only(admin_client, routed):
    """A routing record opens as a view page without a save button."""
    record = RoutingRecord.objects.first()
    assert record is not None
    page = admin_client.get(f"/admin/routing/routingrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert str(record.kind) in page.content.decode()
