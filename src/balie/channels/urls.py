from django.urls import path

from balie.channels.views import webhook

urlpatterns = [path("<slug:kind>/<slug:key>/", webhook, name="webhook")]
