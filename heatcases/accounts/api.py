"""Accounts API: bearer tokens, the current user and their profile, user administration for admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from heatcases.accounts import admin, audit, service
from heatcases.accounts.deps import PageNumber, UserFilterDep
from heatcases.accounts.schemas import (
    BulkChange,
    BulkResult,
    Change,
    ChangePage,
    Me,
    PasswordChange,
    Profile,
    ProfileUpdate,
    TeamCounts,
    Teams,
    TokenRequest,
    TokenResponse,
    UserPage,
    UserRow,
)
from heatcases.deps import AdminApiUser, ApiUser, SessionDep, SettingsDep, bearer_token
from heatcases.errors import NotAuthenticated, error_responses

router = APIRouter(prefix="/api", tags=["accounts"])


THROTTLED = {
    "description": "Too many failed logins for this username or client address: try again after Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds until the lock ends", "schema": {"type": "integer"}}},
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}
DIRECTORY_ERRORS = {
    403: {"description": "The directory accepted the password, but the person is in no group that has a role here"},
    503: {"description": "The company directory did not answer in time or refused the connection"},
}


@router.post("/auth/token", response_model=TokenResponse, responses={429: THROTTLED, **DIRECTORY_ERRORS})
def create_token(request: Request, payload: TokenRequest, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Exchange a username and password (a local one, or the company directory's) for a bearer token that
    expires; repeated failures are throttled."""
    try:
        user = service.log_in(
            session,
            username=payload.username,
            password=payload.password,
            client_ip=request.client.host if request.client else "",
            policy=service.LoginPolicy.from_settings(settings),
            external=request.app.state.external_login,
        )
    except service.LoginThrottled as refusal:
        raise HTTPException(429, refusal.detail, headers={"Retry-After": str(refusal.retry_after)}) from None
    if user is None:
        raise NotAuthenticated("invalid username or password")
    ttl = timedelta(hours=settings.token_ttl_hours)
    token = service.issue_token(session, user, kind="api", ttl=ttl)
    return TokenResponse(access_token=token, role=user.role, expires_in=int(ttl.total_seconds()))


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, user: ApiUser, session: SessionDep) -> Response:
    """Revoke the bearer token of this request (log out)."""
    service.revoke_token(session, bearer_token(request))
    return Response(status_code=204)


def _me(user) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "team": user.team.name if user.team else None,
        "display_name": user.display_name,
    }


@router.get("/me", response_model=Me)
def me(user: ApiUser) -> Me:
    """Who the token belongs to."""
    return Me(**_me(user))


@router.patch("/me", response_model=Profile, responses=error_responses(403))
def update_me(payload: ProfileUpdate, user: ApiUser, session: SessionDep) -> Profile:
    """Change one's own settings: the page language, and the display name of a local account."""
    user = service.update_profile(session, user, language=payload.language, display_name=payload.display_name)
    return Profile(**_me(user), language=user.language, source=user.source,
                   must_change_password=user.must_change_password)  # fmt: skip


@router.post("/me/password", status_code=204, responses=error_responses(403))
def change_password(request: Request, payload: PasswordChange, user: ApiUser, session: SessionDep) -> Response:
    """Change one's own password (local accounts) with the current one; every other session and token of the
    person ends, this token stays. 422 names the field: a wrong current password, a short or common new one."""
    service.change_own_password(
        session, user, current=payload.current_password, new=payload.new_password, keep_token=bearer_token(request)
    )
    return Response(status_code=204)


# --- administration (admins) ---------------------------------------------------------------------------


@router.get("/admin/users", response_model=UserPage, responses=error_responses(403))
def list_users(
    admin_user: AdminApiUser,
    session: SessionDep,
    where: UserFilterDep,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPage:
    """Users by username, found by name or username and filtered by role, team ("-": none), status
    (active, disabled) and source (local, directory), a page at a time."""
    total, users = admin.search_users(session, where, page=page, per_page=per_page)
    return UserPage(total=total, page=page, per_page=per_page, items=[UserRow.of(user) for user in users])


@router.post("/admin/users/bulk", response_model=BulkResult, responses=error_responses(403))
def bulk_change(payload: BulkChange, admin_user: AdminApiUser, session: SessionDep) -> BulkResult:
    """Move users to a team, give them a role, disable or enable them, all at once; each change is recorded."""
    changed = admin.bulk_change(session, admin_user, payload.usernames, payload.action, payload.value)
    return BulkResult(changed=changed)


@router.get("/admin/teams", response_model=Teams, responses=error_responses(403))
def list_teams(admin_user: AdminApiUser, session: SessionDep) -> Teams:
    """Every team with its number of members, active members and members per role."""
    teams, no_team = admin.team_overview(session)
    return Teams(items=[TeamCounts(**vars(team)) for team in teams], no_team=no_team)


@router.get("/admin/changes", response_model=ChangePage, responses=error_responses(403))
def list_changes(
    admin_user: AdminApiUser,
    session: SessionDep,
    target: Annotated[str, Query(max_length=60)] = "",
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ChangePage:
    """The record of changes to accounts and teams (who, what, to whom, when), newest first."""
    total, changes = audit.list_changes(session, page=page, per_page=per_page, target=target or None)
    return ChangePage(total=total, page=page, per_page=per_page, items=[Change.of(change) for change in changes])
