from django.contrib import admin

from balie.channels.models import Channel
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(Channel)
class ChannelAdmin(OrganisationScopedAdmin):
    list_display = ["name", "kind", "key", "organisation", "is_active"]
    list_filter = ["organisation", "kind", "is_active"]
    # Secrets are set with `balie apply` from the environment; never shown here.
    exclude = ["secrets"]
