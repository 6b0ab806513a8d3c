"""Directory API (admins): the sync with the company directory and the roster import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from heatcases.deps import AdminApiUser, SessionDep
from heatcases.directory import roster, service
from heatcases.directory.schemas import ImportResult, SyncResult
from heatcases.errors import error_responses

router = APIRouter(prefix="/api/admin", tags=["directory"])


@router.post("/directory/sync", response_model=SyncResult, responses={
    **error_responses(403, 409),
    503: {"description": "The company directory did not answer; nothing changed"},
})  # fmt: skip
def sync(
    request: Request, admin: AdminApiUser, session: SessionDep, dry_run: Annotated[bool, Query()] = False
) -> SyncResult:
    """Bring directory accounts in step with the directory (roles, teams, names; disable those gone or
    disabled there, ending their sessions); ``dry_run=true`` only says what would change. 409 without a directory."""
    directory = request.app.state.directory
    if directory is None:
        raise service.DirectoryNotConfigured()
    changes = service.sync_directory(session, directory, actor=admin, dry_run=dry_run)
    return SyncResult.of(changes, dry_run=dry_run)


@router.post("/users/import", response_model=ImportResult, responses={
    **error_responses(403),
    422: {"description": "Rows that fail, as `line N: field: reason`; nothing was written"},
})  # fmt: skip
def import_users(admin: AdminApiUser, session: SessionDep, file: Annotated[UploadFile, File()]):
    """Import a roster (.csv or .xlsx: username, display_name, role, team): new people get a one-time password,
    shown only in this answer, that they replace at their first login; changed rows update the person; a
    repeated import changes nothing. Any bad row: 422 with every problem, and nothing written."""
    report = roster.import_roster(session, file.filename or "", file.file.read(roster.MAX_BYTES + 1), actor=admin)
    if not report.ok:
        return JSONResponse({"detail": report.errors}, status_code=422)
    return ImportResult.of(report)
