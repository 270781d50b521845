"""E-mail in the workspace and the admin: subject, folded quote and signature, sanitised HTML
with inline images through the attachment view; quarantine listed and processed again."""

from __future__ import annotations

from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from django.test import Client

from balie.channels.email.models import QuarantinedMail
from balie.channels.email.samples import build
from balie.conversations.models import Attachment, Conversation, Message
from tests import factories


def _inline_image_mail() -> bytes:
    root = MIMEMultipart("related")
    root["From"] = "Els <els@burger.example>"
    root["Subject"] = "Foto van de container"
    root["Message-ID"] = "<img1@burger.example>"
    root.attach(
        MIMEText(
            '<p>Zie foto <img src="cid:foto1"><img src="https://tracker.example/p.gif">'
            "<script>alert(1)</script></p>",
            "html",
        )
    )
    image = MIMEImage(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "png")
    image["Content-ID"] = "<foto1>"
    image["Content-Disposition"] = "inline"
    root.attach(image)
    return root.as_bytes()


def test_email_renders_in_the_conversation(import_mail, organisation, client: Client):
    """The page shows the subject, the citizen's words, the quote and signature folded, the
    HTML sanitised with the inline image from the attachment view and no remote image."""
    import_mail(
        build(
            message_id="<w1@burger.example>",
            subject="Paspoort",
            body="Wanneer kan ik langskomen?\n\n-- \nJan de Vries\nDorpsstraat 1\n\n"
            "Op 2 nov. 2026 schreef Gemeente:\n> Uw afspraak",
        ),
        _inline_image_mail(),
    )
    agent = factories.AgentFactory(organisation=organisation, user__username="sanne")
    agent.user.is_superuser = True
    agent.user.save()
    client.force_login(agent.user)
    first = Conversation.objects.get(messages__provider_id="<w1@burger.example>")
    html = client.get(f"/gesprekken/{first.pk}/").content.decode()
    assert "<strong>Paspoort</strong>" in html
    assert "Wanneer kan ik langskomen?" in html
    assert '<pre class="balie-mail__pre">Op 2 nov. 2026 schreef Gemeente:' in html
    assert "Dorpsstraat 1" in html  # inside the folded signature
    second = Conversation.objects.get(messages__provider_id="<img1@burger.example>")
    html = client.get(f"/gesprekken/{second.pk}/").content.decode()
    image = Attachment.objects.get(message__provider_id="<img1@burger.example>")
    assert f'src="/attachments/{image.pk}/"' in html
    assert "tracker.example" not in html
    assert "alert(1)" not in html


def test_quarantine_is_listed_and_processed_again(import_mail, mail_channel, client: Client):
    """An administrator sees the quarantined mail with its reason; after the cause is gone,
    "Process again" stores it."""
    import_mail(b"Subject: kapot\n\nzonder afzender\n")
    row = QuarantinedMail.objects.get()
    admin = factories.UserFactory(username="beheer", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/email_channel/quarantinedmail/").content.decode()
    assert "no sender address" in listing
    QuarantinedMail.objects.filter(pk=row.pk).update(
        raw=b"From: kees@burger.example\nMessage-ID: <fixed@b.example>\n\nhallo\n"
    )
    response = client.post(
        "/admin/email_channel/quarantinedmail/",
        {"action": "process_again", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.processed_at is not None
    assert Message.objects.filter(provider_id="<fixed@b.example>").exists()


def test_composer_shows_the_reply_subject_and_bounce(import_mail, organisation, client: Client):
    """Above the composer: the address and the Re: subject with the token; a bounce warns."""
    import_mail(build(message_id="<s1@burger.example>", subject="Re: Afvalpas"))
    conversation = Conversation.objects.get()
    agent = factories.AgentFactory(organisation=organisation, user__username="sanne")
    agent.user.is_superuser = True
    agent.user.save()
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert f"Re: Afvalpas [#B-{conversation.pk}]" in html
    assert "jan@burger.example" in html
    assert "utrecht-alert--warning" not in html
    from balie.channels.email.models import UndeliverableAddress
    from balie.core import clock

    UndeliverableAddress.objects.create(
        organisation=organisation, address="jan@burger.example", last_bounce_at=clock.now()
    )
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "utrecht-alert--warning" in html
