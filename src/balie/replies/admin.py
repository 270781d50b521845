"""The library in the admin: canned replies (search, review date, owner) and greetings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from balie.organisations.admin import OrganisationScopedAdmin
from balie.replies.models import CannedReply, Greeting
from balie.replies.variables import VARIABLES, unknown_variables

HELP = _("Variables: %(names)s") % {"names": ", ".join("{" + v + "}" for v in VARIABLES)}


class VariablesForm(forms.ModelForm):  # type: ignore[type-arg]
    """Refuses ``{names}`` that are not variables (a typo would reach the citizen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in ("body", "opening", "signature"):
            if field in self.fields:
                self.fields[field].help_text = HELP

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("body", "opening", "signature"):
            unknown = unknown_variables(data.get(field) or "")
            if unknown:
                self.add_error(field, _("Unknown variable: %s") % ", ".join(unknown))
        return data


@admin.register(CannedReply)
class CannedReplyAdmin(OrganisationScopedAdmin):
    form = VariablesForm
    list_display = ["shortcut", "title", "language", "tone", "owner", "team", "review_on", "active"]
    list_filter = ["organisation", "language", "tone", "active", "team"]
    search_fields = ["shortcut", "title", "body"]
    raw_id_fields = ["owner"]


@admin.register(Greeting)
class GreetingAdmin(OrganisationScopedAdmin):
    form = VariablesForm
    list_display = ["__str__", "team", "channel", "language", "tone"]
    list_filter = ["organisation", "language", "tone"]
