"""Fixtures of the praise evidence tests: an upload helper over the API."""

from __future__ import annotations

import pytest

from tests.praise import files

MEDIA = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf",
         "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"}  # fmt: skip


@pytest.fixture(scope="session")
def samples() -> dict[str, bytes]:
    """One real file of each kind the library takes (pictures with a GPS position in their EXIF, videos with a
    location in their metadata)."""
    return {
        "jpg": files.image_bytes("JPEG"),
        "png": files.image_bytes("PNG"),
        "webp": files.image_bytes("WEBP"),
        "pdf": files.pdf_bytes(),
        "webm": files.video_bytes("webm"),
        "mp4": files.video_bytes("mp4"),
        "mov": files.video_bytes("mov"),
    }


@pytest.fixture
def upload():
    """upload(actor, case_id, data, name="praise.jpg", caption="") -> the response."""

    def do(actor, case_id: int, data: bytes, name: str = "praise.jpg", caption: str = "", content_type=None):
        content_type = content_type or MEDIA.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        return actor.post(
            f"/api/cases/{case_id}/attachments",
            files={"file": (name, data, content_type)},
            data={"caption": caption} if caption else None,
        )

    return do
