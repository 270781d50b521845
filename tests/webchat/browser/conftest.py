"""The browser fixtures of tests/browser (the live uvicorn server with its worker, Debian's
Chromium through Playwright, the people who log in), for the web chat's browser test."""

from tests.browser.conftest import (  # noqa: F401 -- fixtures
    browser,
    context,
    live_app,
    organisation,
    page,
    people,
)
