"""Logging in and out, the second step, the language switch, and where ``/`` leads.

The password form counts failures with django-axes (``BALIE_LOGIN_FAILURE_LIMIT``); a
locked-out login sees the form again with a Dutch explanation. A role listed in
``BALIE_2FA_ROLES`` then gives a TOTP code (:func:`login_otp`), or, at the first login
without an authenticator, sets one up (:func:`otp_setup`); wrong codes count toward the
same lockout. With ``BALIE_OIDC_CLIENT_ID`` set, the login page also offers the
organisation's identity provider (:mod:`balie.web.oidc`).
"""

from __future__ import annotations

from typing import Any

import segno
import structlog
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from mozilla_django_oidc import views as oidc_views

from balie.organisations.actions import do_set_interface_language
from balie.web.views.common import (
    OIDC_SESSION_KEY,
    Role,
    needs_second_factor,
    role_of,
    second_factor_pending,
)

log = structlog.get_logger(__name__)


def _locked_out_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return _(
        "Too many failed login attempts. Your account is locked for %(minutes)s minutes; "
        "try again later or ask an administrator."
    ) % {"minutes": minutes}


def home(request: HttpRequest) -> HttpResponse:
    """``/``: the login, the inbox, or the admin for an administrator without an agent."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    role = role_of(request.user)
    if role == Role.ADMINISTRATOR and not hasattr(request.user, "agent"):
        return redirect("admin:index")
    return redirect("web:inbox")


class LoginView(auth_views.LoginView):
    """Username and password; lockout after repeated failures; then the code if required."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The form, and the identity provider's button when OIDC is on."""
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.BALIE_OIDC_ENABLED
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        """Wrong password: the form again; locked out: the form with the lockout in Dutch."""
        if getattr(self.request, "axes_locked_out", False):
            # answered here, on the form, rather than by AxesMiddleware's bare page
            self.request.axes_locked_out = False  # type: ignore[attr-defined]
            log.warning("login_locked_out", path=self.request.path)
            context = self.get_context_data(form=form, locked_out=_locked_out_message())
            return self.render_to_response(context, status=429)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        """Log in; a role that needs a second factor continues to the code step."""
        response = super().form_valid(form)
        if needs_second_factor(self.request.user):
            step = "web:login_otp" if user_has_device(self.request.user) else "web:otp_setup"
            return redirect_to_login(self.get_success_url(), reverse(step))
        return response


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, with CSRF) and return to the login."""

    next_page = "web:login"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("web:home")


def _code_failed(request: HttpRequest) -> bool:
    """Count a wrong code like a wrong password; True when that locked the login out."""
    credentials = {"username": request.user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_allowed(request, credentials):
        return False
    log.warning("login_locked_out", path=request.path, step="otp")
    logout(request)
    return True


def _verify(request: HttpRequest, device: Any, template: str, context: dict[str, Any]):
    """Check the posted code on ``device``; log the device in or answer the form again."""
    code = request.POST.get("otp_token", "").strip().replace(" ", "")
    if code.isdigit() and device.verify_token(code):
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        otp_login(request, device)
        log.info("login_second_factor", user_id=request.user.pk)
        return HttpResponseRedirect(_next(request))
    if _code_failed(request):
        form_context = {"locked_out": _locked_out_message(), "oidc_enabled": False}
        return render(request, "web/login.html", form_context, status=429)
    context["error"] = _("The code is not correct. Enter the 6 digits your app shows now.")
    return render(request, template, context, status=400)


def _pending_or_login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(_next(request))
    if not second_factor_pending(request):
        return HttpResponseRedirect(_next(request))
    return None


@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    """The second step: the 6-digit code from the authenticator app."""
    if (answer := _pending_or_login(request)) is not None:
        return answer
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect_to_login(_next(request), reverse("web:otp_setup"))
    context = {"next": _next(request)}
    if request.method == "POST":
        return _verify(request, device, "web/login_otp.html", context)
    return render(request, "web/login_otp.html", context)


@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First login of a role that needs a code: the secret to add to an authenticator app."""
    if (answer := _pending_or_login(request)) is not None:
        return answer
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect_to_login(_next(request), reverse("web:login_otp"))
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Balie"}
    )
    uri = device.config_url
    context = {
        "next": _next(request),
        "secret": _base32(device.bin_key),
        "uri": uri,
        # segno writes the SVG from the URI alone: nothing of a user's text goes in unescaped
        "qr_svg": mark_safe(  # noqa: S308
            segno.make(uri, error="m")
            .svg_inline(scale=4, title=_("QR code"))
            .replace("<svg ", '<svg role="img" ', 1)
        ),
    }
    if request.method == "POST":
        return _verify(request, device, "web/otp_setup.html", context)
    return render(request, "web/otp_setup.html", context)


def _base32(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: saved on the agent, so it follows them everywhere."""
    response = django_set_language(request)
    agent = getattr(request.user, "agent", None) if request.user.is_authenticated else None
    language = request.POST.get("language", "")
    codes = {code for code, _name in settings.LANGUAGES}
    if agent is not None and language in codes:
        do_set_interface_language(agent.pk, language)
    return response


def _oidc_on() -> None:
    if not settings.BALIE_OIDC_ENABLED:
        raise Http404


def oidc_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the organisation's identity provider (404 when OIDC is off)."""
    _oidc_on()
    return oidc_views.OIDCAuthenticationRequestView.as_view()(request)


def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: mozilla-django-oidc verifies it and logs the person in."""
    _oidc_on()
    response = oidc_views.OIDCAuthenticationCallbackView.as_view()(request)
    if request.user.is_authenticated:
        # the provider does its own second factor: Balie's TOTP step is for local passwords
        request.session[OIDC_SESSION_KEY] = True
    return response
