"""A worker builds the language detectors at start, not on the first message."""

from __future__ import annotations

import importlib

import pytest

from balie.replies.enrichment import warm_up
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
lang = importlib.import_module("balie.replies.analysis.language")


def test_warm_up_builds_one_detector_per_set_of_languages():
    """Two organisations with the same languages share a detector; a one-language
    organisation needs none (its answer is that language)."""
    OrganisationFactory(languages=["nl", "en", "es"])
    OrganisationFactory(languages=["en", "nl", "es"])
    OrganisationFactory(languages=["nl"])
    lang._detector.cache_clear()
    assert warm_up() == 1
    assert lang._detector.cache_info().currsize == 1
    before = lang._detector.cache_info().hits
    lang.detector(("en", "es", "nl"))  # what the first message asks for
    assert lang._detector.cache_info().hits == before + 1


def test_a_server_start_warms_up_in_a_thread_of_its_own(monkeypatch):
    """``warm_up_in_background`` runs the warm-up in a daemon thread, and a failure in it is
    logged, not raised (a cold start is slower, nothing more)."""
    from balie import server

    ran = []

    def fake() -> int:
        ran.append(True)
        raise RuntimeError("no models today")

    monkeypatch.setattr("balie.replies.enrichment.warm_up", fake)
    thread = server.warm_up_in_background()
    assert thread.daemon
    thread.join(5)
    assert ran == [True]
    assert not thread.is_alive()
