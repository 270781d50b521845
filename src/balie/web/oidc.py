"""Login at the organisation's identity provider (OpenID Connect), off unless configured.

mozilla-django-oidc runs the code flow and verifies the ID token against the provider's
keys; this backend decides who the verified person is in Balie. The user is found by the
username claim (``BALIE_OIDC_USERNAME_CLAIM``), else by e-mail, else created with an agent
profile in ``BALIE_OIDC_ORGANISATION``. Their role comes from the role claim through
``BALIE_OIDC_ROLE_MAP`` at every login; a person whose claim maps to no role is refused, so
the identity provider, not Balie, decides who works in the workspace. ``administrator``
marks the user a superuser (the Django admin); the other roles set ``Agent.role``.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from balie.organisations.models import Agent, AgentRole, Organisation

log = structlog.get_logger(__name__)

ADMINISTRATOR = "administrator"


def role_from_claims(claims: dict[str, Any]) -> str | None:
    """The Balie role the claims map to (the most powerful when several match), or None."""
    raw = claims.get(settings.OIDC_ROLE_CLAIM, [])
    values = [raw] if isinstance(raw, str) else list(raw or [])
    roles = {settings.OIDC_ROLE_MAP[v] for v in values if v in settings.OIDC_ROLE_MAP}
    for role in (ADMINISTRATOR, AgentRole.SUPERVISOR, AgentRole.AGENT, AgentRole.BACKOFFICE):
        if role in roles:
            return str(role)
    return None


class Backend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Find, link or create the Balie user and agent for a verified ID token."""

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        """The ID token's payload; a bad signature or nonce refuses the login (no bare 400)."""
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation as exc:
            log.warning("oidc_token_refused", reason=str(exc))
            return None

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """Only people with a username and a role that maps to Balie may log in."""
        ok = bool(claims.get(settings.OIDC_USERNAME_CLAIM)) and role_from_claims(claims) is not None
        if not ok:
            log.warning("oidc_login_refused", subject=claims.get("sub"))
        return ok

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Any]:
        """The user named by the username claim, else the one with the claim's e-mail."""
        users = get_user_model().objects
        found = users.filter(username=claims.get(settings.OIDC_USERNAME_CLAIM))
        if not found.exists() and (email := claims.get("email")):
            found = users.filter(email__iexact=email)
        return found

    def create_user(self, claims: dict[str, Any]) -> Any:
        """A new user (no password) with an agent profile in the configured organisation."""
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=claims[settings.OIDC_USERNAME_CLAIM], email=claims.get("email", "")
            )
            self._apply_role(user, claims)
        log.info("oidc_user_created", user_id=user.pk)
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        """Bring the role in line with the provider's claim at every login."""
        with transaction.atomic():
            self._apply_role(user, claims)
        return user

    def _apply_role(self, user: Any, claims: dict[str, Any]) -> None:
        role = role_from_claims(claims)
        if user.is_superuser != (role == ADMINISTRATOR):
            user.is_superuser = user.is_staff = role == ADMINISTRATOR
            user.save(update_fields=["is_superuser", "is_staff"])
        if role == ADMINISTRATOR:
            return
        agent = Agent.objects.filter(user=user).first()
        if agent is None:
            organisation = Organisation.objects.get(slug=settings.OIDC_ORGANISATION)
            name = claims.get("name") or user.get_username()
            agent = Agent(organisation=organisation, user=user, display_name=name)
        if agent.role != role or agent.pk is None:
            agent.role = str(role)
            agent.save()
        log.info("oidc_role_applied", user_id=user.pk, role=role)
