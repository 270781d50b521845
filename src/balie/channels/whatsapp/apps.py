from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "balie.channels.whatsapp"
    label = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        # Register the event types so a worker process can rebuild them from task rows.
        from balie.channels.whatsapp import events  # noqa: F401
