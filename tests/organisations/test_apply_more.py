"""``balie apply`` section by section: every section written and read back, applying twice
changes nothing, the file's lists win, and every bad value is refused with the path (and line)
of the bad field, writing nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from balie.audit.models import AuditEntry
from balie.channels.models import Channel
from balie.organisations.apply import ApplyError, apply_config, apply_file
from balie.organisations.apply.errors import Problem
from balie.organisations.apply.locate import locate
from balie.organisations.models import Agent, Organisation, Team, Topic
from balie.privacy.retention.models import RetentionTerm
from balie.routing.models import AgentChannel, AgentSkill, AgentTraining, Training
from balie.sla.models import Policy

pytestmark = pytest.mark.django_db

FULL = """
[organisation]
slug = "vol"
name = "Gemeente Vol"
time_zone = "Europe/Brussels"
languages = ["nl", "en", "fr"]
min_language_proficiency = 2
signature = "Gemeente Vol, Klantcontact"

[organisation.business_hours]
mon = [["08:30", "12:00"], ["13:00", "17:00"]]
fri = [["08:30", "12:30"]]

[[teams]]
slug = "kcc"
name = "Klantcontactcentrum"

[[teams]]
slug = "sociaal"
name = "Sociaal domein"

[[trainings]]
code = "wmo-gesprek"
name = "Wmo-gesprek"

[[topics]]
code = "paspoort"
name = "Paspoort"
team = "kcc"
priority = 2
min_skill_level = 2

[[topics]]
code = "wmo"
name = "Wmo"
team = "sociaal"
required_training = "wmo-gesprek"
restricted = true

[[agents]]
username = "anna"
name = "Anna"
email = "anna@vol.example"
teams = ["kcc", "sociaal"]
languages = { nl = 5, fr = 3 }
skills = { paspoort = 4, wmo = 3 }
trainings = [{ code = "wmo-gesprek", valid_until = 2027-06-30 }]
channels = { webchat = 3, email = 5 }
shifts = [{ days = ["mon", "tue"], start = "08:00", end = "16:30" }]

[[agents]]
username = "bas"
name = "Bas"
supervisor = true
languages = { nl = 5 }

[[agents]]
username = "cor"
name = "Cor"
role = "backoffice"
languages = { nl = 4 }

[[channels]]
key = "vol-mail"
kind = "email"
name = "Mail"
team = "kcc"
settings = { address = "info@vol.example", imap_port = 993, imap_security = "ssl" }
secrets = { password = { env = "VOL_MAIL_PASSWORD" } }

[[channels]]
key = "vol-chat"
kind = "webchat"
name = "Chat"
active = false
settings = { allowed_origins = ["https://www.vol.example"], messages_per_minute = 10 }

[[calendars]]
holidays = "NL"
closed = [2026-12-24]
hours.mon = [["08:30", "17:00"]]

[[calendars]]
channel = "vol-chat"
always_open = true

[[service_levels]]
name = "Chat"
channel = "vol-chat"
first_response = { business_minutes = 5 }

[[retention]]
days = 365

[[retention]]
topic = "wmo"
days = 3650
disposal = "keep"
basis = "Selectielijst 1.1.2"
"""


@pytest.fixture(autouse=True)
def mail_password(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VOL_MAIL_PASSWORD", "geheim-wachtwoord")


def test_every_section_of_a_full_file_is_written_as_it_says():
    """Organisation, teams, trainings, topics, agents with their lists, channels, calendars,
    service levels and retention terms all land in their tables."""
    apply_config(FULL)
    org = Organisation.objects.get(slug="vol")
    assert (org.time_zone, org.languages, org.min_language_proficiency) == (
        "Europe/Brussels",
        ["nl", "en", "fr"],
        2,
    )
    assert org.business_hours["mon"] == [["08:30", "12:00"], ["13:00", "17:00"]]
    assert sorted(Team.objects.filter(organisation=org).values_list("slug", flat=True)) == [
        "kcc",
        "sociaal",
    ]
    wmo = Topic.objects.get(organisation=org, code="wmo")
    assert (wmo.team.slug, wmo.required_training.code, wmo.restricted) == (
        "sociaal",
        "wmo-gesprek",
        True,
    )
    passport = Topic.objects.get(organisation=org, code="paspoort")
    assert (passport.priority, passport.min_skill_level, passport.restricted) == (2, 2, False)
    anna = Agent.objects.get(user__username="anna")
    assert anna.user.email == "anna@vol.example"
    assert not anna.user.has_usable_password()
    assert sorted(anna.teams.values_list("slug", flat=True)) == ["kcc", "sociaal"]
    assert dict(anna.languages.values_list("language", "proficiency")) == {"nl": 5, "fr": 3}
    assert dict(
        AgentSkill.objects.filter(agent=anna).values_list("topic__code", "proficiency")
    ) == {"paspoort": 4, "wmo": 3}
    assert AgentTraining.objects.get(agent=anna).valid_until == date(2027, 6, 30)
    assert dict(
        AgentChannel.objects.filter(agent=anna).values_list("channel_kind", "capacity")
    ) == {"webchat": 3, "email": 5}
    assert anna.shifts == [{"days": ["mon", "tue"], "start": "08:00", "end": "16:30"}]
    roles = dict(Agent.objects.values_list("user__username", "role"))
    assert roles == {"anna": "agent", "bas": "supervisor", "cor": "backoffice"}
    assert Agent.objects.get(user__username="bas").is_supervisor
    mail = Channel.objects.get(key="vol-mail")
    assert (mail.kind, mail.team.slug, mail.secrets) == (
        "email",
        "kcc",
        {"password": "geheim-wachtwoord"},
    )
    assert mail.settings["imap_port"] == 993
    assert Channel.objects.get(key="vol-chat").is_active is False
    assert Policy.objects.filter(organisation=org, name="Chat").exists()
    terms = {(t.topic.code if t.topic_id else None): t for t in RetentionTerm.objects.all()}
    assert (terms[None].days, terms["wmo"].days, terms["wmo"].disposal) == (365, 3650, "keep")


def test_applying_the_full_file_twice_changes_nothing_and_says_so():
    """The second run of the same file writes no row and reports 'nothing to change'."""
    first = apply_config(FULL)
    assert "organisation created 1" in first
    assert apply_config(FULL) == "nothing to change"


def test_every_apply_leaves_an_audit_entry_with_its_counts():
    """Each run is audited as the CLI's, with the file name and what it changed."""
    apply_config(FULL, filename="/etc/balie/vol.toml")
    apply_config(FULL, filename="/etc/balie/vol.toml")
    entries = list(AuditEntry.objects.filter(action="apply_config").order_by("pk"))
    assert [(e.actor_label, e.origin, e.object_id) for e in entries] == [
        ("balie apply", "cli", "vol"),
        ("balie apply", "cli", "vol"),
    ]
    assert entries[0].detail["file"] == "vol.toml"
    assert entries[0].detail["agents created"] == 3
    assert set(entries[1].detail) == {"file"}


def test_a_dry_run_validates_and_counts_but_writes_nothing():
    """--dry-run reports what it would do and leaves every table as it was."""
    summary = apply_config(FULL, dry_run=True)
    assert summary.startswith("dry run: valid; ")
    assert "agents created 3" in summary
    assert summary.endswith("(rolled back)")
    assert not Organisation.objects.exists()
    assert not Agent.objects.exists()
    assert not AuditEntry.objects.filter(action="apply_config").exists()


def test_an_agents_lists_follow_the_file_exactly():
    """Teams, skills, trainings and channels dropped from the file are removed; the rest kept."""
    apply_config(FULL)
    trimmed = (
        FULL.replace('teams = ["kcc", "sociaal"]', 'teams = ["kcc"]')
        .replace("skills = { paspoort = 4, wmo = 3 }", "skills = { paspoort = 5 }")
        .replace('trainings = [{ code = "wmo-gesprek", valid_until = 2027-06-30 }]\n', "")
        .replace("channels = { webchat = 3, email = 5 }", "channels = { email = 5 }")
    )
    summary = apply_config(trimmed)
    anna = Agent.objects.get(user__username="anna")
    assert list(anna.teams.values_list("slug", flat=True)) == ["kcc"]
    assert list(
        AgentSkill.objects.filter(agent=anna).values_list("topic__code", "proficiency")
    ) == [("paspoort", 5)]
    assert not AgentTraining.objects.filter(agent=anna).exists()
    assert list(AgentChannel.objects.filter(agent=anna).values_list("channel_kind", flat=True)) == [
        "email"
    ]
    assert summary == (
        "agent channels removed 1, agent skills removed 1, agent skills updated 1, "
        "agent teams set 1, agent trainings removed 1"
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_summary_and_audit_words_do_not_depend_on_the_active_language(language):
    """The counts' names are fixed English words whatever language is active (they are keys
    of the audit entry's detail, which must not change with the locale)."""
    from django.utils import translation

    with translation.override(language):
        summary = apply_config(FULL)
    assert "agent languages created 4" in summary
    assert "agent channels created 2" in summary
    detail = AuditEntry.objects.get(action="apply_config").detail
    assert detail["agent skills created"] == 2


def test_entities_missing_from_the_file_are_left_alone():
    """An agent, team or topic no longer in the file is not deleted (only child lists sync)."""
    apply_config(FULL)
    without_cor = FULL.replace(
        '[[agents]]\nusername = "cor"\nname = "Cor"\nrole = "backoffice"\nlanguages = { nl = 4 }\n',
        "",
    )
    assert "cor" not in without_cor
    apply_config(without_cor)
    assert Agent.objects.filter(user__username="cor").exists()


def test_changing_a_topics_team_and_an_organisations_hours_updates_in_place():
    """Updates keep the rows (same ids) and count one update each."""
    apply_config(FULL)
    topic_id = Topic.objects.get(code="paspoort").pk
    changed = FULL.replace(
        'code = "paspoort"\nname = "Paspoort"\nteam = "kcc"',
        'code = "paspoort"\nname = "Paspoort"\nteam = "sociaal"',
    ).replace('fri = [["08:30", "12:30"]]', 'fri = [["09:00", "12:00"]]')
    summary = apply_config(changed)
    assert "topics updated 1" in summary
    assert "organisation updated 1" in summary
    topic = Topic.objects.get(code="paspoort")
    assert (topic.pk, topic.team.slug) == (topic_id, "sociaal")
    assert Organisation.objects.get(slug="vol").business_hours["fri"] == [["09:00", "12:00"]]


def test_a_changed_secret_is_an_update_and_the_new_value_is_stored(monkeypatch):
    """Rotating the environment variable and applying again stores the new secret."""
    apply_config(FULL)
    monkeypatch.setenv("VOL_MAIL_PASSWORD", "nieuw-wachtwoord")
    assert "channels updated 1" in apply_config(FULL)
    assert Channel.objects.get(key="vol-mail").secrets == {"password": "nieuw-wachtwoord"}


def test_a_secret_can_come_from_a_file_and_a_missing_file_is_an_error(tmp_path):
    """{ file = … } reads the secret (stripped); an unreadable file stops the apply."""
    secret = tmp_path / "pw"
    secret.write_text("uit-een-bestand\n")
    from_file = FULL.replace('{ env = "VOL_MAIL_PASSWORD" }', f'{{ file = "{secret}" }}')
    apply_config(from_file)
    assert Channel.objects.get(key="vol-mail").secrets == {"password": "uit-een-bestand"}
    missing = FULL.replace('{ env = "VOL_MAIL_PASSWORD" }', '{ file = "/nonexistent/pw" }')
    with pytest.raises(ApplyError, match=r"channels\[0\]\.secrets\.password: cannot read"):
        apply_config(missing.replace('slug = "vol"', 'slug = "vol2"', 1))
    assert not Organisation.objects.filter(slug="vol2").exists()


def test_an_unreadable_file_is_an_apply_error_not_a_traceback(tmp_path):
    """apply_file on a path that does not exist names the file and the reason."""
    with pytest.raises(ApplyError) as caught:
        apply_file(str(tmp_path / "weg.toml"))
    assert "cannot read the file" in str(caught.value)
    assert caught.value.filename.endswith("weg.toml")


def test_a_channel_of_another_organisation_is_not_taken_over():
    """A second organisation naming an existing channel key is refused; nothing is written."""
    apply_config(FULL)
    other = FULL.replace('slug = "vol"', 'slug = "ander"', 1)
    with pytest.raises(ApplyError, match="belongs to another organisation"):
        apply_config(other)
    assert not Organisation.objects.filter(slug="ander").exists()
    assert Channel.objects.get(key="vol-mail").organisation.slug == "vol"


def _problems(source: str) -> list[Problem]:
    with pytest.raises(ApplyError) as caught:
        apply_config(source, filename="vol.toml")
    return caught.value.problems


BAD = [
    # (what to replace, with what, the path in the error, words of its message)
    (
        'time_zone = "Europe/Brussels"',
        'time_zone = "Europe/Atlantis"',
        "organisation.time_zone",
        "unknown time zone",
    ),
    (
        'languages = ["nl", "en", "fr"]',
        'languages = ["nl", "NL"]',
        "organisation.languages[1]",
        "ISO 639-1",
    ),
    (
        'languages = ["nl", "en", "fr"]',
        'languages = "nl"',
        "organisation.languages",
        "list of strings",
    ),
    (
        "min_language_proficiency = 2",
        "min_language_proficiency = 6",
        "organisation.min_language_proficiency",
        "from 1 to 5",
    ),
    (
        'fri = [["08:30", "12:30"]]',
        'fri = [["12:30", "08:30"]]',
        "organisation.business_hours.fri[0]",
        "start before end",
    ),
    (
        'fri = [["08:30", "12:30"]]',
        'fri = [["8:30", "12:30"]]',
        "organisation.business_hours.fri[0]",
        "HH:MM",
    ),
    (
        'fri = [["08:30", "12:30"]]',
        'fri = "08:30-12:30"',
        "organisation.business_hours.fri",
        "must be a list",
    ),
    (
        'fri = [["08:30", "12:30"]]',
        'vrijdag = [["08:30", "12:30"]]',
        "organisation.business_hours.vrijdag",
        "unknown day",
    ),
    ('slug = "vol"', 'slug = "Vol!"', "organisation.slug", "not valid here"),
    (
        'signature = "Gemeente Vol, Klantcontact"',
        "signature = 42",
        "organisation.signature",
        "must be a string",
    ),
    (
        'slug = "sociaal"\nname = "Sociaal domein"',
        'slug = "kcc"\nname = "Sociaal domein"',
        "teams[1].slug",
        "appears twice",
    ),
    (
        'code = "wmo"\nname = "Wmo"\nteam = "sociaal"',
        'code = "wmo"\nname = "Wmo"\nteam = "jeugd"',
        "topics[1].team",
        "unknown team",
    ),
    (
        'required_training = "wmo-gesprek"',
        'required_training = "ehbo"',
        "topics[1].required_training",
        "unknown training",
    ),
    ("priority = 2", "priority = 11", "topics[0].priority", "from 0 to 10"),
    ("min_skill_level = 2", "min_skill_level = 0", "topics[0].min_skill_level", "from 1 to 5"),
    ("restricted = true", 'restricted = "ja"', "topics[1].restricted", "true or false"),
    (
        'teams = ["kcc", "sociaal"]',
        'teams = ["kcc", "balie"]',
        "agents[0].teams[1]",
        "unknown team",
    ),
    (
        "channels = { webchat = 3, email = 5 }",
        "channels = { fax = 3 }",
        "agents[0].channels.fax",
        "unknown channel kind",
    ),
    (
        "channels = { webchat = 3, email = 5 }",
        "channels = { webchat = 51 }",
        "agents[0].channels.webchat",
        "from 1 to 50",
    ),
    (
        "channels = { webchat = 3, email = 5 }",
        'channels = ["webchat"]',
        "agents[0].channels",
        "channel kind = capacity",
    ),
    (
        "languages = { nl = 5, fr = 3 }",
        "languages = { Nederlands = 5 }",
        "agents[0].languages.Nederlands",
        "not a valid code",
    ),
    ("languages = { nl = 5, fr = 3 }", 'languages = ["nl"]', "agents[0].languages", "name = level"),
    (
        "languages = { nl = 5, fr = 3 }",
        "languages = { nl = true }",
        "agents[0].languages.nl",
        "from 1 to 5",
    ),
    (
        "valid_until = 2027-06-30",
        'valid_until = "volgend jaar"',
        "agents[0].trainings[0].valid_until",
        "must be a date",
    ),
    (
        'trainings = [{ code = "wmo-gesprek", valid_until = 2027-06-30 }]',
        'trainings = [{ code = "ehbo" }]',
        "agents[0].trainings[0].code",
        "unknown training",
    ),
    (
        'trainings = [{ code = "wmo-gesprek", valid_until = 2027-06-30 }]',
        'trainings = "wmo-gesprek"',
        "agents[0].trainings",
        "must be a list",
    ),
    (
        'shifts = [{ days = ["mon", "tue"], start = "08:00", end = "16:30" }]',
        'shifts = [{ days = ["maandag"], start = "08:00", end = "16:30" }]',
        "agents[0].shifts[0].days",
        "unknown day",
    ),
    (
        'shifts = [{ days = ["mon", "tue"], start = "08:00", end = "16:30" }]',
        'shifts = [{ days = ["mon"], start = "8 uur", end = "16:30" }]',
        "agents[0].shifts[0].start",
        "not valid here",
    ),
    (
        'shifts = [{ days = ["mon", "tue"], start = "08:00", end = "16:30" }]',
        'shifts = [{ days = ["mon"], start = "08:00" }]',
        "agents[0].shifts[0].end",
        "is required",
    ),
    (
        'shifts = [{ days = ["mon", "tue"], start = "08:00", end = "16:30" }]',
        'shifts = { days = ["mon"] }',
        "agents[0].shifts",
        "must be a list",
    ),
    (
        "supervisor = true",
        'supervisor = true\nrole = "agent"',
        "agents[1].role",
        "contradicts supervisor",
    ),
    ('role = "backoffice"', 'role = "baas"', "agents[2].role", "must be one of"),
    ('username = "cor"', 'username = "anna"', "agents[2].username", "appears twice"),
    ('username = "cor"', 'username = "cor de vries"', "agents[2].username", "not valid here"),
    ('kind = "email"', 'kind = "fax"', "channels[0].kind", "unknown kind"),
    (
        'settings = { address = "info@vol.example", imap_port = 993, imap_security = "ssl" }',
        'settings = { address = "info" }',
        "channels[0].settings.address",
        "needs its address",
    ),
    (
        'imap_security = "ssl"',
        'imap_security = "tls"',
        "channels[0].settings.imap_security",
        "use one of",
    ),
    (
        "imap_port = 993",
        "imap_port = -1",
        "channels[0].settings.imap_port",
        "positive whole number",
    ),
    (
        '{ env = "VOL_MAIL_PASSWORD" }',
        '{ env = "vol-mail-password" }',
        "channels[0].secrets.password",
        "environment variable",
    ),
    (
        '{ env = "VOL_MAIL_PASSWORD" }',
        '"letterlijk-geheim"',
        "channels[0].secrets.password",
        "must reference the environment",
    ),
    (
        '{ env = "VOL_MAIL_PASSWORD" }',
        '{ env = "NIET_GEZET_XYZ" }',
        "channels[0].secrets.password",
        "is not set",
    ),
    (
        'allowed_origins = ["https://www.vol.example"]',
        'allowed_origins = ["www.vol.example/pad"]',
        "channels[1].settings.allowed_origins",
        "must be a list like",
    ),
    (
        "messages_per_minute = 10",
        "messages_per_minute = 0",
        "channels[1].settings.messages_per_minute",
        "positive whole number",
    ),
    ("active = false", 'active = "nee"', "channels[1].active", "true or false"),
    ('key = "vol-chat"', 'key = "vol-mail"', "channels[1].key", "appears twice"),
    (
        'channel = "vol-chat"\nalways_open = true',
        'channel = "vol-fax"',
        "calendars[1].channel",
        "unknown channel",
    ),
    (
        'channel = "vol-chat"\nalways_open = true',
        'channel = "vol-chat"\nteam = "kcc"',
        "calendars[1].channel",
        "not both",
    ),
    (
        'channel = "vol-chat"\nalways_open = true',
        "always_open = true",
        "calendars[1]",
        "same scope",
    ),
    ("closed = [2026-12-24]", 'closed = ["kerstavond"]', "calendars[0].closed[0]", "not a date"),
    (
        'channel = "vol-chat"\nalways_open = true',
        'channel = "vol-chat"\nalways_open = true\nhours.mon = [["08:00", "17:00"]]',
        "calendars[1].hours",
        "always open has no hours",
    ),
    (
        "first_response = { business_minutes = 5 }",
        "warning_percent = 50",
        "service_levels[0]",
        "at least one target",
    ),
    (
        'channel = "vol-chat"\nfirst_response',
        'channel = "vol-sms"\nfirst_response',
        "service_levels[0].channel",
        "unknown channel",
    ),
    ("days = 365", "days = 0", "retention[0].days", "from 1 to 36500"),
    ('disposal = "keep"', 'disposal = "archive"', "retention[1].disposal", "must be one of"),
    (
        'topic = "wmo"\ndays = 3650',
        'topic = "bezwaar"\ndays = 3650',
        "retention[1].topic",
        "unknown topic",
    ),
    (
        "[[retention]]\ndays = 365",
        '[[retention]]\ndata = "alles"\ndays = 365',
        "retention[0].data",
        "must be one of",
    ),
    (
        'code = "wmo"\nname = "Wmo"\nteam = "sociaal"\n',
        'code = "wmo"\nname = "Wmo"\n',
        "topics[1].restricted",
        "needs the team",
    ),
    (
        'secrets = { password = { env = "VOL_MAIL_PASSWORD" } }',
        'secrets = "geheim"',
        "channels[0].secrets",
        "must be a table of name",
    ),
    (
        'imap_security = "ssl" }',
        'imap_security = "ssl", imap_mailboxes = [] }',
        "channels[0].settings.imap_mailboxes",
        "list of mailbox names",
    ),
    (
        "messages_per_minute = 10 }",
        'messages_per_minute = 10, topics = ["paspoort"] }',
        "channels[1].settings.topics",
        "must be a list like",
    ),
    (
        'settings = { allowed_origins = ["https://www.vol.example"], messages_per_minute = 10 }',
        'settings = "open"',
        "channels[1].settings",
        "must be a table",
    ),
    (
        "active = false",
        'active = false\ntemplates = "welkom"',
        "channels[1].templates",
        "must be a list",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "words"), BAD, ids=[b[2] for b in BAD])
def test_a_bad_value_is_refused_with_the_path_of_the_field_and_nothing_is_written(
    old, new, path, words
):
    """Each defect is reported under the dotted path of the bad field; no row is written."""
    assert old in FULL, old
    problems = _problems(FULL.replace(old, new, 1))
    found = [p for p in problems if p.path == path]
    assert found, [str(p) for p in problems]
    assert any(words in p.message for p in found), [str(p) for p in found]
    assert not Organisation.objects.exists()
    assert not Channel.objects.exists()
    assert not Training.objects.exists()


def test_all_problems_of_a_file_are_reported_at_once_with_their_lines():
    """Three defects in three sections are all listed, each with the line of its key."""
    bad = (
        FULL.replace("priority = 2", "priority = 99")
        .replace('kind = "email"', 'kind = "fax"')
        .replace("days = 365", "days = -1")
    )
    problems = _problems(bad)
    by_path = {p.path: p for p in problems}
    lines = bad.splitlines()
    for path, text in (
        ("topics[0].priority", "priority = 99"),
        ("channels[0].kind", 'kind = "fax"'),
        ("retention[0].days", "days = -1"),
    ):
        assert lines[by_path[path].line - 1] == text, (path, by_path[path].line)


@pytest.mark.parametrize(
    ("source", "path", "words"),
    [
        (
            '[organisation]\nslug = "x"\nname = "X"\nteams = 3\n',
            "organisation.teams",
            "unknown key",
        ),
        (
            '[organisation]\nslug = "x"\nname = "X"\n[teams]\nslug = "a"\n',
            "teams",
            "array of tables",
        ),
        ('[organisation]\nslug = "x"\n', "organisation.name", "is required"),
        (
            '[organisation]\nslug = "x"\nname = "X"\nbusiness_hours = "altijd"\n',
            "organisation.business_hours",
            "table of weekday",
        ),
        ('organisation = "x"\n', "organisation", "must be a table"),
        ('[gemeente]\nslug = "x"\n', "gemeente", "unknown key"),
        ('[gemeente]\nslug = "x"\n', "organisation", "is required"),
    ],
)
def test_the_files_shape_is_checked_before_its_values(source, path, words):
    """Unknown sections, a table where an array belongs and missing keys are named by path."""
    problems = _problems(source)
    assert any(p.path == path and words in p.message for p in problems), [str(p) for p in problems]


def test_a_problem_prints_as_file_line_path_and_message():
    """The error text is one line per problem: file:line: path: message."""
    problems = _problems(FULL.replace("priority = 2", "priority = 99"))
    (problem,) = problems
    assert re.fullmatch(r"line \d+: topics\[0\]\.priority: must be .*", str(problem))
    assert str(Problem("(file)", 0, "x")) == "(file): x"


def test_locate_finds_the_nth_array_table_and_the_key_inside_it():
    """The line of agents[1].languages is inside the second [[agents]] block."""
    source = FULL
    line = locate(source, ("agents", 1, "languages"))
    lines = source.splitlines()
    assert lines[line - 1].startswith("languages = { nl = 5 }")
    assert 'username = "bas"' in "\n".join(lines[line - 5 : line])
    assert locate("", ("x",)) == 0
    assert locate(source, ("nergens", 3, "niets")) == 1
