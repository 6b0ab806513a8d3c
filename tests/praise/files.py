"""Real files made for the tests: pictures with a GPS location in their EXIF, a PDF, short videos (PyAV's
FFmpeg encodes them), and files that only pretend to be one of those."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

GPS_IFD = 0x8825
# Where the photo was taken, as a phone writes it: 31°14'N 121°28'E (Shanghai).
GPS = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}


def picture(size=(64, 48), colour=(200, 40, 40), mode="RGB") -> Image.Image:
    image = Image.new(mode, size, colour if mode == "RGB" else (*colour, 128))
    for x in range(size[0] // 2):  # a diagonal, to tell orientation and scaling apart
        image.putpixel((x, x * size[1] // size[0]), (0, 0, 0) if mode == "RGB" else (0, 0, 0, 255))
    return image


def image_bytes(fmt: str, *, size=(64, 48), gps: bool = True, orientation: int | None = None) -> bytes:
    """A JPEG, PNG or WebP; with EXIF holding a GPS position (and an orientation) when asked."""
    image = picture(size, mode="RGBA" if fmt == "PNG" else "RGB")
    exif = Image.Exif()
    if gps:
        exif[GPS_IFD] = GPS
        exif[0x010F] = "PhoneMaker"  # camera make
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes()) if (gps or orientation) else image.save(out, fmt)
    return out.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    out = io.BytesIO()
    first, *rest = [picture((200, 280), colour=(240, 240, 240 - 20 * n)) for n in range(pages)]
    first.save(out, "PDF", save_all=True, append_images=rest)
    return out.getvalue()


def video_bytes(fmt: str = "webm", *, frames: int = 24, size=(160, 120), location: bool = True) -> bytes:
    """A second of real video: WebM (VP8) or MP4 (H.264), with a phone's location in its metadata."""
    codec = {"webm": "libvpx", "mp4": "libx264", "mov": "libx264"}[fmt]
    out = io.BytesIO()
    with av.open(out, "w", format=fmt if fmt != "mov" else "mov") as container:
        if location:
            container.metadata["location"] = "+31.2304+121.4737/"
            container.metadata["title"] = "customer 13812345678"
        stream = container.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.time_base = Fraction(1, 24)
        for n in range(frames):
            image = Image.new("RGB", size, (n * 10 % 255, 120, 200))
            frame = av.VideoFrame.from_image(image)
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def disguised_html() -> bytes:
    """A web page named like a photo."""
    return b"<!doctype html><html><script>alert(document.cookie)</script></html>"


def fake_jpeg() -> bytes:
    """A JPEG's first bytes, then nothing a decoder can read."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"not a picture" * 50


def fake_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"this is no PDF at all\n" * 20


def fake_mp4() -> bytes:
    """An MP4's ftyp box and then junk."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00junk" * 400


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path
