"""Request dependencies: settings, database session, the current user for the API and for pages."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.config import Settings
from heatcases.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from heatcases.models import User
from heatcases.vocab import AUTHOR_ROLES, REVIEWER_ROLES

SESSION_COOKIE = "heat_session"
CSRF_COOKIE = "heat_csrf"
# Forms with a file (multipart): asgi-csrf 0.11 cannot read those with the python-multipart FastAPI needs now, so
# it lets them through (app.py) and this dependency makes the same double-submit check: the form's csrftoken is
# the signed token of the cookie.
MULTIPART_FORMS = frozenset({"/admin/users/import"})
# Praise evidence uploads (page and API): a body limit of their own (HEATCASES_MAX_ATTACHMENT_BYTES plus the
# form around the file); the page's form is a multipart form as above.
UPLOAD_PATHS = re.compile(r"^/(?:api/)?cases/\d+/attachments$")
UPLOAD_FORM_OVERHEAD = 64 * 1024


def is_multipart_form(path: str) -> bool:
    return path in MULTIPART_FORMS or (not path.startswith("/api/") and UPLOAD_PATHS.match(path) is not None)


# Dependencies that only look at the request or at what another dependency gave are ``async def``: FastAPI runs
# a plain ``def`` dependency in the thread pool, one hop there and back per dependency per request, each waiting
# for the GIL when the server is busy. Those that touch the database stay ``def`` (they would block the loop).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's session. A GET reads (on SQLite: no write lock); what it writes (views, impressions,
    logged searches) goes through ``db.begin_write``. Other methods write."""
    state = request.app.state
    engine = state.read_engine if request.method in ("GET", "HEAD") else state.engine
    with Session(engine, expire_on_commit=False) as session:
        yield from _as_the_requests(request, session)


def _as_the_requests(request: Request, session: Session) -> Iterator[Session]:
    """Lend the session to what the page needs besides (the bell's count), so that a request holds one
    connection, never two; an error page rendered after it closed reads in a session of its own."""
    request.state.session = session
    try:
        yield session
    finally:
        request.state.session = None


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for reports that only read, whatever the method (see db.reader)."""
    with Session(request.app.state.read_engine, expire_on_commit=False) as session:
        yield from _as_the_requests(request, session)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _end_lookup(session: Session) -> None:
    """End the token lookup's transaction, so the request's own work starts a transaction of its kind
    (a writer for a POST). The user stays loaded."""
    session.commit()


# What a person who signed in with a one-time password may do before choosing their own password.
PASSWORD_CHANGE_PATHS = frozenset({"/api/me", "/api/me/password", "/api/auth/token", "/me/profile", "/me/password"})


def _must_choose_password(request: Request, user: User) -> None:
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired("choose your own password first (POST /api/me/password)")


def api_user(request: Request, session: SessionDep) -> User:
    """The user of a valid bearer token; 401 otherwise."""
    token = bearer_token(request)
    db.begin_read(session)  # a lookup, even in a request that writes: it must not queue for the write lock
    user = accounts.user_for_token(session, token, kind="api") if token else None
    _end_lookup(session)
    if user is None:
        raise NotAuthenticated("a valid bearer token is required")
    _must_choose_password(request, user)
    return user


def optional_page_user(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    db.begin_read(session)
    user = accounts.user_for_token(session, token, kind="web") if token else None
    _end_lookup(session)
    request.state.user = user
    return user


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    """The logged-in user of a page; anonymous visitors are sent to the login page, people who must choose
    their own password to their profile."""
    if user is None:
        raise NotAuthenticated("login required")
    _must_choose_password(request, user)
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]


def require_role(user: User, roles: frozenset[str]) -> User:
    if user.role not in roles:
        raise PermissionDenied(f"this needs the role {' or '.join(sorted(roles))}")
    return user


# Role checks as dependencies run before the body is validated: a trainee gets 403, not 422.
async def author_api_user(user: ApiUser) -> User:
    return require_role(user, AUTHOR_ROLES)


async def reviewer_api_user(user: ApiUser) -> User:
    return require_role(user, REVIEWER_ROLES)


async def author_page_user(user: PageUser) -> User:
    return require_role(user, AUTHOR_ROLES)


async def reviewer_page_user(user: PageUser) -> User:
    return require_role(user, REVIEWER_ROLES)


async def admin_page_user(user: PageUser) -> User:
    return require_role(user, frozenset({"admin"}))


async def admin_api_user(user: ApiUser) -> User:
    return require_role(user, frozenset({"admin"}))


AuthorApiUser = Annotated[User, Depends(author_api_user)]
ReviewerApiUser = Annotated[User, Depends(reviewer_api_user)]
AuthorPageUser = Annotated[User, Depends(author_page_user)]
ReviewerPageUser = Annotated[User, Depends(reviewer_page_user)]
AdminPageUser = Annotated[User, Depends(admin_page_user)]
AdminApiUser = Annotated[User, Depends(admin_api_user)]


def session_ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_ttl_hours)


async def multipart_csrf(request: Request) -> None:
    """Refuse (403, the CSRF message) a multipart form whose csrftoken is not its CSRF cookie's signed token."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = (await request.form()).get("csrftoken")
    try:
        URLSafeSerializer(request.app.state.settings.secret_key).loads(cookie, "csrftoken")
    except BadSignature:
        raise PermissionDenied("CSRF check failed", message_key="error.csrf") from None
    if not isinstance(token, str) or not secrets.compare_digest(token, cookie):
        raise PermissionDenied("CSRF check failed", message_key="error.csrf")


MultipartCsrf = Depends(multipart_csrf)
