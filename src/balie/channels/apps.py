from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "balie.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        """Answer "may I reply now?" for the conversations domain: the channel's adapter."""
        from balie.channels.registry import adapter_for
        from balie.conversations.ports import register_reply_policies

        register_reply_policies(adapter_for)
