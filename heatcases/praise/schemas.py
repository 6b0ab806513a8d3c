"""The public shape of praise evidence (README, "Praise evidence")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from heatcases.models import CaseAttachment

AttachmentId = Annotated[int, Path(ge=1, le=2_147_483_647)]
EvidenceKind = Literal["image", "pdf", "video"]


class AttachmentPublic(BaseModel):
    """One piece of praise evidence. ``url`` serves its content (byte ranges for videos), ``thumbnail_url`` a
    JPEG of it (a picture made small, a PDF's first page, a video's first frame) or null."""

    id: int
    case_id: int
    kind: EvidenceKind
    media_type: str = Field(description="what the content is (found in it, not taken from the upload)")
    filename: str
    caption: str | None
    size: int = Field(description="bytes stored (an image as re-encoded, a video as re-packed)")
    width: int | None
    height: int | None
    pages: int | None = Field(description="a PDF's pages")
    duration_seconds: float | None = Field(description="a video's length")
    status: Literal["pending", "approved"]
    uploaded_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    url: str
    thumbnail_url: str | None

    @classmethod
    def of(cls, attachment: CaseAttachment) -> AttachmentPublic:
        return cls(
            id=attachment.id,
            case_id=attachment.case_id,
            kind=attachment.kind,
            media_type=attachment.media_type,
            filename=attachment.filename,
            caption=attachment.caption,
            size=attachment.size,
            width=attachment.width,
            height=attachment.height,
            pages=attachment.pages,
            duration_seconds=attachment.duration_seconds,
            status=attachment.status,
            uploaded_by=attachment.uploaded_by.username,
            created_at=attachment.created_at,
            approved_by=attachment.approved_by.username if attachment.approved_by else None,
            approved_at=attachment.approved_at,
            url=f"/api/attachments/{attachment.id}",
            thumbnail_url=f"/api/attachments/{attachment.id}/thumbnail" if attachment.thumbnail_size else None,
        )


class AttachmentList(BaseModel):
    items: list[AttachmentPublic]
