"""Data-subject rights in the workspace: everything held about a party (a readable page and a
JSON download, art. 15), erasure or its refusal with the legal ground (art. 17), and the
register of processing activities (art. 30).

Supervisors and administrators only; the party is found through ``conversations.access``
(a restricted contact's citizen stays with its team); every view and export is an audit entry.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from balie.audit import trail
from balie.conversations import access
from balie.core.errors import InvalidInput
from balie.organisations.models import Organisation
from balie.parties.models import Party
from balie.privacy.retention.erasure import check_erase
from balie.privacy.retention.export import collect, json_download, record_export
from balie.privacy.retention.models import Ground, RightsRequest
from balie.privacy.retention.register import entry
from balie.web.views.common import STEERING, Role, Workspace, workspace_view
from balie.web.views.inbox import nav_views

REFUSALS = {
    "unknown_ground": gettext_lazy("Choose a legal ground from the list."),
    "explanation_required": gettext_lazy("Explain the refusal: the person is told why."),
    "contact_in_progress": gettext_lazy(
        "This person has a conversation in progress. Resolve it first, then erase."
    ),
}


def _party(request: HttpRequest, pk: int) -> Party:
    found = (
        access.visible_parties(request.user).select_related("organisation").filter(pk=pk).first()
    )
    if found is None:
        raise Http404
    return found


@workspace_view(*STEERING)
def party(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held about the party, readable; with the erasure form."""
    found = _party(request, pk)
    data = collect(found)
    record_export(request, found, "html", data)
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, None)
    context: dict[str, Any] = {
        "workspace": workspace,
        "party": found,
        "data": data,
        "grounds": [(g.value, g.label) for g in Ground if g != Ground.LEGAL_HOLD],
        "decisions": RightsRequest.objects.filter(
            organisation_id=found.organisation_id,
            party_uuid=str(found.uuid),
            kind=RightsRequest.Kind.ERASURE,
        ),
    }
    return render(request, "web/rights_party.html", context)


@workspace_view(*STEERING)
def party_json(request: HttpRequest, pk: int) -> HttpResponse:
    """The same as a JSON file to hand to the person."""
    found = _party(request, pk)
    data = collect(found)
    record_export(request, found, "json", data)
    return json_download(data, found)


@require_POST
@workspace_view(*STEERING)
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the party's data, or record the refusal with its ground."""
    found = _party(request, pk)
    refuse = request.POST.get("decision") == "refuse"
    try:
        decision = check_erase(
            request,
            found,
            refuse_on=request.POST.get("ground", "") if refuse else "",
            explanation=request.POST.get("explanation", "")[:1000],
        )
    except InvalidInput as exc:
        flash.error(request, str(REFUSALS.get(str(exc), exc)))
        return redirect("web:rights_party", pk=found.pk)
    if decision.granted:
        flash.success(request, _("The person's data is erased; the counts are kept."))
        return redirect("web:inbox")
    flash.info(
        request,
        _("Erasure refused and recorded: %(ground)s.") % {"ground": Ground(decision.ground).label},
    )
    return redirect("web:rights_party", pk=found.pk)


@workspace_view(Role.ADMINISTRATOR)
def register(request: HttpRequest) -> HttpResponse:
    """The register of processing activities of the administrator's organisation(s)."""
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]
    workspace.views = nav_views(request, None)
    organisations = (
        [workspace.organisation]
        if workspace.organisation is not None
        else list(Organisation.objects.order_by("name"))
    )
    entries = [entry(org) for org in organisations]
    for org in organisations:
        trail.record(request=request, action="view_register", obj=org)
    return render(request, "web/rights_register.html", {"workspace": workspace, "entries": entries})
