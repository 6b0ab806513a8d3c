"""An attachment's bytes in the database (``attachment_blob``), in pieces: written from a file without holding it
in memory, read back a range at a time (each piece by its own short query, so a slow reader holds no
connection between pieces)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from heatcases.models import AttachmentBlob

CHUNK_BYTES = 512 * 1024
CONTENT, THUMBNAIL = "content", "thumbnail"


def write(session: Session, attachment_id: int, part: str, stream: BinaryIO) -> int:
    """Store ``stream`` as the attachment's ``part``, a piece at a time; returns the bytes written."""
    table, seq, written = AttachmentBlob.__table__, 0, 0
    while piece := stream.read(CHUNK_BYTES):
        session.execute(insert(table).values(attachment_id=attachment_id, part=part, seq=seq, data=piece))
        seq, written = seq + 1, written + len(piece)
    return written


def read_range(engine: Engine, attachment_id: int, part: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start``..``end`` (inclusive) of the part, one stored piece at a time."""
    blob = AttachmentBlob
    for seq in range(start // CHUNK_BYTES, end // CHUNK_BYTES + 1):
        with Session(engine) as session:
            piece = session.execute(
                select(blob.data).where(blob.attachment_id == attachment_id, blob.part == part, blob.seq == seq)
            ).scalar()
        if piece is None:  # deleted while it was being read
            return
        offset = seq * CHUNK_BYTES
        yield piece[max(start - offset, 0) : end - offset + 1]
