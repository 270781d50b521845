from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "balie.channels.whatsapp"
    label = "whatsapp"
    verbose_name = "WhatsApp"
