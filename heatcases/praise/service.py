"""Praise evidence: who may attach, see, approve and remove a case's attachments, and the work itself.

- Attach: the case's author or a supervisor/admin, to a case they can see. A supervisor's attachment is
  approved at once; an author's is ``pending`` until a supervisor approves it: with the case, when the case
  is approved (``_approve_with_case`` listens to the session, so the cases domain knows nothing of
  attachments), or on its own for a case already approved.
- See: whoever may read the case sees its approved attachments; pending ones only its author and supervisors.
  An attachment one may not see does not exist for them (404), as for cases.
- Remove: who may attach.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from heatcases.cases import service as cases
from heatcases.db import begin_read, begin_write, utcnow
from heatcases.errors import InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from heatcases.models import Case, CaseAttachment, CaseEvent, User
from heatcases.praise import media, storage
from heatcases.privacy import mask_fields

CAPTION_MAX = 200
COPY_BYTES = 1024 * 1024


def may_attach(user: User, case: Case) -> bool:
    """The case's author and supervisors (admins) may add and remove its evidence."""
    return cases.is_reviewer(user) or case.author_id == user.id


def require_may_attach(user: User, case: Case) -> None:
    if not may_attach(user, case):
        raise PermissionDenied("only the case's author and supervisors can add or remove praise",
                               message_key="praise.forbidden")  # fmt: skip


def can_see(user: User, case: Case, attachment: CaseAttachment) -> bool:
    return cases.can_see(user, case) and (attachment.status == "approved" or may_attach(user, case))


def get_attachment(session: Session, attachment_id: int, user: User) -> tuple[CaseAttachment, Case]:
    """The attachment and its case, if the user may see them; NotFound otherwise."""
    attachment = session.exec(select(CaseAttachment).where(CaseAttachment.id == attachment_id)).unique().first()
    if attachment is None:
        raise NotFound("attachment not found")
    case = session.exec(select(Case).where(Case.id == attachment.case_id)).unique().one()
    if not can_see(user, case, attachment):
        raise NotFound("attachment not found")
    return attachment, case


def list_attachments(session: Session, case: Case, user: User) -> list[CaseAttachment]:
    """The case's attachments the user may see (the case itself is visible to them), oldest first."""
    statement = select(CaseAttachment).where(CaseAttachment.case_id == case.id)
    if not may_attach(user, case):
        statement = statement.where(CaseAttachment.status == "approved")
    return list(session.exec(statement.order_by(CaseAttachment.created_at, CaseAttachment.id)).unique())


def attachments_of(session: Session, case_ids: list[int]) -> dict[int, list[CaseAttachment]]:
    """Every attachment of these cases, per case (for a supervisor's review queue)."""
    out: dict[int, list[CaseAttachment]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        statement = select(CaseAttachment).where(CaseAttachment.case_id.in_(case_ids))
        for attachment in session.exec(statement.order_by(CaseAttachment.id)).unique():
            out[attachment.case_id].append(attachment)
    return out


def pending_attachments(session: Session, reviewer: User, *, limit: int = 100) -> list[tuple[CaseAttachment, Case]]:
    """Attachments waiting for a supervisor on cases already approved (a pending case's wait with the case),
    oldest first."""
    cases.require_reviewer(reviewer)
    statement = (
        select(CaseAttachment, Case)
        .join(Case, Case.id == CaseAttachment.case_id)
        .where(CaseAttachment.status == "pending", Case.status == "approved")
        .order_by(CaseAttachment.created_at, CaseAttachment.id)
        .limit(limit)
    )
    return [(attachment, case) for attachment, case in session.exec(statement).unique()]


def _copy_limited(upload: BinaryIO, target: Path, max_bytes: int) -> None:
    with target.open("wb") as out:
        copied = 0
        while block := upload.read(COPY_BYTES):
            copied += len(block)
            if copied > max_bytes:
                raise PayloadTooLarge(f"the file is larger than {max_bytes} bytes", message_key="praise.too_large")
            out.write(block)
    if copied == 0:
        raise InvalidInput("file", "the file is empty", message_key="praise.rejected.empty")


def clean_caption(caption: str | None) -> str | None:
    """A caption of at most CAPTION_MAX characters, on one line, personal data masked; None when empty."""
    text = " ".join((caption or "").split())
    if len(text) > CAPTION_MAX:
        raise InvalidInput("caption", f"at most {CAPTION_MAX} characters", message_key="praise.caption_long")
    return mask_fields(text)[0][0] if text else None


def add_attachment(
    session: Session,
    case_id: int,
    user: User,
    *,
    upload: BinaryIO,
    filename: str | None,
    caption: str | None,
    max_bytes: int,
) -> CaseAttachment:
    """Check the uploaded file by its content, prepare it (media.prepare) and store it with the case."""
    begin_read(session)
    case = cases.get_case(session, case_id, user)
    require_may_attach(user, case)
    session.commit()
    caption = clean_caption(caption)
    workdir = Path(tempfile.mkdtemp(prefix="heat-upload-"))
    try:
        source = workdir / "upload"
        _copy_limited(upload, source, max_bytes)
        try:
            prepared = media.prepare(source, workdir)
        except media.Rejected as rejected:
            raise InvalidInput("file", rejected.detail, message_key=rejected.reason) from None
        return _store(session, case_id, user, prepared, media.clean_filename(filename, prepared.extension), caption)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _store(session: Session, case_id: int, user: User, prepared: media.Prepared, filename: str,
           caption: str | None) -> CaseAttachment:  # fmt: skip
    begin_write(session)
    cases.get_case(session, case_id, user, for_update=True)  # still there (and visible)
    now = utcnow()
    approved = cases.is_reviewer(user)
    attachment = CaseAttachment(
        case_id=case_id,
        kind=prepared.kind,
        media_type=prepared.media_type,
        filename=filename,
        caption=caption,
        size=prepared.size,
        sha256=prepared.sha256,
        width=prepared.width,
        height=prepared.height,
        pages=prepared.pages,
        duration_seconds=prepared.duration_seconds,
        thumbnail_size=len(prepared.thumbnail) if prepared.thumbnail else None,
        status="approved" if approved else "pending",
        uploaded_by_id=user.id,
        created_at=now,
        approved_by_id=user.id if approved else None,
        approved_at=now if approved else None,
    )
    session.add(attachment)
    session.flush()
    with prepared.path.open("rb") as content:
        storage.write(session, attachment.id, storage.CONTENT, content)
    if prepared.thumbnail:
        storage.write(session, attachment.id, storage.THUMBNAIL, io.BytesIO(prepared.thumbnail))
    session.commit()
    return _read_back(session, attachment.id, user)


def _read_back(session: Session, attachment_id: int, user: User) -> CaseAttachment:
    if session.in_transaction():
        session.commit()
    begin_read(session)
    attachment, _ = get_attachment(session, attachment_id, user)
    session.commit()
    return attachment


def approve_attachment(session: Session, attachment_id: int, reviewer: User) -> CaseAttachment:
    """A supervisor approves an attachment (approving an approved one changes nothing)."""
    cases.require_reviewer(reviewer)
    begin_write(session)
    attachment, _ = get_attachment(session, attachment_id, reviewer)
    if attachment.status != "approved":
        attachment.status, attachment.approved_by_id, attachment.approved_at = "approved", reviewer.id, utcnow()
        session.add(attachment)
        session.commit()
    return _read_back(session, attachment_id, reviewer)


def delete_attachment(session: Session, attachment_id: int, user: User) -> int:
    """Remove an attachment and its bytes (its case's author or a supervisor); returns its case's id."""
    begin_write(session)
    attachment, case = get_attachment(session, attachment_id, user)
    require_may_attach(user, case)
    session.delete(attachment)  # its blobs go with it (ON DELETE CASCADE)
    session.commit()
    return case.id


@event.listens_for(OrmSession, "after_flush")
def _approve_with_case(session: OrmSession, _flush_context) -> None:
    """A case's approval approves the evidence its author attached while it waited, in the same transaction."""
    for item in session.new:
        if isinstance(item, CaseEvent) and item.action == "approve":
            session.connection().execute(
                update(CaseAttachment.__table__)
                .where(CaseAttachment.case_id == item.case_id, CaseAttachment.status == "pending")
                .values(status="approved", approved_by_id=item.actor_id, approved_at=item.created_at)
            )
