"""Who logs in and how: the TOTP step per role, lockout on the form, session timeout, roles."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from balie.conversations import access
from balie.conversations.workflow import Status
from balie.core.errors import Forbidden
from balie.organisations.apply import apply_config
from balie.organisations.models import Agent, AgentRole
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "wachtwoord-test-123"  # factories.UserFactory


@pytest.fixture(autouse=True)
def _no_code_throttle(settings):  # type: ignore[no-untyped-def]
    # django-otp slows retries down after a wrong code; the tests check Balie's own counting
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _login(client: Client, agent: Agent, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": agent.user.username, "password": password})


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- Second factor --------------------------------------------------------------------------


def test_without_2fa_roles_a_password_is_enough(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """With BALIE_2FA_ROLES empty (the default and the demo) the password opens the inbox."""
    agent = factories.AgentFactory(organisation=organisation, role=AgentRole.SUPERVISOR)
    assert _login(client, agent)["Location"] == "/gesprekken/"
    assert client.get("/gesprekken/").status_code == 200


def test_a_role_needing_2fa_sets_up_an_authenticator_first(client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """A supervisor without a device gets the set-up page (key, otpauth URI, SVG QR code)."""
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    agent = factories.AgentFactory(organisation=organisation, role=AgentRole.SUPERVISOR)
    response = _login(client, agent)
    assert response["Location"].startswith("/accounts/login/authenticator/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'id="otp-secret"' in html
    assert "otpauth://totp/" in html
    assert '<svg role="img"' in html
    assert "<script" not in html.split("</head>")[1]
    device = TOTPDevice.objects.get(user=agent.user, confirmed=False)
    confirmed = client.post(
        "/accounts/login/authenticator/", {"otp_token": _code(device), "next": "/gesprekken/"}
    )
    assert confirmed["Location"] == "/gesprekken/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/gesprekken/").status_code == 200


def test_workspace_pages_wait_for_the_code(client: Client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """After the password alone, pages send a 2FA role to the code step; the code opens them."""
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    agent = factories.AgentFactory(organisation=organisation, role=AgentRole.SUPERVISOR)
    device = TOTPDevice.objects.create(user=agent.user, name="telefoon", confirmed=True)
    assert _login(client, agent)["Location"].startswith("/accounts/login/code/")
    for url in ("/gesprekken/", "/supervisie/"):
        refused = client.get(url)
        assert refused.status_code == 302
        assert refused["Location"].startswith("/accounts/login/code/")
    wrong = client.post("/accounts/login/code/", {"otp_token": "000000", "next": "/supervisie/"})
    assert wrong.status_code == 400
    assert "De code klopt niet" in wrong.content.decode()
    right = client.post(
        "/accounts/login/code/", {"otp_token": _code(device), "next": "/supervisie/"}
    )
    assert right["Location"] == "/supervisie/"
    assert client.get("/supervisie/").status_code == 200


def test_roles_outside_the_list_need_no_code(client: Client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """An agent logs in with the password alone while only supervisors need a code."""
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    agent = factories.AgentFactory(organisation=organisation)
    assert _login(client, agent)["Location"] == "/gesprekken/"
    assert client.get("/gesprekken/").status_code == 200


def test_the_code_step_refuses_an_outside_next(client: Client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """A ``next`` pointing to another site is replaced by Balie's own start page."""
    settings.BALIE_2FA_ROLES = frozenset({"agent"})
    agent = factories.AgentFactory(organisation=organisation)
    device = TOTPDevice.objects.create(user=agent.user, name="telefoon", confirmed=True)
    _login(client, agent)
    answer = client.post(
        "/accounts/login/code/", {"otp_token": _code(device), "next": "https://evil.example/"}
    )
    assert answer["Location"] == "/"


# --- Lockout --------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_form_with_a_dutch_message(client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The fifth wrong password shows the form with the lockout in Dutch; then even the right."""
    agent = factories.AgentFactory(organisation=organisation)
    statuses = [_login(client, agent, "fout").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = _login(client, agent)
    html = locked.content.decode()
    assert locked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in html
    assert 'name="username"' in html  # the form, not a bare page
    assert client.get("/gesprekken/").status_code == 302


def test_wrong_codes_count_toward_the_lockout(client: Client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """Wrong TOTP codes lock the login like wrong passwords and log the half-logged-in user out."""
    settings.BALIE_2FA_ROLES = frozenset({"agent"})
    agent = factories.AgentFactory(organisation=organisation)
    device = TOTPDevice.objects.create(user=agent.user, name="telefoon", confirmed=True)
    _login(client, agent)
    statuses = [
        client.post("/accounts/login/code/", {"otp_token": "000000"}).status_code for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    assert client.get("/gesprekken/").status_code == 302
    assert _login(client, agent).status_code == 429
    assert device.pk  # the device stays: only the login is locked


# --- Session timeout ------------------------------------------------------------------------


def test_a_session_ends_after_the_idle_minutes(client: Client, organisation, settings) -> None:  # type: ignore[no-untyped-def]
    """A login lasts BALIE_SESSION_MINUTES from the last request, not from the login."""
    minutes = settings.SESSION_COOKIE_AGE // 60
    agent = factories.AgentFactory(organisation=organisation)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _login(client, agent)
        clock.shift(dt.timedelta(minutes=minutes - 1))
        assert client.get("/gesprekken/").status_code == 200  # the count starts again
        clock.shift(dt.timedelta(minutes=minutes - 1))
        assert client.get("/gesprekken/").status_code == 200
        clock.shift(dt.timedelta(minutes=minutes + 1))
        gone = client.get("/gesprekken/")
    assert gone.status_code == 302
    assert gone["Location"].startswith("/accounts/login/")


# --- Roles ----------------------------------------------------------------------------------


def test_role_and_is_supervisor_stay_in_step() -> None:
    """Setting either the role or the old is_supervisor flag updates the other on save."""
    agent = factories.AgentFactory(is_supervisor=True)
    assert agent.role == AgentRole.SUPERVISOR
    agent.role = AgentRole.BACKOFFICE
    agent.save()
    assert not Agent.objects.get(pk=agent.pk).is_supervisor
    agent.is_supervisor = True
    agent.save(update_fields=["is_supervisor"])
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.role, stored.is_supervisor) == (AgentRole.SUPERVISOR, True)
    stored.is_supervisor = False
    stored.save()
    assert Agent.objects.get(pk=agent.pk).role == AgentRole.AGENT


def test_apply_sets_the_role() -> None:
    """``role = "backoffice"`` in the configuration file makes a back office agent."""
    apply_config(
        '[organisation]\nslug = "klein"\nname = "Klein"\n\n[[teams]]\nslug = "vak"\n'
        'name = "Vakafdeling"\n\n[[agents]]\nusername = "bo"\nname = "Bo"\nrole = "backoffice"\n'
        'teams = ["vak"]\nlanguages = { nl = 5 }\n'
    )
    agent = Agent.objects.get(user__username="bo")
    assert (agent.role, agent.is_supervisor) == (AgentRole.BACKOFFICE, False)


def test_back_office_sees_only_what_is_forwarded_to_its_teams(organisation) -> None:  # type: ignore[no-untyped-def]
    """A back office agent sees on-hold conversations of their teams; they note, never reply."""
    team = factories.TeamFactory(organisation=organisation)
    clerk = factories.AgentFactory(organisation=organisation, role=AgentRole.BACKOFFICE)
    clerk.teams.add(team)
    forwarded = factories.ConversationFactory(
        organisation=organisation, team=team, status=Status.ON_HOLD
    )
    factories.ConversationFactory(organisation=organisation, team=team, status=Status.QUEUED)
    factories.ConversationFactory(organisation=organisation, status=Status.ON_HOLD)
    assert list(access.visible_conversations(clerk.user)) == [forwarded]
    access.require(clerk.user, forwarded, access.Action.NOTE)
    for action in (access.Action.REPLY, access.Action.STATUS, access.Action.SUPERVISE):
        with pytest.raises(Forbidden):
            access.require(clerk.user, forwarded, action)


def test_back_office_notes_through_the_workspace(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The back office opens a forwarded conversation and adds a note; replying is refused."""
    team = factories.TeamFactory(organisation=organisation)
    clerk = factories.AgentFactory(organisation=organisation, role=AgentRole.BACKOFFICE)
    clerk.teams.add(team)
    forwarded = factories.ConversationFactory(
        organisation=organisation, team=team, status=Status.ON_HOLD
    )
    client.force_login(clerk.user)
    assert client.get(f"/gesprekken/{forwarded.pk}/").status_code == 200
    client.post(f"/gesprekken/{forwarded.pk}/notitie/", {"body": "Paspoort ligt klaar."})
    assert forwarded.messages.filter(direction="note", body="Paspoort ligt klaar.").exists()
    client.post(f"/gesprekken/{forwarded.pk}/antwoord/", {"body": "Hallo"})
    assert not forwarded.messages.filter(body="Hallo").exists()
    assert client.get("/aanbiedingen/").status_code == 403
