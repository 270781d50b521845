from django.contrib import admin

from balie.channels.phone.models import Call
from balie.routing.admin import ReadOnlyAdmin


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    """Calls are written by the PBX's events and the after-call form, never by hand here."""

    organisation_path = "channel__organisation"
    list_display = ["call_id", "channel", "queued_at", "answered_at", "wait_s", "talk_s"]
    list_filter = ["abandoned", "channel"]
