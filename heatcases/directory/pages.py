"""Directory pages (admins): the sync with the company directory and the roster upload, both started from
the users page, each answering with what it did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from heatcases.deps import AdminPageUser, MultipartCsrf, SessionDep
from heatcases.directory import roster, service
from heatcases.templating import render

router = APIRouter(include_in_schema=False)


@router.post("/admin/directory/sync")
def sync(request: Request, admin: AdminPageUser, session: SessionDep, dry_run: Annotated[str, Form(max_length=5)] = ""):
    """Sync directory accounts now (or see what a sync would change) and show the changes."""
    directory = request.app.state.directory
    if directory is None:
        raise service.DirectoryNotConfigured()
    changes = service.sync_directory(session, directory, actor=admin, dry_run=dry_run == "1")
    return render(request, "directory/sync.html", {"changes": changes, "dry_run": dry_run == "1"})


@router.post("/admin/users/import", dependencies=[MultipartCsrf])
def import_users(request: Request, admin: AdminPageUser, session: SessionDep, file: Annotated[UploadFile, File()]):
    """Import a roster file; show its problems, or the new people's one-time passwords (this once)."""
    report = roster.import_roster(session, file.filename or "", file.file.read(roster.MAX_BYTES + 1), actor=admin)
    response = render(request, "directory/import.html", {"report": report}, status_code=200 if report.ok else 422)
    response.headers["Cache-Control"] = "no-store"  # one-time passwords: not kept by the browser or a proxy
    return response
