"""``balie manage verify_audit``: check the audit trail's hash chain; exit 1 at a broken link."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.audit.verify import verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exit non-zero with the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = verify()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": verdict.ok,
                        "checked": verdict.checked,
                        "first_seq": verdict.first_seq,
                        "last_seq": verdict.last_seq,
                        "broken_at": verdict.broken_at,
                        "problem": verdict.problem,
                    }
                )
            )
        if not verdict.ok:
            raise CommandError(
                f"audit chain broken at entry {verdict.broken_at}: {verdict.problem} "
                f"({verdict.checked} entries before it hold)"
            )
        if not options["json"]:
            self.stdout.write(
                f"audit chain intact: entries {verdict.first_seq}–{verdict.last_seq} "
                f"({verdict.checked} checked)"
            )
