"""Attachments reach people only through this view: an agent of the owning organisation.

Files are never served from MEDIA_URL directly. The answer is a download (never rendered
inline) with ``nosniff``, so a hostile file from a citizen cannot run in the workspace.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from balie.api.permissions import IsAgentOrStaff, organisation_ids
from balie.audit import trail
from balie.conversations.models import Attachment


def access_attachment(request: Request, attachment_id: int) -> Attachment:
    """The attachment if the caller may read it; 404 otherwise (existence is not revealed)."""
    found = Attachment.objects.filter(pk=attachment_id)
    allowed = organisation_ids(request)  # the API's own scoping
    if allowed is not None:
        found = found.filter(message__conversation__organisation_id__in=allowed)
    attachment = found.first()
    if attachment is None or not attachment.file:
        raise Http404
    return attachment


class AttachmentDownload(APIView):
    """GET /attachments/<id>/: the file, for agents of the conversation's organisation."""

    permission_classes = [IsAgentOrStaff]

    def get(self, request: Request, attachment_id: int) -> FileResponse:
        attachment = access_attachment(request, attachment_id)
        trail.record(request=request, action="download_attachment", obj=attachment)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename or f"attachment-{attachment.pk}",
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# Included from balie.conf.urls under "attachments/".
urlpatterns = [
    path("<int:attachment_id>/", AttachmentDownload.as_view(), name="attachment-download")
]
