"""What every workspace page shares: who is logged in, in which role, and the views they get.

Roles (``docs/authorisation.md``): an *agent* answers contacts; a *supervisor* (teamleider)
also watches and steers the queues; *back office* (vakafdeling) colleagues open the tasks
forwarded to them; an *administrator* configures Balie in the Django admin. Every workspace
view is wrapped in :func:`workspace_view`, which checks the login, the agent profile and the
role before the view runs; a role that may not see a page gets 403, a visitor the login, and
someone whose role needs a second factor (``BALIE_2FA_ROLES``) and has not given it the
code step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from balie.organisations.models import Agent, Organisation


class Role(StrEnum):
    """Who works in the workspace, from least to most."""

    BACKOFFICE = "backoffice"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {
    Role.BACKOFFICE: _("back office"),
    Role.AGENT: _("agent"),
    Role.SUPERVISOR: _("supervisor"),
    Role.ADMINISTRATOR: _("administrator"),
}


def role_of(user: Any) -> Role | None:
    """The user's workspace role; None for someone who has no place in the workspace."""
    if not (user and user.is_authenticated):
        return None
    agent: Agent | None = getattr(user, "agent", None)
    if agent is None:
        return Role.ADMINISTRATOR if user.is_superuser else None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    return Role(agent.role)


def needs_second_factor(user: Any) -> bool:
    """Whether the user's role must log in with a TOTP code (``BALIE_2FA_ROLES``)."""
    role = role_of(user)
    return role is not None and role in settings.BALIE_2FA_ROLES


OIDC_SESSION_KEY = "balie_oidc_login"


def second_factor_pending(request: HttpRequest) -> bool:
    """Logged in with a password, but the role wants a code that was not given yet.

    A login at the organisation's identity provider (OIDC) needs none here: the provider
    applies its own second factor.
    """
    user = request.user
    if request.session.get(OIDC_SESSION_KEY):
        return False
    verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    return needs_second_factor(user) and not (verified is not None and verified())


@dataclass
class Workspace:
    """The logged-in person as every page sees them (``request.workspace``)."""

    user: Any
    role: Role
    agent: Agent | None
    organisation: Organisation | None
    views: list[dict[str, Any]] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        """The agent's name, or the login name of an administrator without an agent profile."""
        return self.agent.display_name if self.agent else str(self.user.get_username())

    @property
    def role_label(self) -> str:
        """The role in the page's language."""
        return str(ROLE_LABELS[self.role])

    @property
    def is_supervisor(self) -> bool:
        """Supervisors and administrators steer queues."""
        return self.role in (Role.SUPERVISOR, Role.ADMINISTRATOR)


View = Callable[..., HttpResponse]


def workspace_view(*roles: Role) -> Callable[[View], View]:
    """Wrap a view: the login first, then a role among ``roles`` (403 otherwise).

    The view receives the request with ``request.workspace`` set.
    """
    allowed = frozenset(roles)

    def wrap(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if second_factor_pending(request):
                return redirect_to_login(request.get_full_path(), reverse("web:login_otp"))
            role = role_of(request.user)
            if role is None or role not in allowed:
                raise PermissionDenied
            agent = getattr(request.user, "agent", None)
            request.workspace = Workspace(  # type: ignore[attr-defined]
                user=request.user,
                role=role,
                agent=agent,
                organisation=agent.organisation if agent else None,
            )
            return view(request, *args, **kwargs)

        return checked

    return wrap


EVERYONE = (Role.BACKOFFICE, Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR)
ANSWERING = (Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR)
STEERING = (Role.SUPERVISOR, Role.ADMINISTRATOR)
