"""Reading assignments API: supervisors' reading lists, assigning and reminding; everyone's own lists."""

from __future__ import annotations

from fastapi import APIRouter, Response

from heatcases.assignments import service
from heatcases.assignments.schemas import (
    Assigned,
    AssignIn,
    ListId,
    MyReading,
    ReadingListIn,
    ReadingListPublic,
    ReadingLists,
    Reminded,
    RemindIn,
)
from heatcases.deps import ApiUser, ReviewerApiUser, SessionDep, SettingsDep
from heatcases.errors import error_responses
from heatcases.metrics.periods import today

router = APIRouter(prefix="/api", tags=["reading assignments"])


@router.get("/reading-lists", response_model=ReadingLists, responses=error_responses(403))
def reading_lists(user: ReviewerApiUser, session: SessionDep, settings: SettingsDep) -> ReadingLists:
    """Every reading list, the latest due first, with how many people have it, have finished it, are late."""
    return ReadingLists(
        items=service.all_lists(session, window_minutes=settings.view_window_minutes, today=today(settings.tz))
    )


@router.post("/reading-lists", status_code=201, response_model=ReadingListPublic, responses=error_responses(403))
def create_reading_list(
    user: ReviewerApiUser, session: SessionDep, settings: SettingsDep, body: ReadingListIn
) -> ReadingListPublic:
    """A new reading list: approved cases and lessons in reading order, a note, a due date (not past)."""
    reading_list = service.create_list(session, user, body, today=today(settings.tz))
    return _public(session, settings, reading_list.id)


def _public(session, settings, list_id: int) -> ReadingListPublic:
    reading = service.progress(session, list_id, window_minutes=settings.view_window_minutes)
    return service.list_public(reading, today=today(settings.tz))


@router.get("/reading-lists/{list_id}", response_model=ReadingListPublic, responses=error_responses(403, 404))
def reading_list(list_id: ListId, user: ReviewerApiUser, session: SessionDep, settings: SettingsDep):
    """A list's cases and who has read what: per person (done, late, last reminded) and per team."""
    return _public(session, settings, list_id)


@router.delete("/reading-lists/{list_id}", status_code=204, responses=error_responses(403, 404))
def delete_reading_list(list_id: ListId, user: ReviewerApiUser, session: SessionDep) -> Response:
    """Remove a list with its assignments."""
    service.delete_list(session, list_id)
    return Response(status_code=204)


@router.post("/reading-lists/{list_id}/assign", response_model=Assigned, responses=error_responses(403, 404))
def assign_reading_list(list_id: ListId, user: ReviewerApiUser, session: SessionDep, body: AssignIn) -> Assigned:
    """Give the list to trainees and agents by username and to every trainee and agent of the teams named;
    each new one is notified (with the due date)."""
    added, total = service.assign(session, user, list_id, body)
    return Assigned(added=added, assignees=total)


@router.delete("/reading-lists/{list_id}/assignees/{username}", status_code=204, responses=error_responses(403, 404))
def unassign_reading_list(list_id: ListId, username: str, user: ReviewerApiUser, session: SessionDep) -> Response:
    """Take the list back from one person."""
    service.unassign(session, list_id, username)
    return Response(status_code=204)


@router.post("/reading-lists/{list_id}/remind", response_model=Reminded, responses=error_responses(403, 404))
def remind_reading_list(
    list_id: ListId, user: ReviewerApiUser, session: SessionDep, settings: SettingsDep, body: RemindIn | None = None
) -> Reminded:
    """Remind those who have not finished (or the ones named): a notification each (and an e-mail if they chose
    it), once a day at most per person and list."""
    reminded = service.remind(
        session, list_id, body.usernames if body else None, window_minutes=settings.view_window_minutes,
        today=today(settings.tz),
    )  # fmt: skip
    return Reminded(reminded=reminded)


@router.get("/me/reading", response_model=MyReading)
def my_reading(user: ApiUser, session: SessionDep, settings: SettingsDep) -> MyReading:
    """One's reading lists: unfinished first, soonest due first; which of their cases one has read."""
    return MyReading(
        items=service.my_reading(session, user, window_minutes=settings.view_window_minutes, today=today(settings.tz))
    )
