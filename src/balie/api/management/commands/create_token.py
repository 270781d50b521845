"""``balie manage create_token USER``: create an API token for a user and print it, once.

Only the token's digest is stored, so it cannot be shown again: each run makes a new token
(keep several for several integrations); ``--rotate`` revokes the user's other tokens.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.api.auth import do_create_token


class Command(BaseCommand):
    help = "Create an API token for USER and print it (shown only now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--rotate", action="store_true", help="revoke the user's others")

    def handle(self, *args: Any, username: str, name: str, rotate: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        self.stdout.write(do_create_token(user, name=name, rotate=rotate))
