"""ASGI middleware: request body limit (413) and security headers."""

from __future__ import annotations

import html
import json

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


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, without reading them whole (and unparseable
    multipart bodies with 400).

    A declared Content-Length over the limit is refused before any byte is read; a chunked body is
    counted as it streams and refused as soon as it passes the limit.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

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
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = self.max_bytes + 1
            if declared > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
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
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope, send):
        await self._answer(
            scope,
            send,
            413,
            f"request body is larger than {self.max_bytes} bytes",
            "error.413",
        )

    async def _answer(self, scope, send, status: int, detail: str, message_key: str):
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
                # This middleware is outside SecurityHeadersMiddleware: its own answers carry the headers too.
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


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
