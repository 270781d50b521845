"""Identity verification: the organisation's site vouches for a logged-in visitor with an
HMAC-SHA256 of the visitor's identifier, keyed with the channel's ``identity_secret``.

Pure: no Django. The site computes ``hex(hmac_sha256(secret, identifier))`` on its server
and puts it in the page; the widget passes it on; Balie checks it here.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_IDENTIFIER = 320


class IdentityRefused(Exception):
    """The identity proof is missing, malformed or wrong; ``code`` names which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def identity_hmac(secret: str, identifier: str) -> str:
    """The proof for ``identifier``: lower-case hex HMAC-SHA256 keyed with ``secret``."""
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def check_identity(secret: str, identifier: str, proof: str) -> str:
    """The identifier when ``proof`` is its HMAC under ``secret``; raise IdentityRefused."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > MAX_IDENTIFIER:
        raise IdentityRefused("identity_invalid", "the identifier is empty or too long")
    if not secret:
        raise IdentityRefused(
            "identity_not_configured", "this chat does not accept verified identities"
        )
    expected = identity_hmac(secret, identifier)
    given = (proof or "").strip().lower()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape")):
        raise IdentityRefused("identity_invalid", "the identity proof (hmac) does not match")
    return identifier
