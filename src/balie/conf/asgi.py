"""ASGI entry point: HTTP through Django; WebSockets join here when the workspace needs them."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
