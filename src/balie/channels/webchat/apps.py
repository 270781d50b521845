from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebchatConfig(AppConfig):
    name = "balie.channels.webchat"
    label = "webchat"
    verbose_name = _("Web chat")

    def ready(self) -> None:
        # the event types, so a worker can rebuild a "webchat_typing" it is handed
        from balie.channels.webchat import events  # noqa: F401
