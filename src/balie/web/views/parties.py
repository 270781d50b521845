"""One person, many channels: the supervisors' page of merge suggestions (``/partijen/
samenvoegen/``), the confirmation with a reason, dismissing a pair, undoing a merge.

Supervisors and administrators only (agents 403: deciding that two parties are one person is
a supervisor's call, ADR 0018). Each view parses the form and calls one ``check_*`` of
:mod:`balie.parties.merge` through :func:`balie.parties.overview.audited`, so every decision,
refusals included, is in the audit trail; the pages themselves are audited as views of
personal data. Refusals come back in the page's language beside the form, the reason kept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from balie.audit import trail
from balie.core.errors import BalieError, NotFound
from balie.organisations.models import Organisation
from balie.parties.merge import (
    MAX_REASON,
    check_dismiss,
    check_merge_parties,
    check_undo_merge,
    suggestions,
)
from balie.parties.models import Party, PartyMerge
from balie.parties.normalise import mask
from balie.parties.overview import audited, facts, recent_merges, suggestion_rows
from balie.web.views.common import STEERING, Workspace, workspace_view
from balie.web.views.errors import dutch

TEXTS = {
    "reason_required": _("Give a reason: it is kept with the merge."),
    "reason_too_long": _("The reason is too long (at most 2,000 characters)."),
    "same_party": _("Choose two different parties."),
    "merged": _("One of these parties was merged already."),
    "conduct_both": _(
        "Both parties have a conduct procedure under way. Settle one on the Blocks page first."
    ),
    "placeholder": _("The organisation's anonymous party is never merged."),
    "cross_organisation": _("Parties of two organisations are never merged."),
    "not_supervisor": _("Only supervisors and administrators merge parties."),
    "merged_since": _("The kept party was merged again since: undo that merge first."),
    "undone": _("This merge was undone already."),
    "not_found": _("That party or merge no longer exists."),
}


def _text(exc: BalieError) -> str:
    return str(TEXTS[exc.code]) if exc.code in TEXTS else dutch(exc)


def _id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) <= 18 else None


def _page(request: HttpRequest) -> Workspace:
    from balie.web.views.inbox import nav_views

    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, None)
    return workspace


@require_GET
@workspace_view(*STEERING)
def merge_page(request: HttpRequest) -> HttpResponse:
    """The suggestions (both parties, channels, counts, the shared address masked) and the
    latest merges with their undo."""
    workspace = _page(request)
    context: dict[str, Any] = {"page_key": "merge", "rows": [], "merges": []}
    if workspace.organisation is not None:
        organisation_id = workspace.organisation.pk
        context["rows"] = suggestion_rows(organisation_id)
        context["merges"] = list(recent_merges(organisation_id))
        context["max_reason"] = MAX_REASON
        trail.record(
            request=request,
            action="view_merge_suggestions",
            obj=Organisation(pk=organisation_id),
            detail={"count": len(context["rows"])},
        )
    return render(request, "web/parties/merge.html", context)


def _candidates(request: HttpRequest, first: int | None, second: int | None) -> dict[str, Any]:
    """Both parties (of the organisation, live) with their facts and the shared value."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if first is None or second is None or first == second or workspace.organisation is None:
        raise Http404
    organisation_id = workspace.organisation.pk
    live = Party.objects.filter(
        pk__in=(first, second), organisation_id=organisation_id, merged_into__isnull=True
    )
    if live.count() != 2:
        raise Http404
    low, high = sorted((first, second))
    shared = [s for s in suggestions(organisation_id, party_id=low) if s.second_id == high]
    known = facts({low, high})
    trail.record(
        request=request,
        action="view_merge_candidates",
        obj=Party(pk=low),
        detail={"parties": [low, high]},
    )
    return {
        "first": known[low],
        "second": known[high],
        "shared": mask(shared[0].value) if shared else "",
        "kinds": shared[0].kinds if shared else (),
        "max_reason": MAX_REASON,
        "page_key": "merge",
    }


@require_GET
@workspace_view(*STEERING)
def confirm(request: HttpRequest) -> HttpResponse:
    """The confirmation: which party to keep, the reason, Samenvoegen (or back)."""
    _page(request)
    context = _candidates(request, _id(request.GET.get("eerste")), _id(request.GET.get("tweede")))
    context["keep"] = context["first"].id
    return render(request, "web/parties/confirm.html", context)


@require_POST
@workspace_view(*STEERING)
def merge(request: HttpRequest) -> HttpResponse:
    """Merge the party not kept into the kept one; back to the page with what happened, or
    the confirmation again with the refusal and the reason as typed."""
    first, second = _id(request.POST.get("first")), _id(request.POST.get("second"))
    keep = _id(request.POST.get("keep"))
    reason = request.POST.get("reason", "")
    if first is None or second is None or keep not in (first, second):
        flash.error(request, str(_("Choose the party to keep and try again.")))
        return redirect("web:parties_merge")
    gone = second if keep == first else first
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    try:
        audited(
            request,
            "party_merge",
            Party(pk=keep),
            lambda: check_merge_parties(keep, gone, workspace.agent, reason),  # type: ignore[arg-type]
            asked={"survivor": keep, "merged": gone},
        )
    except NotFound as exc:
        raise Http404 from exc
    except BalieError as exc:
        _page(request)
        try:
            context = _candidates(request, first, second)
        except Http404:  # one of them was merged meanwhile: the list says what is left
            flash.error(request, _text(exc))
            return redirect("web:parties_merge")
        context.update({"keep": keep, "reason": reason, "error": _text(exc)})
        return render(request, "web/parties/confirm.html", context, status=400)
    flash.success(request, str(_("The parties were merged. You can undo this below.")))
    return redirect("web:parties_merge")


@require_POST
@workspace_view(*STEERING)
def dismiss(request: HttpRequest) -> HttpResponse:
    """Not the same person: the pair is not suggested again."""
    first, second = _id(request.POST.get("first")), _id(request.POST.get("second"))
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    if first is None or second is None:
        flash.error(request, str(_("Choose a suggestion and try again.")))
        return redirect("web:parties_merge")
    try:
        audited(
            request,
            "party_merge_dismiss",
            Party(pk=first),
            lambda: check_dismiss(first, second, workspace.agent, request.POST.get("reason", "")),  # type: ignore[arg-type]
            asked={"parties": [first, second]},
        )
    except BalieError as exc:
        flash.error(request, _text(exc))
    else:
        flash.success(request, str(_("Noted: these are not the same person.")))
    return redirect("web:parties_merge")


@require_POST
@workspace_view(*STEERING)
def undo(request: HttpRequest, merge_pk: int) -> HttpResponse:
    """Undo a merge with a reason; back to the page with what happened."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    try:
        audited(
            request,
            "party_merge_undo",
            PartyMerge(pk=merge_pk),
            lambda: check_undo_merge(merge_pk, workspace.agent, request.POST.get("reason", "")),  # type: ignore[arg-type]
        )
    except NotFound as exc:
        raise Http404 from exc
    except BalieError as exc:
        flash.error(request, _text(exc))
    else:
        flash.success(request, str(_("The merge was undone.")))
    return redirect("web:parties_merge")
