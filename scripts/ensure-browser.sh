#!/usr/bin/env bash
# What the browser tests (tests/browser/, pytest -m browser) need, installed, never downloaded
# by a tool of its own: Debian's Chromium from apt (root, as in CI), the `playwright` Python
# package from the dev extras (pinned in pyproject.toml; its driver ships inside the wheel) and
# axe-core, vendored in tests/browser/vendor/. Called by `make test`.
#
# If Chromium cannot be installed this script says so and goes on: the browser tests then FAIL
# with the same message (they skip only when BALIE_SKIP_BROWSER=1 is set explicitly, never
# in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ "${BALIE_SKIP_BROWSER:-}" = "1" ] && [ -z "${CI:-}" ]; then
  echo "ensure-browser: BALIE_SKIP_BROWSER=1, browser tests will be skipped"
  exit 0
fi

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: installing Debian's chromium (apt-get)"
    apt-get update -q >/dev/null || echo "ensure-browser: apt-get update failed" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || echo "ensure-browser: apt-get install chromium FAILED" >&2
  else
    echo "ensure-browser: $CHROMIUM is missing and cannot be installed here (needs root and" \
         "apt-get): run 'apt-get install chromium' as root; the browser tests will fail" >&2
  fi
fi

if [ -x "$CHROMIUM" ]; then
  echo "ensure-browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
fi

if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import playwright" 2>/dev/null; then
  # the dev extras pin it; a venv made before the pin gets it here
  pin=$(grep -o '"playwright==[^"]*"' pyproject.toml | tr -d '"')
  .venv/bin/python -m pip install -q "$pin"
fi

test -s tests/browser/vendor/axe.min.js || {
  echo "ensure-browser: tests/browser/vendor/axe.min.js is missing (vendored axe-core)" >&2
  exit 1
}
