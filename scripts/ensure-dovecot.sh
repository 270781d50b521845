#!/usr/bin/env bash
# What the e-mail tests (tests/email/) need: Debian's Dovecot IMAP server, installed (root,
# as in CI) but never started as a system service; each test starts a private instance on a
# free loopback port (tests/email/dovecot.py). Called by `make test`.
#
# If Dovecot cannot be installed this script says so and goes on: the IMAP tests then FAIL
# with the same message.
set -euo pipefail

if [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-dovecot: installing Debian's dovecot-imapd (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null 2>&1 || {
      apt-get update -q >/dev/null || echo "ensure-dovecot: apt-get update failed" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null \
        || echo "ensure-dovecot: apt-get install dovecot-imapd FAILED" >&2
    }
  else
    echo "ensure-dovecot: /usr/sbin/dovecot is missing and cannot be installed here (needs" \
         "root and apt-get): run 'apt-get install dovecot-imapd' as root; the IMAP tests" \
         "will fail" >&2
  fi
fi

if [ -x /usr/sbin/dovecot ]; then
  echo "ensure-dovecot: dovecot $(/usr/sbin/dovecot --version 2>/dev/null || echo '?')"
fi
