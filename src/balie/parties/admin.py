from django.contrib import admin

from balie.audit.admin import AuditedViewMixin
from balie.organisations.admin import OrganisationScopedAdmin
from balie.parties.models import DigitalAddress, MergeDismissal, Party, PartyMerge
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


@admin.register(PartyMerge)
class PartyMergeAdmin(OrganisationScopedAdmin):
    """The merges, read only: merging and undoing go through the workspace or the API, which
    check the role and write the audit trail (``docs/parties.md``)."""

    list_display = ["__str__", "merged_by", "merged_at", "undone_at"]
    list_filter = ["organisation"]
    readonly_fields = [
        "organisation", "survivor", "merged", "moved", "carried", "reason", "merged_by",
        "merged_at", "undone_by", "undone_at", "undo_reason",
    ]  # fmt: skip

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(MergeDismissal)
class MergeDismissalAdmin(OrganisationScopedAdmin):
    """Pairs a person said are not the same person, read only (recorded and audited by the
    workspace and the API)."""

    list_display = ["__str__", "dismissed_by", "dismissed_at"]
    list_filter = ["organisation"]
    readonly_fields = ["organisation", "first", "second", "reason", "dismissed_by", "dismissed_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
