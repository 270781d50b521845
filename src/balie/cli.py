"""The ``balie`` command: demo, serve, worker, apply, and Django's commands via ``manage``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    import django

    django.setup()


def _manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["balie manage", *argv])
    return 0


def _add_text_parser(sub: Any) -> None:
    """``balie text analyse [--languages nl,en,…]`` (balie.replies.cli)."""
    p_text = sub.add_parser("text", help="text tools")
    text_sub = p_text.add_subparsers(dest="text_command", required=True)
    p_analyse = text_sub.add_parser("analyse", help="language, tone and abuse flag (JSON lines)")
    p_analyse.add_argument(
        "--languages", default=None, help="e.g. nl,en,es (default: the organisation's)"
    )


def _add_privacy_parser(sub: Any) -> None:
    """``balie privacy scan`` (balie.privacy.detection.cli)."""
    p_privacy = sub.add_parser("privacy", help="privacy tools")
    privacy_sub = p_privacy.add_subparsers(dest="privacy_command", required=True)
    privacy_sub.add_parser("scan", help="personal data in JSON lines {id, text} on stdin")


def _add_email_parser(sub: Any) -> None:
    """``balie email import PATH… --channel KEY`` (balie.channels.email.cli)."""
    p_email = sub.add_parser("email", help="e-mail tools")
    email_sub = p_email.add_subparsers(dest="email_command", required=True)
    p_import = email_sub.add_parser("import", help=".eml files, Maildir folders, mbox files")
    p_import.add_argument("paths", nargs="+", metavar="PATH")
    p_import.add_argument("--channel", required=True, help="the e-mail channel's key")


# One dispatcher over the commands; each command's work lives in its own module.
def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="balie", description="Balie contact centre")
    sub = parser.add_subparsers(dest="command", required=True)

    p_demo = sub.add_parser("demo", help="fresh demo database, server, worker and citizens")
    p_demo.add_argument("--port", type=int, default=8000)
    p_demo.add_argument("--rate", type=float, default=6.0, help="simulated messages per minute")
    p_demo.add_argument("--config", default=None, help="organisation TOML (default: gemeente)")

    p_serve = sub.add_parser("serve", help="ASGI server (with the in-process worker by default)")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--migrate", action="store_true", help="apply migrations first")

    p_worker = sub.add_parser("worker", help="run background tasks and periodic jobs")
    p_worker.add_argument("--queues", default="*", help="comma-separated queue names")

    p_apply = sub.add_parser("apply", help="apply a declarative organisation config (TOML)")
    p_apply.add_argument("file")
    p_apply.add_argument("--dry-run", action="store_true", help="validate and roll back")

    p_routing = sub.add_parser("routing", help="routing tools")
    routing_sub = p_routing.add_subparsers(dest="routing_command", required=True)
    p_simulate = routing_sub.add_parser("simulate", help="simulate routing policies (JSON)")
    p_simulate.add_argument("file")

    p_sla = sub.add_parser("sla", help="service-level tools")
    sla_sub = p_sla.add_subparsers(dest="sla_command", required=True)
    p_due = sla_sub.add_parser("due", help="due times for cases on a calendar (JSON)")
    p_due.add_argument("file")

    _add_text_parser(sub)

    _add_privacy_parser(sub)

    _add_email_parser(sub)
    sub.add_parser("manage", help="Django management commands", add_help=False)

    if argv[:1] == ["manage"]:
        return _manage(argv[1:])
    args = parser.parse_args(argv)

    if args.command == "demo":
        from balie.demo import run_demo

        return run_demo(port=args.port, rate_per_minute=args.rate, config=args.config)
    if args.command == "routing":
        from balie.routing.simulate.cli import main as simulate_main

        return simulate_main(args.file)
    if args.command == "sla":
        from balie.sla.cli import main as sla_main

        return sla_main(args.file)
    if args.command == "privacy":
        from balie.privacy.detection.cli import main as privacy_main

        return privacy_main()
    if args.command == "text":
        from balie.replies.cli import main as text_main

        return text_main(args.languages)
    _setup()
    if args.command == "serve":
        from balie.server import serve

        return serve(host=args.host, port=args.port, migrate=args.migrate)
    if args.command == "worker":
        from balie.server import run_worker

        return run_worker(queues=[q for q in args.queues.split(",") if q])
    if args.command == "email":
        from balie.channels.email.cli import import_main

        return import_main(args.paths, args.channel)
    if args.command == "apply":
        from balie.organisations.apply import ApplyError, apply_file

        try:
            summary = apply_file(args.file, dry_run=args.dry_run)
        except ApplyError as exc:
            print(f"balie apply: {exc}", file=sys.stderr)
            return 2
        print(summary)
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
