"""URL map: admin, REST API v1, webhooks per channel kind, health."""

from django.contrib import admin
from django.urls import include, path

from balie.core import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("balie.api.urls")),
    path("webhooks/", include("balie.channels.urls")),
    path("phone/", include("balie.channels.phone.urls")),
    path("routing/", include("balie.routing.urls")),
    path("attachments/", include("balie.conversations.media")),
]
