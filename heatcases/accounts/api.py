"""Accounts API: bearer tokens and the current user."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from heatcases.accounts import service
from heatcases.deps import ApiUser, SessionDep, SettingsDep, bearer_token
from heatcases.errors import NotAuthenticated

router = APIRouter(prefix="/api", tags=["accounts"])


class TokenRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    team: str | None
    display_name: str


THROTTLED = {
    "description": "Too many failed logins for this username or client address: try again after Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds until the lock ends", "schema": {"type": "integer"}}},
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}


@router.post("/auth/token", response_model=TokenResponse, responses={429: THROTTLED})
def create_token(request: Request, payload: TokenRequest, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Exchange a username and password for a bearer token that expires; repeated failures are throttled."""
    try:
        user = service.log_in(
            session,
            username=payload.username,
            password=payload.password,
            client_ip=request.client.host if request.client else "",
            policy=service.LoginPolicy.from_settings(settings),
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


@router.get("/me", response_model=Me)
def me(user: ApiUser) -> Me:
    """Who the token belongs to."""
    return Me(
        username=user.username,
        role=user.role,
        team=user.team.name if user.team else None,
        display_name=user.display_name,
    )
