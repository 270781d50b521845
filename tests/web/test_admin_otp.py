"""The Django admin asks the TOTP code of a role listed in BALIE_2FA_ROLES, like the workspace."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from balie.organisations.models import AgentRole
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "wachtwoord-test-123"  # factories.UserFactory


@pytest.fixture(autouse=True)
def _no_code_throttle(settings):  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _admin_user():  # type: ignore[no-untyped-def]
    return factories.UserFactory(is_staff=True, is_superuser=True)


def _admin_login(client: Client, user) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302, response.content[:500]


def test_without_2fa_roles_the_admin_opens_with_the_password(client: Client) -> None:
    """BALIE_2FA_ROLES empty (the default, the demo): the admin index opens after the password."""
    user = _admin_user()
    _admin_login(client, user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/organisations/organisation/").status_code == 200


def test_admin_pages_wait_for_the_code_of_an_administrator(client: Client, settings) -> None:
    """With administrator in BALIE_2FA_ROLES, admin pages lead to the code step until given."""
    settings.BALIE_2FA_ROLES = frozenset({"administrator"})
    user = _admin_user()
    device = TOTPDevice.objects.create(user=user, name="telefoon", confirmed=True)
    _admin_login(client, user)
    for url in ("/admin/", "/admin/organisations/organisation/"):
        refused = client.get(url, follow=True)
        assert refused.redirect_chain[-1][0].startswith("/accounts/login/code/"), url
        assert b"otp_token" in refused.content
    wrong = client.post("/accounts/login/code/", {"otp_token": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    assert client.get("/admin/").status_code == 302
    given = client.post("/accounts/login/code/", {"otp_token": _code(device), "next": "/admin/"})
    assert given["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/organisations/organisation/").status_code == 200


def test_an_administrator_without_authenticator_is_sent_to_set_up(client: Client, settings) -> None:
    """An administrator owing a code but without a device gets the authenticator set-up."""
    settings.BALIE_2FA_ROLES = frozenset({"administrator"})
    user = _admin_user()
    _admin_login(client, user)
    refused = client.get("/admin/", follow=True)
    assert refused.redirect_chain[-1][0].startswith("/accounts/login/authenticator/")
    assert client.get("/admin/organisations/organisation/").status_code == 302


def test_a_staff_supervisor_needs_the_code_in_the_admin_when_supervisors_do(
    client: Client, organisation, settings
) -> None:  # type: ignore[no-untyped-def]
    """A staff user whose agent role is in BALIE_2FA_ROLES is refused the admin without the code."""
    agent = factories.AgentFactory(organisation=organisation, role=AgentRole.SUPERVISOR)
    agent.user.is_staff = True
    agent.user.save(update_fields=["is_staff"])
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    TOTPDevice.objects.create(user=agent.user, name="telefoon", confirmed=True)
    client.post("/accounts/login/", {"username": agent.user.username, "password": PASSWORD})
    refused = client.get("/admin/")
    assert refused.status_code == 302
    assert refused["Location"].startswith("/admin/login/")
    assert client.get(refused["Location"])["Location"].startswith("/accounts/login/code/")


def test_roles_not_listed_keep_the_admin_as_it_was(client: Client, settings) -> None:
    """Only the listed roles owe a code: with supervisor alone listed, an administrator passes."""
    settings.BALIE_2FA_ROLES = frozenset({"supervisor"})
    user = _admin_user()
    _admin_login(client, user)
    assert client.get("/admin/").status_code == 200
