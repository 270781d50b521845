from django.contrib import admin

from balie.channels.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "key", "organisation", "is_active"]
    list_filter = ["organisation", "kind", "is_active"]
    # Secrets are set with `balie apply` from the environment; never shown here.
    exclude = ["secrets"]
