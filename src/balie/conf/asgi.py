"""ASGI entry point: HTTP through Django, WebSockets (``/ws/agent/``, the web chat visitors'
``/ws/webchat/<key>/``) through Channels.

WhatsApp webhook POSTs take a lean path in front of Django (``balie.channels.whatsapp.ingress``):
signature check and a group commit of the raw event, no middleware stack. In front of both,
:class:`~balie.core.bodylimit.BodyLimit` refuses bodies above the configured limit (413) before
they are read in full.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")

from django.core.asgi import get_asgi_application
from django.urls import re_path

django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from balie.channels.whatsapp.ingress import WhatsAppIngress  # noqa: E402
from balie.core.bodylimit import BodyLimit  # noqa: E402
from balie.web.routing import (  # noqa: E402
    public_websocket_urlpatterns,
    websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(WhatsAppIngress(django_asgi)),
        # the web chat's visitor sockets come from other sites: their consumer checks the
        # Origin against the channel's allowed origins; every other socket is Balie's own
        "websocket": URLRouter(
            [
                *public_websocket_urlpatterns,
                re_path(
                    r"^",
                    AllowedHostsOriginValidator(
                        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                    ),
                ),
            ]
        ),
    }
)

# What start-up loaded lives as long as the process: keep it out of the collector's full passes,
# which otherwise pause a busy process for tens of milliseconds (gc.freeze, Python ≥ 3.7).
gc.freeze()
