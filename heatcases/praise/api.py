"""Praise evidence API: attach a file to a case, list, fetch (byte ranges), approve, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseId
from heatcases.deps import ApiUser, ReviewerApiUser, SessionDep, SettingsDep
from heatcases.errors import NotFound, error_responses
from heatcases.praise import media, service, storage
from heatcases.praise.schemas import AttachmentId, AttachmentList, AttachmentPublic
from heatcases.praise.serving import file_response

router = APIRouter(prefix="/api", tags=["praise"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_RANGES = {
    206: {"description": "The byte range asked for (`Range: bytes=start-end`), at most 4 MiB of it"},
    304: {"description": "Unchanged since the ETag sent in If-None-Match"},
    416: {"description": "The range starts past the end of the file"},
    **error_responses(404),
}
FILE_ANSWERS = {
    200: {"description": "The whole file", "content": dict.fromkeys(media.STORED_TYPES, _BINARY)},
    **_RANGES,
}
THUMBNAIL_ANSWERS = {200: {"description": "A JPEG", "content": {"image/jpeg": _BINARY}}, **_RANGES}


@router.post("/cases/{case_id}/attachments", response_model=AttachmentPublic, status_code=201, responses={
    **error_responses(403, 404, 413),
    422: {"description": "`file`: not a JPEG, PNG, WebP, PDF, MP4 or WebM by its content, or damaged"},
})  # fmt: skip
def add_attachment(
    case_id: CaseId,
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, PDF, MP4 or WebM")],
    caption: Annotated[str, Form(max_length=1000)] = "",
) -> AttachmentPublic:
    """Attach the customer's praise to a case (its author, supervisors, admins), up to
    HEATCASES_MAX_ATTACHMENT_BYTES: checked by its content; pictures re-encoded without their EXIF; an author's
    attachment waits for a supervisor's approval."""
    attachment = service.add_attachment(
        session, case_id, user, upload=file.file, filename=file.filename, caption=caption,
        max_bytes=settings.max_attachment_bytes,
    )  # fmt: skip
    return AttachmentPublic.of(attachment)


@router.get("/cases/{case_id}/attachments", response_model=AttachmentList, responses=error_responses(404))
def list_attachments(case_id: CaseId, user: ApiUser, session: SessionDep) -> AttachmentList:
    """The case's praise evidence the caller may see (pending ones: its author and supervisors only)."""
    case = cases.get_case(session, case_id, user)
    return AttachmentList(items=[AttachmentPublic.of(a) for a in service.list_attachments(session, case, user)])


@router.get("/attachments/pending", response_model=AttachmentList, responses=error_responses(403))
def pending_attachments(user: ReviewerApiUser, session: SessionDep) -> AttachmentList:
    """Evidence waiting for approval on cases already approved, oldest first (supervisors, admins)."""
    return AttachmentList(items=[AttachmentPublic.of(a) for a, _ in service.pending_attachments(session, user)])


@router.get("/attachments/{attachment_id}", response_class=Response, responses=FILE_ANSWERS)
def attachment_content(request: Request, attachment_id: AttachmentId, user: ApiUser, session: SessionDep) -> Response:
    """The file (whole, or the byte range asked for: videos play and seek)."""
    attachment, _ = service.get_attachment(session, attachment_id, user)
    session.commit()
    return file_response(request, request.app.state.read_engine, attachment, storage.CONTENT)


@router.get("/attachments/{attachment_id}/thumbnail", response_class=Response, responses=THUMBNAIL_ANSWERS)
def attachment_thumbnail(request: Request, attachment_id: AttachmentId, user: ApiUser, session: SessionDep) -> Response:
    """A small JPEG of it (404 when it has none)."""
    attachment, _ = service.get_attachment(session, attachment_id, user)
    session.commit()
    if not attachment.thumbnail_size:
        raise NotFound("this attachment has no thumbnail")
    return file_response(request, request.app.state.read_engine, attachment, storage.THUMBNAIL)


@router.post("/attachments/{attachment_id}/approve", response_model=AttachmentPublic,
             responses=error_responses(403, 404))  # fmt: skip
def approve_attachment(attachment_id: AttachmentId, user: ReviewerApiUser, session: SessionDep) -> AttachmentPublic:
    """Approve an attachment: readers of its case see it from now on (supervisors, admins)."""
    return AttachmentPublic.of(service.approve_attachment(session, attachment_id, user))


@router.delete("/attachments/{attachment_id}", status_code=204, response_class=Response,
               responses=error_responses(403, 404))  # fmt: skip
def delete_attachment(attachment_id: AttachmentId, user: ApiUser, session: SessionDep) -> Response:
    """Remove an attachment and its bytes (the case's author, supervisors, admins)."""
    service.delete_attachment(session, attachment_id, user)
    return Response(status_code=204)
