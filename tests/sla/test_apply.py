"""`balie apply` configures calendars and service levels: idempotent, checked, recomputing."""

from __future__ import annotations

import pytest

from balie.cli import main
from balie.organisations.apply import ApplyError, apply_config
from balie.organisations.models import Calendar as CalendarRow
from balie.sla.businesstime import always_open
from balie.sla.calendars import calendar_for
from balie.sla.models import Policy

pytestmark = pytest.mark.django_db

CONFIG = """
[organisation]
slug = "klein"
name = "Gemeente Klein"

[[teams]]
slug = "crisis"
name = "Crisisteam"

[[topics]]
code = "afval"
name = "Afval"

[[channels]]
key = "chat"
kind = "api"
name = "Chat"

[[calendars]]
holidays = "NL"
closed = [2026-12-24]
open = ["2026-04-03"]
hours.mon = [["08:30", "12:30"], ["13:00", "17:00"]]
hours.tue = [["08:30", "17:00"]]

[[calendars]]
team = "crisis"
always_open = true

[[service_levels]]
name = "Standaard"
first_response = { same_day_or_next_morning = { cutoff = "15:00", next_morning = "12:00" } }
resolution = { business_minutes = 2400 }

[[service_levels]]
name = "Chat"
channel = "chat"
priority = 1
first_response = { wall_minutes = 5 }
warning_percent = 60
"""


def test_calendars_and_service_levels_apply_once():
    """The file makes two calendars and two policies; applying it again changes nothing."""
    summary = apply_config(CONFIG)
    assert "calendars created 2" in summary
    assert "service_levels created 2" in summary
    org_calendar = CalendarRow.objects.get(team=None, channel=None)
    assert org_calendar.hours["mon"] == [["08:30", "12:30"], ["13:00", "17:00"]]
    assert org_calendar.hours["wed"] == []
    assert org_calendar.closed_days == ["2026-12-24"]
    assert org_calendar.open_days == ["2026-04-03"]
    crisis = CalendarRow.objects.get(team__slug="crisis")
    assert calendar_for(crisis.organisation_id, crisis.team_id) == always_open("Europe/Amsterdam")
    chat = Policy.objects.get(name="Chat")
    assert chat.first_response == {"wall_minutes": 5}
    assert chat.priority == 1
    assert chat.warning_percent == 60
    assert chat.channel.key == "chat"
    assert apply_config(CONFIG) == "nothing to change"


def test_a_changed_calendar_is_updated_and_published(events):
    """Changing the hours updates the one row and announces the change (for the recompute)."""
    apply_config(CONFIG)
    before = len(events.named("calendar_changed"))
    summary = apply_config(CONFIG.replace('hours.tue = [["08:30", "17:00"]]', "hours.tue = []"))
    assert summary == "calendars updated 1"
    assert len(events.named("calendar_changed")) == before + 1
    assert CalendarRow.objects.get(team=None, channel=None).hours["tue"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('hours.tue = [["08:30", "17:00"]]', 'hours.tue = [["17:00", "08:30"]]'), "hours.tue"),
        (('holidays = "NL"', 'holidays = "XX"'), "no public holidays known"),
        (("always_open = true", 'always_open = true\nhours.mon = [["08:00", "09:00"]]'), "hours"),
        (("{ wall_minutes = 5 }", "{ wall_minutes = 0 }"), "positive number"),
        (("{ wall_minutes = 5 }", "{ hours = 5 }"), "unknown kind"),
        (('channel = "chat"\npriority', 'channel = "fax"\npriority'), "unknown channel"),
        (('team = "crisis"', 'team = "nobody"'), "unknown team"),
        (("closed = [2026-12-24]", 'closed = ["24-12-2026"]'), "not a date"),
    ],
)
def test_bad_calendars_and_service_levels_are_refused(change, message):
    """Each mistake is named and nothing is written."""
    old, new = change
    assert old in CONFIG
    with pytest.raises(ApplyError, match=message):
        apply_config(CONFIG.replace(old, new))
    assert not CalendarRow.objects.exists()
    assert not Policy.objects.exists()


def test_through_the_cli(tmp_path, capsys):
    """`balie apply FILE.toml` prints what it created."""
    path = tmp_path / "klein.toml"
    path.write_text(CONFIG)
    assert main(["apply", str(path)]) == 0
    assert "calendars created 2" in capsys.readouterr().out


def test_the_examples_carry_their_promises(monkeypatch):
    """The municipality keeps "same day or next morning" on the NL calendar; the consular
    centre answers within the hour around the clock."""
    from pathlib import Path

    from balie.organisations.apply import apply_file
    from tests.test_apply import SECRETS

    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    examples = Path(__file__).resolve().parents[2] / "examples"
    apply_file(str(examples / "gemeente.toml"))
    apply_file(str(examples / "consulaat.toml"))
    municipal = CalendarRow.objects.get(organisation__slug="zuiderhaven")
    assert municipal.holidays_country == "NL"
    assert Policy.objects.get(name="Zelfde werkdag of volgende ochtend").first_response == {
        "same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}
    }
    consular = CalendarRow.objects.get(organisation__slug="consulair")
    assert calendar_for(consular.organisation_id) == always_open("Europe/Amsterdam")
    assert Policy.objects.get(name="Noodgeval").topic.code == "noodgeval"
