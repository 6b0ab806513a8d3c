"""Reading assignment pages: supervisors' lists (make, assign, see who read what, remind); one's own lists."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import Field, ValidationError

from heatcases.accounts import service as accounts
from heatcases.assignments import service
from heatcases.assignments.schemas import MAX_ITEMS, AssignIn, ListId, ReadingListIn
from heatcases.deps import PageUser, ReviewerPageUser, SessionDep, SettingsDep
from heatcases.errors import InvalidInput, NotFound
from heatcases.metrics.periods import today
from heatcases.templating import render

router = APIRouter(include_in_schema=False)

_SEPARATORS = re.compile(r"[\s,，、;；]+")
_TRAILING_NUMBER = re.compile(r"(\d{1,10})/?$")


def case_ids_of(typed: str) -> list[int]:
    """Case numbers, or case and lesson addresses (…/cases/12), in the order typed; other words are skipped."""
    ids = []
    for token in _SEPARATORS.split(typed.strip()):
        match = _TRAILING_NUMBER.search(token)
        if match and int(match.group(1)) <= 2_147_483_647:
            ids.append(int(match.group(1)))
    return ids


def _lists_page(request: Request, session, settings, *, error: str | None = None, form: dict | None = None,
                status: int = 200):  # fmt: skip
    context = {
        "lists": service.all_lists(session, window_minutes=settings.view_window_minutes, today=today(settings.tz)),
        "error": error,
        "form": form or {},
        "today": today(settings.tz),
        "max_items": MAX_ITEMS,
    }
    return render(request, "assignments/lists.html", context, status_code=status)


@router.get("/reading")
def lists_page(request: Request, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep):
    """Supervisors: every reading list with its completion, and the form for a new one."""
    return _lists_page(request, session, settings)


TextForm = Annotated[str, Form(max_length=4000)]


@router.post("/reading")
def create_list(
    request: Request, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep,
    title: TextForm = "", note: TextForm = "", due_on: Annotated[str, Form(max_length=20)] = "", items: TextForm = "",
):  # fmt: skip
    """Make a reading list; then its page, to assign it."""
    form = {"title": title, "note": note, "due_on": due_on, "items": items}
    ids = case_ids_of(items)
    try:
        data = ReadingListIn.model_validate(
            {"title": title.strip(), "note": note.strip(), "due_on": due_on, "items": ids}
        )
        reading_list = service.create_list(session, user, data, today=today(settings.tz))
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        session.rollback()
        return _lists_page(request, session, settings, error=f"reading.invalid_{field}", form=form, status=422)
    except InvalidInput as error:
        session.rollback()
        return _lists_page(request, session, settings, error=error.message_key, form=form, status=422)
    return RedirectResponse(f"/reading/{reading_list.id}?msg=flash.reading_created", status_code=303)


def _list_page(request: Request, session, settings, list_id: int, *, error: str | None = None,
               form: dict | None = None, status: int = 200):  # fmt: skip
    reading = service.progress(session, list_id, window_minutes=settings.view_window_minutes)
    context = {
        "reading": service.list_public(reading, today=today(settings.tz)),
        "teams": [team for team, members in accounts.list_teams(session) if members],
        "error": error,
        "form": form or {},
    }
    return render(request, "assignments/list.html", context, status_code=status)


@router.get("/reading/{list_id}")
def list_page(request: Request, list_id: ListId, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep):
    """A list: its cases, completion per team and person, who is late; assign it, remind, take it back."""
    return _list_page(request, session, settings, list_id)


@router.post("/reading/{list_id}/assign")
def assign(
    request: Request, list_id: ListId, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep,
    usernames: TextForm = "", teams: Annotated[list[Annotated[str, Field(max_length=60)]], Form(max_length=50)] = [],
):  # fmt: skip
    """Assign the list to the people typed and the teams ticked."""
    names = [name for name in _SEPARATORS.split(usernames.strip()) if name]
    try:
        data = AssignIn.model_validate({"usernames": names, "teams": teams})
        added, _total = service.assign(session, user, list_id, data)
    except ValidationError:
        session.rollback()
        return _list_page(request, session, settings, list_id, error="reading.bad_people",
                          form={"usernames": usernames}, status=422)  # fmt: skip
    except InvalidInput as error:
        session.rollback()
        return _list_page(request, session, settings, list_id, error=error.message_key,
                          form={"usernames": usernames}, status=422)  # fmt: skip
    return RedirectResponse(f"/reading/{list_id}?msg=flash.reading_assigned", status_code=303)


@router.post("/reading/{list_id}/remind")
def remind(
    list_id: ListId, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep,
    username: Annotated[str, Form(max_length=40)] = "",
):  # fmt: skip
    """Remind everyone who has not finished, or one person (``username``)."""
    service.remind(
        session, list_id, [username] if username else None, window_minutes=settings.view_window_minutes,
        today=today(settings.tz),
    )  # fmt: skip
    return RedirectResponse(f"/reading/{list_id}?msg=flash.reading_reminded", status_code=303)


@router.post("/reading/{list_id}/unassign")
def unassign(
    request: Request, list_id: ListId, user: ReviewerPageUser, session: SessionDep, settings: SettingsDep,
    username: Annotated[str, Form(max_length=40)] = "",
):  # fmt: skip
    """Take the list back from one person."""
    try:
        service.unassign(session, list_id, username)
    except NotFound as error:
        session.rollback()
        if error.message_key == "reading.not_found":
            raise
        return _list_page(request, session, settings, list_id, error=error.message_key, status=404)
    return RedirectResponse(f"/reading/{list_id}?msg=flash.reading_unassigned", status_code=303)


@router.post("/reading/{list_id}/delete")
def delete(list_id: ListId, user: ReviewerPageUser, session: SessionDep):
    """Remove the list."""
    service.delete_list(session, list_id)
    return RedirectResponse("/reading?msg=flash.reading_deleted", status_code=303)


@router.get("/me/reading")
def my_reading_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    """One's reading lists: what is due first, which cases are read."""
    mine = service.my_reading(session, user, window_minutes=settings.view_window_minutes, today=today(settings.tz))
    return render(request, "assignments/mine.html", {"assignments": mine})
