from django.urls import path, re_path

from balie.routing import views

urlpatterns = [
    path("feed/", views.feed, name="routing-feed"),
    re_path(
        r"^offers/(?P<offer_id>\d+)/(?P<answer>accept|decline)/$",
        views.offer_answer,
        name="routing-offer",
    ),
    re_path(
        r"^conversations/(?P<conversation_id>\d+)/(?P<action>assign|reprioritise|move)/$",
        views.supervise_conversation,
        name="routing-supervise",
    ),
]
