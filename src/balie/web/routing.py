from django.urls import path

from balie.channels.webchat.consumer import VisitorConsumer
from balie.web.consumers import AgentConsumer

websocket_urlpatterns = [path("ws/agent/", AgentConsumer.as_asgi())]

#: sockets opened from other sites (the web chat widget): no session, no AllowedHosts origin
#: check; the consumer checks the Origin against its channel's ``allowed_origins``
public_websocket_urlpatterns = [path("ws/webchat/<slug:key>/", VisitorConsumer.as_asgi())]
