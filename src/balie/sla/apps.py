from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "balie.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        """An organisation's own ``business_hours`` and time zone are the calendar of
        organisations without a calendar row: a change to them is a calendar change too."""
        from balie.organisations.models import Organisation

        post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="sla-org-hours")


def _organisation_saved(sender: Any, **kwargs: Any) -> None:
    from balie.sla.calendars import _forget_now_and_on_commit

    _forget_now_and_on_commit()
