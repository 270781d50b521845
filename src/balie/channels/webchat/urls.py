"""The web chat's URLs, under ``/webchat/``."""

from django.urls import path

from balie.channels.webchat import views

app_name = "webchat"

urlpatterns = [
    path("example/<slug:key>/", views.example, name="example"),
    path("typing/<id:pk>/", views.agent_typing, name="agent_typing"),
    path("file/<str:token>/", views.file_download, name="file"),
]
