from django.contrib import admin

from balie.audit.admin import AuditedViewMixin
from balie.parties.models import DigitalAddress, Party


class DigitalAddressInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DigitalAddress
    extra = 0
    fields = ["kind", "value", "verified"]


@admin.register(Party)
class PartyAdmin(AuditedViewMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "kind", "country", "created_at"]
    list_filter = ["organisation", "kind", "country"]
    inlines = [DigitalAddressInline]
    readonly_fields = ["uuid", "created_at"]
