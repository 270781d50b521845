"""Attachments reach people only through this API view: whoever may read the conversation
(``balie.conversations.access``; any other id answers 404, like an absent one).

Files are never served from MEDIA_URL directly. The answer is a download (never rendered
inline) with ``nosniff``, so a hostile file from a citizen cannot run in the workspace.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from balie.api.permissions import IsAgentOrStaff
from balie.audit import trail
from balie.conversations.access import access_attachment


class AttachmentDownload(APIView):
    """GET /attachments/<id>/: the file, for those who may read its conversation."""

    permission_classes = [IsAgentOrStaff]

    def get(self, request: Request, attachment_id: int) -> FileResponse:
        attachment = access_attachment(request.user, attachment_id)
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


# Included from balie.conf.urls under "attachments/" (the workspace templates link to it).
urlpatterns = [
    path("<int:attachment_id>/", AttachmentDownload.as_view(), name="attachment-download")
]
