"""`balie apply`: declarative, idempotent, all-or-nothing, errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from balie.channels.models import Channel
from balie.cli import main
from balie.organisations.apply import ApplyError, apply_config, apply_file
from balie.organisations.models import Agent, Organisation, Topic
from balie.routing.models import AgentChannel, AgentLanguage, AgentTraining

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SECRETS = {
    "ZUIDERHAVEN_FORM_SECRET": "form-secret-value",
    "ZUIDERHAVEN_WA_APP_SECRET": "wa-app-secret-value",
    "ZUIDERHAVEN_WA_TOKEN": "wa-token-value",
    "ZUIDERHAVEN_WA_VERIFY_TOKEN": "wa-verify-value",
    "CONSULAIR_FORM_SECRET": "c-form",
    "CONSULAIR_WA_APP_SECRET": "c-app",
    "CONSULAIR_WA_TOKEN": "c-token",
    "CONSULAIR_WA_VERIFY_TOKEN": "c-verify",
}

MINIMAL = """
[organisation]
slug = "klein"
name = "Gemeente Klein"

[[topics]]
code = "afval"
name = "Afval"

[[agents]]
username = "piet"
name = "Piet"
languages = { nl = 5 }
skills = { afval = 3 }
channels = { email = 4 }
"""


@pytest.fixture(autouse=True)
def secrets_in_env(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_the_municipal_example_applies(db):
    """gemeente.toml creates a KCC with about twelve agents, its topics and channels."""
    apply_file(str(EXAMPLES / "gemeente.toml"))
    org = Organisation.objects.get(slug="zuiderhaven")
    assert org.agents.count() == 12
    assert set(org.channels.values_list("kind", flat=True)) >= {
        "whatsapp",
        "email",
        "webchat",
        "phone",
    }
    assert Topic.objects.get(code="wmo").required_training.code == "wmo-gesprek"
    assert org.business_hours["fri"] == [["08:30", "12:30"]]


def test_the_consular_example_covers_every_hour_and_language(db):
    """consulaat.toml staffs all 24 hours and all six languages at proficiency ≥ 3."""
    apply_file(str(EXAMPLES / "consulaat.toml"))
    org = Organisation.objects.get(slug="consulair")
    hours = set()
    for agent in org.agents.all():
        for shift in agent.shifts:
            start, end = int(shift["start"][:2]), int(shift["end"][:2])
            hours.update(range(start, end))
    assert hours == set(range(24))
    spoken = set(
        AgentLanguage.objects.filter(agent__organisation=org, proficiency__gte=3).values_list(
            "language", flat=True
        )
    )
    assert set(org.languages) <= spoken
    assert Topic.objects.get(organisation=org, code="noodgeval").required_training.code == "crisis"


def test_applying_twice_changes_nothing(db):
    """The second apply of the same file reports nothing to change."""
    apply_file(str(EXAMPLES / "gemeente.toml"))
    assert apply_file(str(EXAMPLES / "gemeente.toml")) == "nothing to change"


def test_child_lists_follow_the_file(db):
    """Removing a language and changing a capacity in the file is reflected exactly."""
    apply_config(MINIMAL)
    apply_config(
        MINIMAL.replace("languages = { nl = 5 }", "languages = { en = 4 }").replace(
            "email = 4", "email = 6"
        )
    )
    agent = Agent.objects.get(user__username="piet")
    assert list(agent.languages.values_list("language", "proficiency")) == [("en", 4)]
    assert AgentChannel.objects.get(agent=agent).capacity == 6


def test_errors_name_the_line_and_nothing_is_written(db):
    """An unknown key and a bad level are both reported with their lines; no row is written."""
    bad = MINIMAL.replace("languages = { nl = 5 }", "languages = { nl = 9 }\ncolour = 'blauw'")
    with pytest.raises(ApplyError) as caught:
        apply_config(bad, filename="klein.toml")
    text = str(caught.value)
    assert "klein.toml:13: agents[0].languages.nl: must be a whole number from 1 to 5" in text
    assert "klein.toml:14: agents[0].colour: unknown key" in text
    assert not Organisation.objects.exists()


def test_a_reference_to_an_unknown_topic_is_refused(db):
    """A skill on a topic the file does not define is an error, not a silent skip."""
    with pytest.raises(ApplyError, match=r"agents\[0\].skills.paspoort: unknown topic"):
        apply_config(MINIMAL.replace("afval = 3", "paspoort = 3"))


def test_invalid_toml_reports_the_line(db):
    """A syntax error is reported with tomllib's line number."""
    with pytest.raises(ApplyError, match=r"<config>:3: "):
        apply_config("[organisation]\nslug = 'x'\nname = \n")


def test_a_missing_secret_stops_the_whole_apply(db, monkeypatch):
    """When an environment variable for a secret is missing, nothing is written at all."""
    monkeypatch.delenv("ZUIDERHAVEN_WA_TOKEN")
    with pytest.raises(ApplyError, match="ZUIDERHAVEN_WA_TOKEN is not set"):
        apply_file(str(EXAMPLES / "gemeente.toml"))
    assert not Organisation.objects.exists()
    assert not Agent.objects.exists()


def test_secrets_are_encrypted_at_rest(db):
    """Channel secrets are readable through the model but not stored in plain text."""
    apply_file(str(EXAMPLES / "gemeente.toml"))
    channel = Channel.objects.get(key="zuiderhaven-whatsapp")
    assert channel.secrets["app_secret"] == "wa-app-secret-value"
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM channels_channel WHERE key = %s", [channel.key])
        raw = cursor.fetchone()[0]
    assert "wa-app-secret-value" not in raw


def test_training_expiry_dates_are_kept(db):
    """A training's valid_until date comes through as a date."""
    apply_file(str(EXAMPLES / "gemeente.toml"))
    training = AgentTraining.objects.get(agent__user__username="daan.smit")
    assert training.valid_until.isoformat() == "2026-12-31"


def test_the_cli_exit_codes(db, tmp_path, capsys):
    """`balie apply` exits 0 with a summary, 2 with errors on stderr; --dry-run writes nothing."""
    good = tmp_path / "klein.toml"
    good.write_text(MINIMAL)
    assert main(["apply", str(good), "--dry-run"]) == 0
    assert not Organisation.objects.exists()
    assert main(["apply", str(good)]) == 0
    assert Organisation.objects.filter(slug="klein").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace("nl = 5", "nl = 0"))
    assert main(["apply", str(bad)]) == 2
    assert "bad.toml:13: agents[0].languages.nl" in capsys.readouterr().err


def test_whatsapp_templates_are_submitted_once_and_resubmitted_when_changed(db):
    """Templates start pending; re-applying changes nothing; a new body is submitted again."""
    from balie.channels.whatsapp.models import MessageTemplate

    apply_file(str(EXAMPLES / "gemeente.toml"))
    templates = MessageTemplate.objects.filter(channel__key="zuiderhaven-whatsapp")
    assert sorted(templates.values_list("name", "status")) == [
        ("answer_ready", "PENDING"), ("antwoord_klaar", "PENDING"), ("terugbelverzoek", "PENDING"),
    ]  # fmt: skip
    assert templates.get(name="terugbelverzoek").parameter_count == 2
    templates.update(status="APPROVED")
    assert apply_file(str(EXAMPLES / "gemeente.toml")) == "nothing to change"
    source = (EXAMPLES / "gemeente.toml").read_text().replace("staat klaar", "is klaar")
    assert "templates submitted 1" in apply_config(source)
    assert templates.get(name="antwoord_klaar").status == "PENDING"
    assert templates.get(name="answer_ready").status == "APPROVED"


def test_templates_on_a_channel_other_than_whatsapp_are_refused(db):
    """Only WhatsApp channels take message templates."""
    config = MINIMAL + (
        '\n[[channels]]\nkey = "mail"\nkind = "email"\nname = "Mail"\n'
        '[[channels.templates]]\nname = "x"\nlanguage = "nl"\nbody = "Hallo"\n'
    )
    with pytest.raises(ApplyError, match="only WhatsApp channels have message templates"):
        apply_config(config)


def test_another_organisation_cannot_take_over_an_agent(db):
    """A second organisation's file naming an existing agent is refused and writes nothing."""
    apply_config(MINIMAL)
    other = MINIMAL.replace('slug = "klein"', 'slug = "ander"')
    with pytest.raises(ApplyError, match=r"agents\.piet: belongs to another organisation"):
        apply_config(other)
    assert not Organisation.objects.filter(slug="ander").exists()
    assert Agent.objects.get(user__username="piet").organisation.slug == "klein"


def test_applied_agents_have_no_usable_password(db):
    """Agents created by apply cannot sign in with a password nobody chose."""
    from django.contrib.auth import get_user_model

    apply_file(str(EXAMPLES / "gemeente.toml"))
    users = get_user_model().objects.filter(agent__isnull=False)
    assert users.exists()
    assert not any(user.has_usable_password() for user in users)
