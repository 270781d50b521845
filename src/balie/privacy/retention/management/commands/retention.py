"""``balie manage retention [--dry-run] [--organisation SLUG]``: apply the retention terms now
(the daily job does the same), or list what would go without touching anything."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.organisations.models import Organisation
from balie.privacy.retention.job import apply_retention


class Command(BaseCommand):
    help = "Destroy contacts past their retention term; --dry-run lists what would go."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--organisation", help="one organisation's slug (default: all)")
        parser.add_argument("--json", action="store_true", help="one JSON line per organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = Organisation.objects.order_by("pk")
        if options["organisation"]:
            organisations = organisations.filter(slug=options["organisation"])
            if not organisations.exists():
                raise CommandError(f"no organisation {options['organisation']!r}")
        for organisation in organisations:
            outcome = apply_retention(organisation, dry_run=options["dry_run"])
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "organisation": outcome.organisation,
                            "dry_run": outcome.dry_run,
                            "totals": outcome.totals(),
                            "held": outcome.held,
                            "kept": outcome.kept,
                            "conversations": outcome.conversations,
                        }
                    )
                )
                continue
            verb = "would remove" if outcome.dry_run else "removed"
            totals = ", ".join(f"{n} {kind}" for kind, n in outcome.totals().items())
            self.stdout.write(f"{outcome.organisation}: {verb} {totals or 'nothing'}")
            for (kind, channel_kind, topic), n in sorted(outcome.counts.items()):
                scope = " / ".join(s for s in (channel_kind, topic) if s) or "-"
                self.stdout.write(f"  {kind:15} {n:7}  {scope}")
            if outcome.dry_run and outcome.conversations:
                ids = " ".join(str(pk) for pk in outcome.conversations)
                self.stdout.write(f"  conversations: {ids}")
            self.stdout.write(
                f"  passed by: {outcome.held} on legal hold, {outcome.kept} kept for the archive"
            )
