from django.contrib import admin
from django.http import HttpRequest

from balie.audit.admin import AuditedViewMixin, ReadOnlyAdmin
from balie.conduct.models import Block, ConductStep, ConductTemplate
from balie.organisations.admin import OrganisationScopedAdmin


@admin.register(ConductTemplate)
class ConductTemplateAdmin(admin.ModelAdmin[ConductTemplate]):
    """The messages of the procedure's steps, per language and tone. They are shared by every
    organisation on the installation, so only superusers edit them."""

    list_display = ("step", "language", "tone", "updated_at")
    list_filter = ("step", "language", "tone")
    search_fields = ("body",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(ConductStep)
class ConductStepAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """The history of the procedure: read only (steps are taken in the workspace)."""

    list_display = ("party", "step", "from_state", "to_state", "agent", "created_at")
    list_filter = ("step",)


@admin.register(Block)
class BlockAdmin(AuditedViewMixin, ReadOnlyAdmin, OrganisationScopedAdmin):
    """Blocks: read only (asked, confirmed and lifted in the workspace, with four eyes)."""

    list_display = ("party", "state", "until", "requested_by", "decided_by", "requested_at")
    list_filter = ("state",)
