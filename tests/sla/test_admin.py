"""Calendars and service levels in the admin: checked like `balie apply`, saved through actions."""

from __future__ import annotations

import json

import pytest

from balie.organisations.models import Calendar as CalendarRow
from balie.sla.models import Policy
from tests import factories

pytestmark = pytest.mark.django_db
HOURS = {"mon": [["08:30", "17:00"]], "tue": [["08:30", "24:00"]]}


@pytest.fixture
def staff_client(client):
    client.force_login(
        factories.UserFactory(username="beheerder", is_staff=True, is_superuser=True)
    )
    return client


def calendar_form(organisation, **change):
    data = {
        "organisation": organisation.pk,
        "time_zone": "Europe/Amsterdam",
        "holidays_country": "NL",
        "hours": json.dumps(HOURS),
        "closed_days": json.dumps(["2026-12-24"]),
        "open_days": "[]",
    }
    return data | change


def test_a_calendar_saved_in_the_admin_is_announced(staff_client, organisation, events):
    """A good calendar is saved and CalendarChanged published (open due times follow)."""
    response = staff_client.post("/admin/organisations/calendar/add/", calendar_form(organisation))
    assert response.status_code == 302
    row = CalendarRow.objects.get()
    assert row.hours == HOURS
    assert [e.organisation_id for e in events.named("calendar_changed")] == [organisation.pk]
    response = staff_client.post(f"/admin/organisations/calendar/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarRow.objects.exists()
    assert len(events.named("calendar_changed")) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": json.dumps({"mon": [["17:00", "08:30"]]})}, "ends after it starts"),
        ({"time_zone": "Europe/Nergens"}, "unknown time zone"),
        ({"holidays_country": "ZZ"}, "no public holidays"),
    ],
)
def test_a_bad_calendar_is_refused_in_the_admin(staff_client, organisation, change, message):
    """The form names the problem and nothing is saved."""
    response = staff_client.post(
        "/admin/organisations/calendar/add/", calendar_form(organisation, **change)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CalendarRow.objects.exists()


def test_policy_rules_are_checked_in_the_admin(staff_client, organisation):
    """A policy's rules must read as `balie sla due` rules; a good one is saved."""
    data = {
        "organisation": organisation.pk,
        "name": "Standaard",
        "first_response": json.dumps({"business_hours": 1}),
        "next_response": "null",
        "resolution": "null",
        "warning_percent": 80,
        "active": "on",
    }
    response = staff_client.post("/admin/sla/policy/add/", data)
    assert response.status_code == 200
    assert "unknown kind" in response.content.decode()
    data["first_response"] = json.dumps({"business_minutes": 60})
    assert staff_client.post("/admin/sla/policy/add/", data).status_code == 302
    assert Policy.objects.get().first_response == {"business_minutes": 60}
