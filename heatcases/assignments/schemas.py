"""Reading lists and their assignments as the API takes and gives them (README, "Reading assignments")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from heatcases.cases.schemas import clean_text

ListId = Annotated[int, Path(ge=1, le=2_147_483_647)]
CaseNumber = Annotated[int, Field(ge=1, le=2_147_483_647)]
MAX_ITEMS = 50
# Control characters removed (PostgreSQL refuses NUL; none belongs in a title or a name).
Clean = AfterValidator(clean_text)


class ReadingListIn(BaseModel):
    """A new reading list: ``items`` are case or lesson ids in reading order (approved, in the library)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=120), Clean]
    note: Annotated[str, Field(max_length=2000), Clean] = ""
    due_on: date
    items: Annotated[list[CaseNumber], Field(min_length=1, max_length=MAX_ITEMS)]


class AssignIn(BaseModel):
    """Who gets the list: people by username and whole teams (classes) by name; one at least."""

    model_config = ConfigDict(extra="forbid")

    usernames: Annotated[list[Annotated[str, Field(max_length=40), Clean]], Field(max_length=500)] = []
    teams: Annotated[list[Annotated[str, Field(max_length=60), Clean]], Field(max_length=50)] = []


class RemindIn(BaseModel):
    """``usernames``: those to remind (left out: everyone assigned who has not finished)."""

    model_config = ConfigDict(extra="forbid")

    usernames: Annotated[list[Annotated[str, Field(max_length=40), Clean]], Field(max_length=500)] | None = None


class ItemPublic(BaseModel):
    case_id: int
    title: str
    kind: str
    position: int
    available: bool  # still approved and in the library (an archived case cannot be read)


class PersonProgress(BaseModel):
    username: str
    name: str
    team: str | None
    read: int
    total: int
    done: bool
    late: bool
    assigned_at: datetime
    reminded_at: datetime | None
    read_case_ids: list[int]


class TeamProgress(BaseModel):
    team: str | None
    people: int
    done: int
    late: int
    read: int
    total: int
    completion: float | None  # read / (people × items)


class ReadingListSummary(BaseModel):
    id: int
    title: str
    note: str
    due_on: date
    created_by: str
    created_at: datetime
    items: int
    assignees: int
    done: int
    late: int


class ReadingListPublic(ReadingListSummary):
    """A list with its items and who has read what, per person and per team."""

    cases: list[ItemPublic]
    people: list[PersonProgress]
    teams: list[TeamProgress]


class ReadingLists(BaseModel):
    items: list[ReadingListSummary]


class Assigned(BaseModel):
    added: int
    assignees: int


class Reminded(BaseModel):
    reminded: int


class MyItem(BaseModel):
    case_id: int
    title: str
    kind: str
    read: bool
    available: bool


class MyAssignment(BaseModel):
    id: int
    title: str
    note: str
    due_on: date
    assigned_by: str
    assigned_at: datetime
    read: int
    total: int
    done: bool
    late: bool
    items: list[MyItem]


class MyReading(BaseModel):
    """One's reading lists, unfinished first, soonest due first."""

    items: list[MyAssignment]
