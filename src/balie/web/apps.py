from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "balie.web"
    label = "web"
    verbose_name = _("Agent workspace")

    def ready(self) -> None:
        """Let every capability's panel module register its part of the conversation page."""
        from balie.web import panels

        panels.discover()
