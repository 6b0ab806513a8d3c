"""Account pages: login, logout, language switch, one's profile, user administration for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from heatcases.accounts import admin as user_admin
from heatcases.accounts import audit, service
from heatcases.accounts.deps import PageNumber, UserFilterDep
from heatcases.deps import (
    SESSION_COOKIE,
    AdminPageUser,
    OptionalPageUser,
    PageUser,
    SessionDep,
    SettingsDep,
    session_ttl,
)
from heatcases.errors import Conflict, HeatcasesError, InvalidInput, PermissionDenied
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
            external=request.app.state.external_login,
        )
    except service.LoginThrottled as refusal:
        context = {**context, "failed": False, "throttled_minutes": refusal.minutes}
        response = render(request, "accounts/login.html", context, status_code=429)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    except HeatcasesError as refusal:  # the directory is down, or gives this person no role here
        context = {**context, "failed": False, "refusal": refusal.message_key}
        return render(request, "accounts/login.html", context, status_code=refusal.status_code)
    if user is None:
        return render(request, "accounts/login.html", context, status_code=401)
    ttl = session_ttl(settings)
    token = service.issue_token(session, user, kind="web", ttl=ttl)
    target = "/me/profile?msg=flash.choose_password" if user.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _remember_language(response, user.language)
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


def _remember_language(response, code: str | None) -> None:
    """The page language in a cookie, for a year (an unknown code changes nothing)."""
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/"):
    """Remember the page language in a cookie."""
    response = RedirectResponse(safe_next(next), status_code=303)
    _remember_language(response, code)
    return response


# --- one's profile ---------------------------------------------------------------------------------


@router.get("/me/profile")
def profile_page(request: Request, user: PageUser):
    """One's role and team, language, display name and (local accounts) password."""
    return _profile(request, user)


def _profile(request: Request, user, *, error: str | None = None, status: int = 200):
    context = {"error": error, "directory_account": user.source == "directory"}
    return render(request, "accounts/profile.html", context, status_code=status)


@router.post("/me/profile")
def save_profile(
    request: Request,
    user: PageUser,
    session: SessionDep,
    language: Annotated[str, Form(max_length=5)] = "",
    display_name: Annotated[str | None, Form(max_length=200)] = None,
):
    """Save one's language (and a local account's display name)."""
    try:
        service.update_profile(
            session, user, language=language or None, display_name=display_name.strip() if display_name else None
        )
    except InvalidInput as error:
        session.rollback()
        return _profile(request, user, error=_message(error, "profile."), status=422)
    response = RedirectResponse("/me/profile?msg=flash.profile_saved", status_code=303)
    _remember_language(response, user.language)
    return response


@router.post("/me/password")
def change_password(
    request: Request,
    user: PageUser,
    session: SessionDep,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    confirm_password: Annotated[str, Form(max_length=1000)] = "",
):
    """Change one's own password with the current one; one's other sessions and tokens end."""
    if new_password != confirm_password:
        return _profile(request, user, error="profile.password_mismatch", status=422)
    try:
        service.change_own_password(
            session, user, current=current_password, new=new_password, keep_token=request.cookies.get(SESSION_COOKIE)
        )
    except (InvalidInput, PermissionDenied) as error:
        session.rollback()
        return _profile(request, user, error=_message(error, "profile."), status=error.status_code)
    return RedirectResponse("/me/profile?msg=flash.password_changed", status_code=303)


def _message(error: HeatcasesError, prefix: str) -> str:
    return error.message_key if error.message_key.startswith(prefix) else "error.422"


# --- user administration (admins) ------------------------------------------------------------------------

PER_PAGE = 50


@router.get("/admin/users")
def users_page(request: Request, admin: AdminPageUser, session: SessionDep, where: UserFilterDep, page: PageNumber = 1):
    """Admins: users found by name, filtered by role, team and status, a page at a time, with bulk actions."""
    return _users_page(request, session, where, page)


def _users_page(
    request: Request,
    session,
    where: user_admin.UserFilter | None = None,
    page: int = 1,
    *,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
):
    where = where or user_admin.UserFilter()
    total, users = user_admin.search_users(session, where, page=page, per_page=PER_PAGE)
    context = {
        "users": users,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "where": where,
        "teams": service.list_teams(session),
        "error": error,
        "form": form or {},
        "directory_configured": request.app.state.directory is not None,
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
            actor=admin,
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


@router.post("/admin/users/bulk")
def bulk_change(
    request: Request,
    admin: AdminPageUser,
    session: SessionDep,
    action: Annotated[str, Form(max_length=20)] = "",
    value: Annotated[str, Form(max_length=200)] = "",
    role_value: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/admin/users",
    user: Annotated[list[str], Form(max_length=1000)] = [],
):
    """Move the ticked users to a team, give them a role, disable or enable them."""
    try:
        user_admin.bulk_change(session, admin, user, action, role_value if action == "role" else value.strip())
    except (InvalidInput, PermissionDenied) as error:
        session.rollback()
        key = error.message_key if error.message_key.startswith(("users.", "admin.")) else "error.422"
        return _users_page(request, session, error=key, status=error.status_code)
    back = safe_next(back) if back.startswith("/admin/users") else "/admin/users"
    return RedirectResponse(back + ("&" if "?" in back else "?") + "msg=flash.users_changed", status_code=303)


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
            actor=admin,
        )
    except InvalidInput as error:
        session.rollback()
        key = error.message_key if error.message_key.startswith("user.") else "error.422"
        return _users_page(request, session, error=key, status=422)
    return RedirectResponse("/admin/users?msg=flash.user_saved", status_code=303)


@router.get("/admin/teams")
def teams_page(request: Request, admin: AdminPageUser, session: SessionDep):
    """Admins: every team with its members and their roles."""
    teams, no_team = user_admin.team_overview(session)
    return render(request, "accounts/teams.html", {"teams": teams, "no_team": no_team})


@router.get("/admin/changes")
def changes_page(
    request: Request,
    admin: AdminPageUser,
    session: SessionDep,
    target: Annotated[str, Query(max_length=60)] = "",
    page: PageNumber = 1,
):
    """Admins: who changed which account or team, and when."""
    total, changes = audit.list_changes(session, page=page, per_page=PER_PAGE, target=target or None)
    context = {
        "changes": changes,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "target": target,
    }
    return render(request, "accounts/changes.html", context)
