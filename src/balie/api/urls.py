from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from balie.api import views
from balie.api.login import ObtainTokenView

router = DefaultRouter()
router.register("conversations", views.ConversationViewSet, basename="conversation")
router.register("parties", views.PartyViewSet, basename="party")
router.register("agents", views.AgentViewSet, basename="agent")
router.register("channels", views.ChannelViewSet, basename="channel")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("routing/", include("balie.api.routing_views")),
    path("conduct/", include("balie.api.conduct_views")),
    path("privacy/", include("balie.api.rights_views")),
    path("privacy/", include("balie.api.privacy_unseal")),
    path("phone/", include("balie.api.phone_views")),
    path("replies/", include("balie.replies.api")),
    path("backoffice/", include("balie.backoffice.api")),
    # before the router: its parties/<pk>/ would take "merges"
    path("parties/", include("balie.api.parties_views")),
    path("", include(router.urls)),
]
