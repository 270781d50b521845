"""API authentication with hashed tokens: ``Authorization: Token <key>``.

Only the key's SHA-256 digest is stored (:mod:`balie.api.models`); a token is shown once,
when :func:`do_create_token` makes it (``POST /api/v1/auth/token/`` in :mod:`balie.api.login`,
or ``balie manage create_token``). This module is loaded by DRF's settings, so it imports no
DRF views.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from balie.api.models import PREFIX_LENGTH, ApiToken, new_token_key, token_digest
from balie.core import clock

log = structlog.get_logger(__name__)

# How stale last_used_at may get before a request writes it again: one write an hour per
# token instead of one per request (SQLite has a single writer).
LAST_USED_PRECISION = timedelta(hours=1)


def do_create_token(user: User, *, name: str = "", rotate: bool = False) -> str:
    """Create an API token for ``user`` and return its key: the only time the key is known.

    With ``rotate`` the user's other tokens are revoked in the same transaction.
    """
    key = new_token_key()
    with transaction.atomic():
        if rotate:
            ApiToken.objects.filter(user=user).delete()
        token = ApiToken.objects.create(
            user=user, digest=token_digest(key), prefix=key[:PREFIX_LENGTH], name=name
        )
    log.info("api_token_created", user_id=user.pk, token_id=token.pk, rotated=rotate)
    return key


class HashedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored digest of the key."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        """The user and token whose digest matches ``key``; 401 when none or inactive."""
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("invalid token")
        now = clock.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
