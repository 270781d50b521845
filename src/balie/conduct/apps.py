from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "balie.conduct"
    label = "conduct"
    verbose_name = _("Conduct")

    def ready(self) -> None:
        """Answer the conversations domain's "is this sender blocked?" and carry the procedure
        when two parties merge (the parties domain's port)."""
        from balie.conduct.merging import ConductCarrier
        from balie.conduct.screen import BlockScreen
        from balie.conversations.ports import register_inbound_screen
        from balie.parties.ports import register_merge_carrier

        register_inbound_screen(BlockScreen())
        register_merge_carrier(ConductCarrier())
