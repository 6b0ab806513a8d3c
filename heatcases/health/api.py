"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can serve), both without login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from heatcases.health.service import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is alive and answering (nothing else is checked: it never waits for the database)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready: the database or the search index is behind"}})
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers, the search index has caught up since start, and the changes not
    yet in it are younger than HEATCASES_READY_MAX_LAG_SECONDS. 503 (with the same figures) when not."""
    state = request.app.state
    report = readiness(state.read_engine, state.search, state.settings.ready_max_lag_seconds)
    return JSONResponse(report.public(), status_code=200 if report.ready else 503)
