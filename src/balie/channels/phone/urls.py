from django.urls import path

from balie.channels.phone import views

urlpatterns = [
    path("<slug:key>/tasks/", views.tasks, name="phone-tasks"),
    path("<slug:key>/events/", views.call_events, name="phone-events"),
]
