"""WSGI entry point for servers that do not speak ASGI."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
