"""The one Jinja environment (autoescaped), its helpers, and the base context every page gets.

Base context: ``request``, ``user`` (or None), ``lang``, ``t`` (translate), ``label`` (a code's label),
``csrf_token``, ``vocab`` (the HEAT values and other terms), ``flash`` (a message key from ``?msg=``),
``local_time``, ``query_with`` (this page's query changed), ``static_url``, ``here`` (this page's path and query),
``unread_count()`` (the user's unread notifications, for the bell).

Page text: ``t('key', name=value)`` fills ``{name}`` and is escaped like any value. The jinja2.ext.i18n extension is
on too: ``_('key')``/``gettext``/``ngettext`` and ``{% trans %}`` read the same catalogs in the page's language
(the context's ``lang``), the newstyle way: their text is taken as safe markup and ``%(name)s`` is filled.
"""

from __future__ import annotations

import functools
from datetime import datetime
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from heatcases import story, vocab
from heatcases.db import ROOT
from heatcases.i18n import DEFAULT_LANGUAGE, catalogs, message_keys, pick_language, translate

LANG_COOKIE = "heat_lang"
FLASH_KEYS = frozenset(key for key in message_keys() if key.startswith("flash."))


def _page_catalog(context: Context):
    return catalogs()["en" if context.get("lang") == "en" else DEFAULT_LANGUAGE]


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translate(message, context.get("lang", DEFAULT_LANGUAGE))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _page_catalog(context).ngettext(singular, plural, n)


def current_link(here: str, links) -> str | None:
    """Which of the menu's links is the page at ``here``: the longest that it is, or lies under."""
    path = here.split("?", 1)[0]
    under = [link for link in links if path == link or path.startswith(link.rstrip("/") + "/")]
    return max(under, key=len, default=None)


environment = Environment(
    loader=FileSystemLoader(ROOT / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# The language is the page's (read from each render's context), so one environment serves every request and thread.
environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)
environment.filters["excerpt"] = story.excerpt
environment.globals["story_sections"] = story.sections
environment.globals["current_link"] = current_link
templates = Jinja2Templates(env=environment)


def request_language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.app.state.settings.default_language)


def local_time(value: datetime | None, request: Request) -> str:
    if value is None:
        return ""
    return value.astimezone(request.app.state.settings.tz).strftime("%Y-%m-%d %H:%M")


def query_with(request: Request, **changes) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = [(key, value) for key, value in request.query_params.multi_items() if key not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        params.extend((key, item) for item in value) if isinstance(value, list) else params.append((key, value))
    return "?" + urlencode(params) if params else "?"


def wants_json(request: Request) -> bool:
    """A page's own script asking for the JSON twin of a form's answer."""
    return "application/json" in request.headers.get("accept", "")


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@functools.lru_cache(maxsize=256)
def _static_url(app, path: str) -> str:
    """Where a static file is served: asked of the router once per file (it walks every route to find the mount,
    3.6 % of the workers' CPU under the shift load when asked on every page)."""
    return str(app.url_path_for("static", path=path))


def render(request: Request, template: str, context: dict | None = None, *, status_code: int = 200):
    lang = request_language(request)
    csrf = request.scope.get("csrftoken")
    msg = request.query_params.get("msg")
    user = getattr(request.state, "user", None)
    count_unread = getattr(request.app.state, "unread_notifications", None)  # set by create_app
    request_session = getattr(request.state, "session", None)  # the request's own (heatcases.deps), while open
    base = {
        "user": user,
        # The bell's number, read when the page shows the bell (not on pages without a user).
        "unread_count": (lambda: count_unread(user, request_session)) if user and count_unread else (lambda: 0),
        "lang": lang,
        "t": lambda key, **values: translate(key, lang, **values),
        "label": lambda kind, code: vocab.label(kind, code, lang),
        "csrf_token": csrf() if csrf else "",
        "vocab": vocab,
        "flash": msg if msg in FLASH_KEYS else None,
        "local_time": lambda value: local_time(value, request),
        "query_with": lambda **changes: query_with(request, **changes),
        "static_url": lambda path: _static_url(request.app, path),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)
