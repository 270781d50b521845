from django.urls import path

from balie.routing import views

# ``<id:…>`` is registered in balie.conf.urls: database ids only, out-of-range numbers are a 404.
urlpatterns = [
    path("feed/", views.feed, name="routing-feed"),
    *(
        path(
            f"offers/<id:offer_id>/{answer}/",
            views.offer_answer,
            {"answer": answer},
            name=f"routing-offer-{answer}",
        )
        for answer in ("accept", "decline")
    ),
    *(
        path(
            f"conversations/<id:conversation_id>/{action}/",
            views.supervise_conversation,
            {"action": action},
            name=f"routing-{action}",
        )
        for action in ("assign", "reprioritise", "move")
    ),
]
