"""The workspace's URLs (``docs/workspace.md`` lists every page)."""

from django.urls import path
from django.views.i18n import set_language

from balie.web.views import auth, conversation, inbox, offers, supervisor

app_name = "web"

urlpatterns = [
    path("", auth.home, name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("gesprekken/", inbox.inbox, name="inbox"),
    path("gesprekken/<id:pk>/", conversation.detail, name="conversation"),
    path("aanbiedingen/", offers.offers, name="offers"),
    path("aanbiedingen/<id:pk>/<str:answer>/", offers.answer, name="offer_answer"),
    path("supervisie/", supervisor.wall, name="supervisor"),
]
