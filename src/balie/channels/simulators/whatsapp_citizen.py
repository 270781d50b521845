"""A simulated citizen: every WhatsApp message type, sent to Balie as a signed webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from balie.channels.simulators.whatsapp_payloads import message, message_value, new_wamid

if TYPE_CHECKING:
    from balie.channels.simulators.whatsapp import WhatsAppSimulator


class Citizen:
    """Someone writing from their phone; each method sends one message and returns its wamid."""

    def __init__(self, sim: WhatsAppSimulator, wa_id: str, name: str, user_id: str = "") -> None:
        self.sim = sim
        self.wa_id = wa_id
        self.name = name
        self.user_id = user_id
        self.last_response: httpx.Response | None = None

    def build(
        self,
        kind: str,
        content: Any,
        *,
        reply_to: str = "",
        forwarded: bool = False,
        wamid: str = "",
    ) -> dict[str, Any]:
        """The raw message dict (not sent), for batching several into one POST."""
        context: dict[str, Any] = {}
        if reply_to:
            context = {"from": self.sim.display_phone_number, "id": reply_to}
        if forwarded:
            context["forwarded"] = True
        return message(
            self.wa_id,
            kind,
            content,
            wamid=wamid or new_wamid(),
            context=context or None,
            user_id=self.user_id,
        )

    def send(self, *messages: dict[str, Any]) -> httpx.Response:
        """POST the given messages in one webhook."""
        value = message_value(self.wa_id, self.name, list(messages), self.user_id)
        self.last_response = self.sim.post_webhook(self.sim._envelope("messages", value))
        return self.last_response

    def _one(self, kind: str, content: Any, **kwargs: Any) -> str:
        raw = self.build(kind, content, **kwargs)
        self.send(raw)
        return str(raw["id"])

    def text(self, body: str, **kwargs: Any) -> str:
        """A text message (``reply_to=wamid`` for a reply, ``forwarded=True``)."""
        return self._one("text", {"body": body}, **kwargs)

    def media(
        self, kind: str, data: bytes, mime_type: str, *, caption: str = "", filename: str = ""
    ) -> str:
        """image, document, audio, video or sticker: the file is held by the simulated API."""
        media_id = self.sim.add_media(data, mime_type, filename)
        content: dict[str, Any] = {
            "id": media_id,
            "mime_type": mime_type,
            "sha256": self.sim.state.media[media_id].sha256,
        }
        if caption:
            content["caption"] = caption
        if filename:
            content["filename"] = filename
        if kind == "audio":
            content["voice"] = mime_type.startswith("audio/ogg")
        return self._one(kind, content)

    def location(self, latitude: float, longitude: float, name: str = "", address: str = "") -> str:
        """A shared location."""
        content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if name:
            content.update(name=name, address=address)
        return self._one("location", content)

    def contact_card(self, formatted_name: str, phone: str) -> str:
        """A shared contact card."""
        first_name = formatted_name.split(maxsplit=1)[0]
        card = {
            "name": {"formatted_name": formatted_name, "first_name": first_name},
            "phones": [{"phone": phone, "type": "CELL", "wa_id": phone.lstrip("+")}],
        }
        return self._one("contacts", [card])

    def button_reply(self, button_id: str, title: str, reply_to: str) -> str:
        """A tap on an interactive reply button."""
        content = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        return self._one("interactive", content, reply_to=reply_to)

    def list_reply(self, row_id: str, title: str, description: str, reply_to: str) -> str:
        """A choice from an interactive list."""
        row = {"id": row_id, "title": title, "description": description}
        return self._one(
            "interactive", {"type": "list_reply", "list_reply": row}, reply_to=reply_to
        )

    def quick_reply(self, payload: str, text: str, reply_to: str) -> str:
        """A tap on a template's quick-reply button."""
        return self._one("button", {"payload": payload, "text": text}, reply_to=reply_to)

    def react(self, wamid: str, emoji: str) -> str:
        """React to a message (an empty emoji removes the reaction)."""
        return self._one("reaction", {"message_id": wamid, "emoji": emoji})

    def unsupported(self) -> str:
        """A message type the Cloud API cannot deliver (e.g. a poll)."""
        return self._one("unsupported", None)
