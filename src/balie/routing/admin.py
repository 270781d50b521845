from django.contrib import admin

from balie.routing.models import Training


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "organisation"]
    list_filter = ["organisation"]
