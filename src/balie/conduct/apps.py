from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "balie.conduct"
    label = "conduct"
    verbose_name = _("Conduct")

    def ready(self) -> None:
        """Answer the conversations domain's "is this sender blocked?" (its port)."""
        from balie.conduct.screen import BlockScreen
        from balie.conversations.ports import register_inbound_screen

        register_inbound_screen(BlockScreen())
