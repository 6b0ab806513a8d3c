"""An uploaded file checked by its content (never its name) and made ready to store: the only module that
reads media (filetype for the signature, Pillow for images, PDFium for PDFs, PyAV/FFmpeg for videos).

- images (JPEG, PNG, WebP) are decoded and encoded anew by Pillow: what is stored holds pixels only, no EXIF
  (GPS location, camera, time), no text chunks, no second file glued on; turned upright by their EXIF
  orientation first; at most ``MAX_SIDE`` pixels on the long side;
- PDFs must open in PDFium (a damaged or password-protected file is refused) and are stored as uploaded;
- videos (MP4, WebM; QuickTime's MOV from phones becomes MP4) must hold a video stream in a codec browsers
  play; their streams are copied, not re-encoded, into a new file without the container's metadata (phones
  write where the video was taken) and, for MP4, with its index first so that playing starts at once.

Each gets a JPEG thumbnail (a PDF's first page, a video's first frame). ``Rejected`` says why a file is
refused, as a key of the page messages.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
import pypdfium2
from PIL import Image, ImageOps, UnidentifiedImageError

from heatcases.privacy import mask_fields

# What the content must turn out to be: detected MIME type -> (kind, stored MIME type, extension).
ACCEPTED = {
    "image/jpeg": ("image", "image/jpeg", "jpg"),
    "image/png": ("image", "image/png", "png"),
    "image/webp": ("image", "image/webp", "webp"),
    "application/pdf": ("pdf", "application/pdf", "pdf"),
    "video/mp4": ("video", "video/mp4", "mp4"),
    "video/x-m4v": ("video", "video/mp4", "mp4"),
    "video/quicktime": ("video", "video/mp4", "mp4"),
    "video/webm": ("video", "video/webm", "webm"),
}
KINDS = ("image", "pdf", "video")
STORED_TYPES = tuple(dict.fromkeys(stored for _, stored, _ in ACCEPTED.values()))
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_PIXELS = 50_000_000  # a larger picture is refused before it is decoded (a decompression bomb)
MAX_SIDE = 4096  # larger pictures are scaled down to this on the long side: still a readable scan
THUMBNAIL_SIDE = 480
MAX_PDF_PAGES = 200
# Codecs a browser's <video> plays, per container written.
VIDEO_CODECS = {"mp4": {"h264", "av1", "vp9"}, "webm": {"vp8", "vp9", "av1"}}
AUDIO_CODECS = {"mp4": {"aac", "mp3", "opus"}, "webm": {"opus", "vorbis"}}

_pdfium = threading.Lock()  # PDFium is not thread-safe


class Rejected(Exception):
    """The file is not one we take; ``reason`` is a page message key (``praise.rejected.*``)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Prepared:
    """A checked file, ready to store: ``path`` holds the bytes to keep."""

    kind: str
    media_type: str
    extension: str
    path: Path
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    duration_seconds: float | None = None
    thumbnail: bytes | None = None


def detect(path: Path) -> tuple[str, str, str]:
    """(kind, stored MIME type, extension) from the file's signature; Rejected when it is none we take."""
    guess = filetype.guess(str(path))
    if guess is None or guess.mime not in ACCEPTED:
        found = guess.mime if guess else "unknown"
        raise Rejected("praise.rejected.type", f"not a JPEG, PNG, WebP, PDF, MP4 or WebM file (its content: {found})")
    return ACCEPTED[guess.mime]


def prepare(source: Path, workdir: Path) -> Prepared:
    """Check ``source`` by its content and write what is to be stored into ``workdir``."""
    kind, media_type, extension = detect(source)
    target = workdir / f"content.{extension}"
    if kind == "image":
        prepared = _image(source, target, media_type)
    elif kind == "pdf":
        prepared = _pdf(source, media_type)
    else:
        prepared = _video(source, target, extension)
    prepared.size, prepared.sha256 = _size_and_hash(prepared.path)
    return prepared


def _size_and_hash(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _thumbnail(picture: Image.Image) -> bytes:
    small = picture.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    if small.mode in ("RGBA", "LA", "P"):
        small = small.convert("RGBA")
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def _image(source: Path, target: Path, media_type: str) -> Prepared:
    damaged = Rejected("praise.rejected.damaged", "the picture cannot be read: damaged or not what it claims")
    try:
        with Image.open(source, formats=[PILLOW_FORMATS[media_type]]) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise Rejected("praise.rejected.pixels", f"the picture has more than {MAX_PIXELS:,} pixels")
            if opened.format == "JPEG":
                opened.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode a huge JPEG at a fraction of its size
            opened.seek(0)  # an animation: its first frame
            opened.load()
            icc = opened.info.get("icc_profile")  # colours; holds nothing about the customer
            picture = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise damaged from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pillow_format = PILLOW_FORMATS[media_type]
    options: dict = {"icc_profile": icc} if icc else {}
    if pillow_format == "JPEG":
        picture = picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
        options.update(quality=90, optimize=True)
    elif pillow_format == "WEBP":
        picture = picture if picture.mode in ("RGB", "RGBA") else picture.convert("RGBA")
        options.update(quality=90)
    # Written without exif=, pnginfo= or the source's info: the new file carries pixels (and colours) only.
    picture.save(target, pillow_format, **options)
    return Prepared(
        kind="image", media_type=media_type, extension=target.suffix[1:], path=target, size=0, sha256="",
        width=picture.width, height=picture.height, thumbnail=_thumbnail(picture),
    )  # fmt: skip


def _pdf(source: Path, media_type: str) -> Prepared:
    with _pdfium:
        try:
            document = pypdfium2.PdfDocument(str(source))
        except pypdfium2.PdfiumError as error:
            if "password" in str(error).lower():
                raise Rejected("praise.rejected.encrypted", "the PDF is protected by a password") from None
            raise Rejected("praise.rejected.damaged", "the PDF cannot be read: damaged or not a PDF") from None
        try:
            pages = len(document)
            if not 1 <= pages <= MAX_PDF_PAGES:
                raise Rejected("praise.rejected.pages", f"a PDF of 1 to {MAX_PDF_PAGES} pages")
            first = document[0]
            width, height = first.get_size()
            scale = THUMBNAIL_SIDE / max(width, height, 1)
            picture = first.render(scale=scale).to_pil()
        except pypdfium2.PdfiumError:
            raise Rejected("praise.rejected.damaged", "the PDF cannot be read: damaged or not a PDF") from None
        finally:
            document.close()
    return Prepared(
        kind="pdf", media_type=media_type, extension="pdf", path=source, size=0, sha256="",
        width=round(width), height=round(height), pages=pages, thumbnail=_thumbnail(picture),
    )  # fmt: skip


def _video(source: Path, target: Path, extension: str) -> Prepared:
    import av  # PyAV and its FFmpeg (16 MB of each server process) are read by the first video, not at start

    unreadable = Rejected("praise.rejected.damaged", "the video cannot be read: damaged or not what it claims")
    try:
        with av.open(str(source)) as container:
            video = next(iter(container.streams.video), None)
            if video is None:
                raise Rejected("praise.rejected.no_video", "the file holds no video")
            if video.codec_context.name not in VIDEO_CODECS[extension]:
                raise Rejected(
                    "praise.rejected.codec",
                    f"video in {video.codec_context.name}: browsers play {', '.join(sorted(VIDEO_CODECS[extension]))}",
                )
            audio = next((s for s in container.streams.audio if s.codec_context.name in AUDIO_CODECS[extension]), None)
            duration = container.duration / av.time_base if container.duration else None
            poster = next((frame.to_image() for frame in container.decode(video)), None)
            width, height = video.codec_context.width, video.codec_context.height
        _remux(source, target, extension, with_audio=audio is not None)
    except Rejected:
        raise
    except (av.FFmpegError, OSError, ValueError, StopIteration):
        raise unreadable from None
    return Prepared(
        kind="video", media_type=f"video/{extension}", extension=extension, path=target, size=0, sha256="",
        width=width, height=height, duration_seconds=round(duration, 2) if duration else None,
        thumbnail=_thumbnail(poster) if poster is not None else None,
    )  # fmt: skip


def _remux(source: Path, target: Path, extension: str, *, with_audio: bool) -> None:
    """Copy the first video stream (and a playable audio stream) into a new file: no container metadata,
    no other tracks (subtitles, a phone's location track)."""
    import av

    options = {"movflags": "+faststart"} if extension == "mp4" else {}
    with av.open(str(source)) as container, av.open(str(target), "w", format=extension, options=options) as out:
        streams = [container.streams.video[0]]
        if with_audio:
            streams.append(next(s for s in container.streams.audio if s.codec_context.name in AUDIO_CODECS[extension]))
        copies = {}
        for stream in streams:
            copy = out.add_stream_from_template(stream)
            copy.metadata.clear()
            copies[stream.index] = copy
        for packet in container.demux(*streams):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = copies[packet.stream.index]
            out.mux(packet)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_filename(name: str | None, extension: str) -> str:
    """The uploaded name to show and offer for download: its last part only, no control or path characters,
    personal data masked (a phone number in a file name is personal data too), the content's extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", stem)).strip(" ._")[:100] or "praise"
    return f"{mask_fields(stem)[0][0]}.{extension}"
