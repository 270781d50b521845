from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "balie.channels.email"
    label = "email_channel"
    verbose_name = _("E-mail")
