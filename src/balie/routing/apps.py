from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "balie.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        """Answer the conversations domain's access questions (its port)."""
        from balie.conversations.ports import register_routing
        from balie.routing.access_port import RoutingAnswers

        register_routing(RoutingAnswers())
