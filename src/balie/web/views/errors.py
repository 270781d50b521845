"""Refusals of the actions (``balie.core.errors``) in the page's language, saying what to do."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from balie.core.errors import BalieError, Forbidden, WorkflowViolation

TEXTS = {
    "empty_body": _("The message is empty. Type a message first."),
    "too_long": _("The message is too long. Shorten it and send it again."),
    "conversation_closed": _(
        "This conversation is closed. Start a new conversation to contact the citizen."
    ),
    "whatsapp_window_closed": _(
        "The citizen has not written in the last 24 hours: WhatsApp allows only an approved "
        "template now. Choose a template."
    ),
    "template": _("Choose an approved template."),
    "template_parameters": _("Fill in every field of the template."),
    "parameter": _("A template field is too long or has a line break."),
    "media_type": _(
        "WhatsApp does not take this kind of file. Send a photo, video, audio, PDF or "
        "office document."
    ),
    "media_size": _("The file is empty or larger than 16 MB. Choose a smaller file."),
    "files_not_supported": _("This channel cannot send files."),
    "no_file": _("Choose a file first."),
    "retry_media": _("Choose the file again to send it once more."),
    "not_failed": _("This message did not fail; there is nothing to send again."),
    "reply_to": _("The message you reply to is not in this conversation."),
    "not_eligible": _(
        "This needs a skill, training, language or free capacity the agent does not have. "
        "Choose someone else or a team."
    ),
    "not_assigned": _("Only the agent of this conversation or a supervisor may do this."),
    "not_a_supervisor": _("Only a supervisor may do this."),
    "not_an_agent": _("Only agents can answer or change conversations."),
    "reason_required": _("Give a reason."),
    "unknown_agent": _("Choose a colleague from the list."),
    "same_agent": _("The conversation is already yours."),
    "unknown_team": _("Choose a team from the list."),
    "unknown_topic": _("Choose a topic from the list."),
    "language": _("A language is a two- or three-letter code, such as nl or en."),
    "language_not_served": _("The organisation does not serve this language."),
    "label": _("A label is at most 50 characters."),
    "labels": _("A conversation has at most 20 labels."),
    "not_phone": _("Only a phone call has an after-call form."),
    "four_eyes": _("A second person must confirm this block: ask a colleague or supervisor."),
    "conduct_step": _(
        "This step of the procedure is not possible now. Choose one of the steps shown."
    ),
    "conduct_messages": _("Choose the messages from the list of this conversation."),
    "until_past": _("The end date of the block has passed. Choose a later date."),
    "until": _("Give the end date as a date, or leave it empty for a permanent block."),
    "already_wrapped_up": _(
        "The after-call form of this call was sent already. Add a note to add something."
    ),
    "personal_data_warning": _(
        "This channel is not safe for personal data such as a BSN, bank account, passport "
        "number, date of birth or address. Offer a call back or e-mail instead, or send the "
        "same text again to send it anyway."
    ),
    "personal_data_blocked": _(
        "This channel is not safe for personal data such as a BSN, bank account, passport "
        "number, date of birth or address, and your organisation blocks sending it here. "
        "Offer a call back or e-mail instead."
    ),
    "callback_done": _("This call-back request was done already."),
}
MENTIONED = re.compile(r"@[\w.+-]+")


def dutch(exc: BalieError) -> str:
    """The refusal in words for the agent (in the active language; Dutch by default)."""
    if exc.code == "mention_not_visible":
        names = ", ".join(MENTIONED.findall(exc.message))
        return str(
            _("%(names)s cannot see this conversation. Mention only colleagues who can.")
        ) % {"names": names}
    if exc.code in TEXTS:
        return str(TEXTS[exc.code])
    if isinstance(exc, WorkflowViolation):
        return str(_("This step is not possible in the conversation's current status."))
    if isinstance(exc, Forbidden):
        return str(_("You may not do this on this conversation."))
    return str(_("That did not work. Check what you entered and try again."))
