"""ASGI middleware: request concurrency (503 when saturated), request body limit (413) and security headers."""

from __future__ import annotations

import asyncio
import html
import json
import re
from weakref import WeakKeyDictionary

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from heatcases.i18n import translate
from heatcases.templating import request_language


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def bare_page(scope, status: int, message_key: str) -> bytes:
    """The page of an answer given before any route ran (no template, no user): the message and a way home,
    in the visitor's language."""
    lang = request_language(Request(scope)) if "app" in scope else "zh"
    text = {key: html.escape(translate(key, lang)) for key in (message_key, "error.back_home", "app.name")}
    return (
        f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><meta charset=utf-8>'
        f"<title>{status} · {text['app.name']}</title>"
        f"<p>{text[message_key]}</p><p><a href='/'>{text['error.back_home']}</a></p>"
    ).encode()


async def _send_answer(scope, send, status: int, detail: str, message_key: str, extra_headers=()) -> None:
    """An answer given by a middleware, before any route ran: JSON for the API, a bare page otherwise."""
    if is_api_path(scope["path"]):
        body = json.dumps({"detail": detail}).encode()
        content_type = b"application/json"
    else:
        body = bare_page(scope, status, message_key)
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # These middleware are outside SecurityHeadersMiddleware: their own answers carry the headers too.
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *extra_headers,
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ConcurrencyLimitMiddleware:
    """Work on at most ``limit`` requests at once; later ones wait their turn, in order, without a thread.

    The server slows down instead of failing: a burst queues here rather than in the thread pool and the
    database pool (sized for ``limit``). A request that waited ``timeout`` seconds, or that arrives while
    ``max_waiting`` others wait, is answered 503 with Retry-After (never a 500). Static files and the liveness
    check (``/healthz``: "the process answers", even when busy) skip the line.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, app, limit: int, timeout: float, max_waiting: int):
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.max_waiting = max_waiting
        self.waiting = 0
        self._semaphores: WeakKeyDictionary = WeakKeyDictionary()  # one per event loop (tests run several)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._semaphores:
            self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return self._semaphores[loop]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/") or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        if semaphore.locked() and self.waiting >= self.max_waiting:
            await self._busy(scope, send)
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(semaphore.acquire(), self.timeout)
        except TimeoutError:
            await self._busy(scope, send)
            return
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            semaphore.release()

    async def _busy(self, scope, send) -> None:
        retry = (b"retry-after", str(self.RETRY_AFTER_SECONDS).encode())
        await _send_answer(scope, send, 503, "the server is busy; try again in a few seconds", "error.503", [retry])


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, without reading them whole (and unparseable
    multipart bodies with 400).

    A declared Content-Length over the limit is refused before any byte is read; a chunked body is
    counted as it streams and refused as soon as it passes the limit. The paths ``uploads`` matches (file
    uploads) have a limit of their own, ``upload_bytes``, and their bodies are never held here: the route
    spools the file to disk and checks the file's own size.
    """

    def __init__(self, app, max_bytes: int, uploads: re.Pattern | None = None, upload_bytes: int = 0):
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads
        self.upload_bytes = upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"")
        if content_type.startswith(b"multipart/form-data") and b"boundary=" not in content_type:
            # A multipart body without a boundary cannot be parsed; the CSRF check would crash on it.
            await self._answer(scope, send, 400, "multipart body without a boundary", "error.400")
            return
        upload = self.uploads is not None and self.uploads.match(scope["path"]) is not None
        limit = max(self.upload_bytes, self.max_bytes) if upload else self.max_bytes
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = limit + 1
            if declared > limit:
                await self._refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        if upload:
            await self.app(scope, _counted(receive, limit), send)
            return
        # No declared length (a chunked body): buffer at most the limit, then replay it to the app.
        messages, received = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._refuse(scope, send, self.max_bytes)
                return
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope, send, limit: int):
        await self._answer(scope, send, 413, f"request body is larger than {limit} bytes", "error.413")

    async def _answer(self, scope, send, status: int, detail: str, message_key: str):
        await _send_answer(scope, send, status, detail, message_key, [(b"connection", b"close")])


def _counted(receive, limit: int):
    """``receive`` that counts a streamed body and stops it with a 413 (answered by the app's error handler,
    before any response) once it passes ``limit``."""
    received = 0

    async def counted():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise StarletteHTTPException(413, f"request body is larger than {limit} bytes")
        return message

    return counted


SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Every response: a strict Content-Security-Policy (scripts and styles from this site only, no inline
    code), no framing, no MIME sniffing, no referrer beyond this site."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
