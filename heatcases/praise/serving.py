"""An attachment's bytes as an HTTP answer: single byte ranges (206, Content-Range, Accept-Ranges) so a video
plays and seeks in a <video> element, ETag revalidation (304), and headers that keep the file inert.

A ranged answer carries at most ``MAX_SLICE`` bytes (its Content-Range says which): a player asks for the rest
as it needs it, so a video being watched never holds one of the server's request turns for long.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine

from heatcases.models import CaseAttachment
from heatcases.praise import storage

MAX_SLICE = 4 * 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# The file itself, opened on its own, may do nothing: no script, no plugin, no form (a PDF or picture is inert).
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive of a single-range ``Range`` header; None to send the whole file (no header, one
    we do not take such as several ranges). ValueError when it cannot be satisfied (416)."""
    match = _RANGE.match((header or "").replace(" ", ""))
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return None  # invalid: ignored, the whole file is sent
    elif last:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
        if int(last) == 0:
            raise ValueError("an empty suffix range")
    else:
        return None
    if start >= size:
        raise ValueError("the range starts past the end")
    return start, min(end, start + MAX_SLICE - 1)


def _disposition(attachment: CaseAttachment, inline: bool) -> str:
    extension = attachment.filename.rsplit(".", 1)[-1]
    stem = attachment.filename.encode("ascii", "ignore").decode().replace('"', "").rsplit(".", 1)[0]
    ascii_name = f"{stem.strip() or 'praise'}.{extension}"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.filename)}"


def file_response(request: Request, engine: Engine, attachment: CaseAttachment, part: str) -> Response:
    """The attachment's content (or thumbnail), whole or the range asked for."""
    thumbnail = part == storage.THUMBNAIL
    size = attachment.thumbnail_size if thumbnail else attachment.size
    media_type = "image/jpeg" if thumbnail else attachment.media_type
    etag = f'"{attachment.sha256[:40]}{"-t" if thumbnail else ""}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",  # the browser keeps it, and asks (with the ETag) whether it still may
        "Content-Security-Policy": FILE_CSP,
        "Content-Disposition": _disposition(attachment, inline=thumbnail or attachment.kind != "pdf"),
    }
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers=headers)
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except ValueError:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is not None and (request.headers.get("if-range") or etag) != etag:
        wanted = None  # the file changed since the client's first part: all of it
    start, end = wanted or (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    body = storage.read_range(engine, attachment.id, part, start, end)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=media_type)
