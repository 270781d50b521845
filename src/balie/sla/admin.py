"""Admin of service-level policies (rules checked as ``balie sla due`` reads them) and the
outcomes (read-only reporting facts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from balie.organisations.admin import OrganisationScopedAdmin
from balie.sla.businesstime import CalendarError
from balie.sla.models import Outcome, Policy
from balie.sla.rules import Rule

TARGETS = ("first_response", "next_response", "resolution")


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """Each target empty or a rule: {"business_minutes": 60}, {"wall_minutes": 240} or
    {"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}}."""

    class Meta:
        model = Policy
        fields = [
            "organisation", "name", "channel", "topic", "priority", "first_response",
            "next_response", "resolution", "warning_percent", "active",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for target in TARGETS:
            value = data.get(target)
            if value in (None, {}, ""):
                data[target] = None
                continue
            try:
                data[target] = Rule.from_json(value).to_json()
            except CalendarError as error:
                self.add_error(target, str(error))
        if not any(data.get(target) for target in TARGETS):
            raise forms.ValidationError(_("Give at least one target."))
        return data


@admin.register(Policy)
class PolicyAdmin(OrganisationScopedAdmin):
    form = PolicyForm
    list_display = ["name", "organisation", "channel", "topic", "priority", "active"]
    list_filter = ["organisation", "active"]


@admin.register(Outcome)
class OutcomeAdmin(OrganisationScopedAdmin):
    """Reporting facts are append-only: viewed here, never edited."""

    list_display = ["conversation", "target", "kind", "met", "completed_at", "business_minutes"]
    list_filter = ["organisation", "target", "met"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
