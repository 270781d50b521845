from django.contrib import admin

from balie.audit.admin import AuditedViewMixin
from balie.organisations.admin import OrganisationScopedAdmin
from balie.parties.models import DigitalAddress, Party
from balie.privacy.retention.admin import PartyRightsMixin


class DigitalAddressInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DigitalAddress
    extra = 0
    fields = ["kind", "value", "verified"]


@admin.register(Party)
class PartyAdmin(PartyRightsMixin, AuditedViewMixin, OrganisationScopedAdmin):
    """Supervisors see their organisation's parties; other staff agents those of
    conversations visible to them (as in the API)."""

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        from balie.conversations.access import visible_parties

        return super().get_queryset(request) & visible_parties(request.user)

    list_display = ["__str__", "kind", "country", "created_at"]
    list_filter = ["organisation", "kind", "country"]
    inlines = [DigitalAddressInline]
    readonly_fields = ["uuid", "created_at"]
