"""Core bookkeeping tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """When a periodic job last ran and next may run (claimed under a row lock)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run at"))
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
