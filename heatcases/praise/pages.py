"""Praise evidence pages: the upload form of a case, the files themselves for <img> and <video>, approve and
remove (the evidence is shown on the case page and in the review queue, whose pages ask ``service``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseId
from heatcases.deps import MultipartCsrf, PageUser, ReviewerPageUser, SessionDep, SettingsDep
from heatcases.errors import InvalidInput, NotFound, PayloadTooLarge
from heatcases.praise import service, storage
from heatcases.praise.schemas import AttachmentId
from heatcases.praise.serving import file_response
from heatcases.templating import render, safe_next

router = APIRouter(include_in_schema=False)

NextForm = Annotated[str, Form(max_length=2000)]


def _upload_page(request: Request, session, user, case_id: int, *, error: str | None = None, caption: str = "",
                 status_code: int = 200):  # fmt: skip
    case = cases.get_case(session, case_id, user)
    service.require_may_attach(user, case)
    settings = request.app.state.settings
    context = {
        "case": case,
        "error": error,
        "caption": caption,
        "max_mb": settings.max_attachment_bytes // (1024 * 1024),
        "approved_at_once": cases.is_reviewer(user),
        "caption_max": service.CAPTION_MAX,
    }
    return render(request, "praise/upload.html", context, status_code=status_code)


@router.get("/cases/{case_id}/attachments/new")
def upload_form(request: Request, case_id: CaseId, user: PageUser, session: SessionDep):
    """The form to attach the customer's praise: what is taken, how big, and that a picture's personal data
    cannot be masked automatically."""
    return _upload_page(request, session, user, case_id)


@router.post("/cases/{case_id}/attachments", dependencies=[MultipartCsrf])
def upload(
    request: Request,
    case_id: CaseId,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    caption: Annotated[str, Form(max_length=1000)] = "",
):
    """Attach the file; back to the case, or the form again with what was wrong."""
    try:
        if file is None or not file.filename:
            raise InvalidInput("file", "choose a file", message_key="praise.rejected.empty")
        attachment = service.add_attachment(
            session, case_id, user, upload=file.file, filename=file.filename, caption=caption,
            max_bytes=settings.max_attachment_bytes,
        )  # fmt: skip
    except (InvalidInput, PayloadTooLarge) as problem:
        session.rollback()
        return _upload_page(request, session, user, case_id, error=problem.message_key, caption=caption,
                            status_code=problem.status_code)  # fmt: skip
    msg = "flash.praise_added" if attachment.status == "approved" else "flash.praise_pending"
    return RedirectResponse(f"/cases/{case_id}?msg={msg}#evidence", status_code=303)


@router.get("/attachments/{attachment_id}")
def content(request: Request, attachment_id: AttachmentId, user: PageUser, session: SessionDep):
    """The file, for the case page's <img>, <video> and links (byte ranges)."""
    attachment, _ = service.get_attachment(session, attachment_id, user)
    session.commit()
    return file_response(request, request.app.state.read_engine, attachment, storage.CONTENT)


@router.get("/attachments/{attachment_id}/thumbnail")
def thumbnail(request: Request, attachment_id: AttachmentId, user: PageUser, session: SessionDep):
    """Its small JPEG."""
    attachment, _ = service.get_attachment(session, attachment_id, user)
    session.commit()
    if not attachment.thumbnail_size:
        raise NotFound("this attachment has no thumbnail")
    return file_response(request, request.app.state.read_engine, attachment, storage.THUMBNAIL)


def _back(next_url: str, case_id: int, msg: str) -> RedirectResponse:
    target = safe_next(next_url) if next_url else f"/cases/{case_id}"
    path, _, fragment = target.partition("#")
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}msg={msg}#{fragment or 'evidence'}", status_code=303)


@router.post("/attachments/{attachment_id}/approve")
def approve(attachment_id: AttachmentId, user: ReviewerPageUser, session: SessionDep, next: NextForm = ""):
    """A supervisor approves it: every reader of the case sees it."""
    attachment = service.approve_attachment(session, attachment_id, user)
    return _back(next, attachment.case_id, "flash.praise_approved")


@router.post("/attachments/{attachment_id}/delete")
def delete(attachment_id: AttachmentId, user: PageUser, session: SessionDep, next: NextForm = ""):
    """Remove it (the case's author or a supervisor)."""
    case_id = service.delete_attachment(session, attachment_id, user)
    return _back(next, case_id, "flash.praise_removed")
