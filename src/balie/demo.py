"""``balie demo``: a fresh demo organisation on SQLite, served with simulated citizens.

Applies ``examples/gemeente.toml`` to a new database under ``var/demo``, starts the ASGI
server and the in-process worker, and lets simulated citizens write through the real inbound
path. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEMO_PASSWORD = "balie-demo"  # noqa: S105 -- a demo login on a local database, printed on start
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _fresh_environment(data_dir: Path) -> None:
    os.environ["BALIE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"balie.sqlite3{suffix}").unlink(missing_ok=True)
    # Channel secrets come from the environment; the demo invents them.
    for name in (
        "ZUIDERHAVEN_FORM_SECRET",
        "ZUIDERHAVEN_WA_APP_SECRET",
        "ZUIDERHAVEN_WA_TOKEN",
        "ZUIDERHAVEN_WA_VERIFY_TOKEN",
    ):
        os.environ.setdefault(name, secrets.token_urlsafe(24))


def run_demo(*, port: int = 8000, rate_per_minute: float = 6.0, config: str | None = None) -> int:
    """Run the demo until Ctrl-C."""
    data_dir = Path(os.environ.get("BALIE_DATA_DIR", "var")).resolve() / "demo"
    data_dir.mkdir(parents=True, exist_ok=True)
    _fresh_environment(data_dir)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from balie.api.auth import do_create_token
    from balie.channels.models import Channel
    from balie.channels.simulators.citizens import WebFormCitizens
    from balie.channels.simulators.whatsapp import WhatsAppSimulator
    from balie.organisations.actions import do_set_presence
    from balie.organisations.apply import apply_file
    from balie.organisations.models import Agent
    from balie.server import serve

    call_command("migrate", verbosity=0)
    print(apply_file(config or str(EXAMPLES / "gemeente.toml")))
    user_model = get_user_model()
    admin = user_model.objects.create_superuser("beheer", "beheer@example.invalid", DEMO_PASSWORD)
    for agent in Agent.objects.select_related("user"):
        agent.user.set_password(DEMO_PASSWORD)
        agent.user.is_staff = True
        agent.user.save()
        do_set_presence(agent.pk, "available")
    whatsapp_every = max(2.0, 120.0 / max(rate_per_minute, 0.1))
    form = Channel.objects.get(kind="api")
    citizens = WebFormCitizens(
        f"http://127.0.0.1:{port}",
        form.key,
        form.secrets["signing_secret"],
        rate_per_minute=rate_per_minute,
    )
    citizens.start(writing=False)
    # Demo wiring: point the form channel's replies at the simulated citizens.
    Channel.objects.filter(pk=form.pk).update(
        settings={**form.settings, "callback_url": citizens.callback_url}
    )
    whatsapp_channel = Channel.objects.get(kind="whatsapp")
    whatsapp = WhatsAppSimulator(
        webhook_url=f"http://127.0.0.1:{port}/webhooks/whatsapp/{whatsapp_channel.key}/",
        auto_status=True,  # Balie's sends come back as sent → delivered → read
    ).start()
    # Demo wiring: the WhatsApp channel talks to the local Graph API simulator, not to Meta.
    whatsapp.configure(whatsapp_channel)
    # Demo wiring: a web chat whose example page Balie serves (its own origin is allowed).
    from balie.channels.webchat.demo import demo_channel

    webchat = demo_channel(form.organisation_id)
    from balie.channels.email.demo import start_demo_mail  # sample mails, a local SMTP sink

    mail = start_demo_mail(Channel.objects.filter(kind="email").order_by("pk").first())
    supervisor = Agent.objects.filter(is_supervisor=True).select_related("user").first()
    agent = Agent.objects.filter(is_supervisor=False).select_related("user").order_by("pk").first()
    # Stored as a digest only: this line is the one time the demo's API token can be read.
    api_token = do_create_token(supervisor.user if supervisor else admin, name="demo")
    print(
        f"\nBalie demo on http://127.0.0.1:{port}/\n"
        f"  workspace:  http://127.0.0.1:{port}/   agent login "
        f"{agent.user.username if agent else '-'} / {DEMO_PASSWORD}, supervisor "
        f"{supervisor.user.username if supervisor else '-'} / {DEMO_PASSWORD}\n"
        f"  admin:      http://127.0.0.1:{port}/admin/   login {admin.username} / {DEMO_PASSWORD}\n"
        f"  API:        http://127.0.0.1:{port}/api/v1/  Authorization: Token {api_token}\n"
        f"  OpenAPI:    http://127.0.0.1:{port}/api/v1/schema/\n"
        f"  WhatsApp:   Graph API simulator on {whatsapp.root_url}\n"
        f"  Web chat:   http://127.0.0.1:{port}/webchat/example/{webchat.key}/  (the widget)\n"
        f"{mail.describe()}\n"
        f"  citizens write about {rate_per_minute:g} web-form messages a minute and a WhatsApp\n"
        f"  message every {whatsapp_every:g} s. Ctrl-C stops.\n",
        flush=True,
    )
    import threading

    threading.Timer(1.0, citizens.start_writing).start()
    threading.Timer(1.0, whatsapp.autoplay, kwargs={"every_seconds": whatsapp_every}).start()
    # Meta reviews the submitted templates; the simulator approves them through the webhook.
    for name, language in whatsapp_channel.whatsapp_templates.values_list("name", "language"):
        threading.Timer(1.0, whatsapp.template_status, args=(name, language, "APPROVED")).start()
    try:
        return serve(host="127.0.0.1", port=port)
    finally:
        citizens.stop()
        whatsapp.stop()
        mail.stop()
