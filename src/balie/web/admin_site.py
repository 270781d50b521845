"""The Django admin under the same second-factor rule as the workspace.

A role listed in ``BALIE_2FA_ROLES`` (administrators included) gives its TOTP code before
any admin page opens, exactly as before any workspace page: :meth:`BalieAdminSite.has_permission`
asks the one helper :func:`balie.web.views.common.second_factor_pending` that
``workspace_view`` asks. The admin's own login form leads such a user on to the code step
(or the authenticator set-up) instead of showing its "not authorised" form. Without
``BALIE_2FA_ROLES`` (the default and the demo) the admin is Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse


class BalieAdminSite(AdminSite):
    """Django's admin site that also wants the second factor where the role needs one."""

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff as in Django, and the code given when the role needs it."""
        from balie.web.views.common import second_factor_pending

        if not super().has_permission(request):
            return False
        return not second_factor_pending(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """A logged-in user still owing the code goes to the code step, else Django's form."""
        from django.contrib.auth.views import redirect_to_login
        from django.urls import reverse
        from django_otp import user_has_device

        from balie.web.views.common import second_factor_pending

        if request.user.is_authenticated and second_factor_pending(request):
            step = "web:login_otp" if user_has_device(request.user) else "web:otp_setup"
            target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect_to_login(target, reverse(step))
        return super().login(request, extra_context)


class BalieAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`BalieAdminSite` as ``admin.site``."""

    default_site = "balie.web.admin_site.BalieAdminSite"
