"""URL map: admin, REST API v1, webhooks per channel kind, health."""

from django.contrib import admin
from django.urls import include, path, register_converter

from balie.core import health
from balie.core.converters import IdConverter
from balie.web import metrics as web_metrics

# ``<id:name>``: a database id in a path (out-of-range numbers are a 404, not an overflow).
# Registered before the included URL confs below are imported, which use it.
register_converter(IdConverter, "id")

from balie.api.phone_views import legacy_urlpatterns as legacy_phone  # noqa: E402
from balie.api.routing_views import legacy_urlpatterns as legacy_routing  # noqa: E402 (uses <id:…>)

handler404 = "balie.api.errors.page_not_found"  # JSON under /api/, Django's page elsewhere

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", web_metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("balie.api.urls")),
    path("webhooks/", include("balie.channels.urls")),
    # the PBX URLs before /api/v1/phone/ (#9), kept for PBXs configured with them
    path("phone/", include((legacy_phone, "legacy_phone"))),
    # alias of /api/v1/routing/ for one release (#9)
    path("routing/", include((legacy_routing, "legacy_routing"))),
    path("attachments/", include("balie.api.attachments")),
    path("webchat/", include("balie.channels.webchat.urls")),
    path("", include("balie.web.urls")),
]
