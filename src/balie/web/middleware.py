"""The workspace's language and time zone: the organisation's, never the browser's guess.

Django's ``LocaleMiddleware`` guesses the language from ``Accept-Language``; a contact
centre works in the organisation's language whatever the browser says. :class:`Language`
activates, in this order: the agent's saved choice (``Agent.interface_language``, set by the
header's language switch), the choice of the switch on the login page (the language cookie,
for visitors and administrators without an agent profile), the organisation's language (the
first of ``Organisation.languages`` Balie has a translation for), else ``LANGUAGE_CODE``.
The REST API (``/api/``) is the exception: its clients are programs that ask for a language
explicitly with ``Accept-Language``, and get it.
:class:`TimeZone` activates ``Organisation.time_zone``, else ``TIME_ZONE``.
Both run after ``AuthenticationMiddleware``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

Handler = Callable[[HttpRequest], HttpResponse]


def _agent(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "agent", None)


def _supported(code: str | None) -> str | None:
    codes = {c for c, _name in settings.LANGUAGES}
    return code if code in codes else None


def language_for(request: HttpRequest) -> str:
    """The language a request is answered in (see the module docstring for the order)."""
    if request.path.startswith("/api/"):
        return translation.get_language_from_request(request)
    agent = _agent(request)
    if agent is not None and (chosen := _supported(agent.interface_language)):
        return chosen
    if agent is None and (cookie := _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))):
        return cookie
    if agent is not None:
        for code in agent.organisation.languages or []:
            if supported := _supported(code):
                return supported
    return str(settings.LANGUAGE_CODE)


class Language:
    """Activate the user's, else the organisation's, language; no ``Accept-Language`` guess."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class TimeZone:
    """Show dates and times in the organisation's time zone (``Organisation.time_zone``)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = _agent(request)
        name = agent.organisation.time_zone if agent is not None else settings.TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
