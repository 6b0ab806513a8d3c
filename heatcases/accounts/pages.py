"""Account pages: login, logout, language switch, user management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from heatcases.accounts import service
from heatcases.deps import SESSION_COOKIE, AdminPageUser, OptionalPageUser, SessionDep, SettingsDep, session_ttl
from heatcases.errors import Conflict, InvalidInput
from heatcases.i18n import LANGUAGES
from heatcases.templating import LANG_COOKIE, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, user: OptionalPageUser, next: str = "/"):
    """The login form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": safe_next(next), "failed": False})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    """Check the credentials (under the failed-login throttle) and start a session in an HttpOnly cookie."""
    context = {"next": safe_next(next), "failed": True, "username": username}
    try:
        user = service.log_in(
            session,
            username=username.strip(),
            password=password,
            client_ip=request.client.host if request.client else "",
            policy=service.LoginPolicy.from_settings(settings),
        )
    except service.LoginThrottled as refusal:
        context = {**context, "failed": False, "throttled_minutes": refusal.minutes}
        response = render(request, "accounts/login.html", context, status_code=429)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    if user is None:
        return render(request, "accounts/login.html", context, status_code=401)
    ttl = session_ttl(settings)
    token = service.issue_token(session, user, kind="web", ttl=ttl)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep):
    """End the session on the server and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.revoke_token(session, token)
    response = RedirectResponse("/login?msg=flash.logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/"):
    """Remember the page language in a cookie."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/admin/users")
def users_page(request: Request, admin: AdminPageUser, session: SessionDep):
    """Admins: every user, with forms to add, disable and reset passwords."""
    return _users_page(request, session)


def _users_page(request: Request, session, *, error: str | None = None, form: dict | None = None, status: int = 200):
    context = {
        "users": service.list_users(session),
        "teams": service.list_teams(session),
        "error": error,
        "form": form or {},
    }
    return render(request, "accounts/users.html", context, status_code=status)


@router.post("/admin/users")
def add_user(
    request: Request,
    admin: AdminPageUser,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=20)] = "agent",
    team: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
):
    """Create a user."""
    try:
        service.create_user(
            session,
            username=username.strip(),
            password=password,
            role=role,
            team=team.strip() or None,
            display_name=display_name.strip() or None,
        )
    except (InvalidInput, Conflict) as error:
        session.rollback()
        key = (
            error.message_key
            if error.message_key.startswith("user.")
            else (
                "user.exists"
                if isinstance(error, Conflict)
                else "user.invalid_username"
                if error.field == "username"
                else "error.422"
            )
        )
        form = {"username": username, "role": role, "team": team, "display_name": display_name}
        return _users_page(
            request, session, error=key, form=form, status=422 if isinstance(error, InvalidInput) else 409
        )
    return RedirectResponse("/admin/users?msg=flash.user_saved", status_code=303)


@router.post("/admin/users/{username}")
def change_user(
    request: Request,
    username: str,
    admin: AdminPageUser,
    session: SessionDep,
    active: Annotated[str | None, Form(max_length=10)] = None,
    password: Annotated[str | None, Form(max_length=1000)] = None,
    role: Annotated[str | None, Form(max_length=20)] = None,
    team: Annotated[str | None, Form(max_length=200)] = None,
):
    """Disable or enable a user, change their role or team, or set a new password."""
    if username == admin.username and (active == "0" or role not in (None, "admin")):
        return _users_page(request, session, error="users.not_yourself", status=409)
    try:
        service.update_user(
            session,
            username,
            password=password or None,
            active=None if active is None else active == "1",
            role=role or None,
            team=team,
        )
    except InvalidInput as error:
        session.rollback()
        key = error.message_key if error.message_key.startswith("user.") else "error.422"
        return _users_page(request, session, error=key, status=422)
    return RedirectResponse("/admin/users?msg=flash.user_saved", status_code=303)
