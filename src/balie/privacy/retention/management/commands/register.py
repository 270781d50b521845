"""``balie manage register [--organisation SLUG] [--format markdown|json]``: the register of
processing activities, generated from the configuration."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.organisations.models import Organisation
from balie.privacy.retention.register import entry, markdown


class Command(BaseCommand):
    help = "Print the register of processing activities (Markdown or JSON) per organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="one organisation's slug (default: all)")
        parser.add_argument("--format", choices=("markdown", "json"), default="markdown")

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = Organisation.objects.order_by("pk")
        if options["organisation"]:
            organisations = organisations.filter(slug=options["organisation"])
            if not organisations.exists():
                raise CommandError(f"no organisation {options['organisation']!r}")
        entries = [entry(org) for org in organisations]
        if options["format"] == "json":
            self.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n\n".join(markdown(e) for e in entries))
