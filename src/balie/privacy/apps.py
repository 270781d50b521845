from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "balie.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        """Answer the conversations domain's ports: the outbound guard and who sees
        special-category conversations."""
        from balie.conversations.ports import (
            register_outbound_guard,
            register_special_categories,
        )
        from balie.privacy.guard import OutboundGuard, SpecialCategories

        register_outbound_guard(OutboundGuard())
        register_special_categories(SpecialCategories())
