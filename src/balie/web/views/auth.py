"""Logging in and out, and where ``/`` leads: the login for visitors, the inbox for agents."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from balie.web.views.common import Role, role_of


def home(request: HttpRequest) -> HttpResponse:
    """``/``: the login, the inbox, or the admin for an administrator without an agent."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    role = role_of(request.user)
    if role == Role.ADMINISTRATOR and not hasattr(request.user, "agent"):
        return redirect("admin:index")
    return redirect("web:inbox")


class LoginView(auth_views.LoginView):
    """A plain form with ``username`` and ``password``; lockout after repeated failures."""

    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, with CSRF) and return to the login."""

    next_page = "web:login"
