"""The public shapes of supervisors' synonyms, pins, their history and the queries that need attention."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field, StringConstraints

# Lengths are checked again, with clearer messages, by the service; these only bound what is read.
Word = Annotated[str, StringConstraints(max_length=100)]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]  # a group or pin id in a path
Action = Literal["group_added", "group_edited", "group_removed", "pin_added", "pin_removed"]


class SynonymGroupIn(BaseModel):
    """A group of words a searcher treats as the same: 2-20 different words of 1-20 characters, no spaces."""

    words: list[Word] = Field(max_length=50)


class SynonymGroupPublic(BaseModel):
    id: int
    words: list[str]
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class Synonyms(BaseModel):
    """Every group search uses: the shipped file's (read-only) and the supervisors' (editable)."""

    shipped: list[list[str]]
    groups: list[SynonymGroupPublic]


class PinIn(BaseModel):
    """Put an approved case first on the first page of results for a query (as typed; normalised)."""

    query: Annotated[str, StringConstraints(max_length=1000)]
    case_id: int = Field(ge=1, le=2_147_483_647)


class PinPublic(BaseModel):
    id: int
    query: str
    case_id: int
    case_title: str
    in_library: bool  # approved and not archived: a pin whose case left the library shows nothing
    created_by: str
    created_at: datetime


class PinList(BaseModel):
    items: list[PinPublic]


class ChangePublic(BaseModel):
    id: int
    actor: str
    action: Action
    group_id: int | None
    query: str | None
    case_id: int | None
    before: dict | None
    after: dict | None
    created_at: datetime


class ChangeList(BaseModel):
    items: list[ChangePublic]


class AttentionQuery(BaseModel):
    query: str  # as logged: normalised
    searches: int  # first pages searched in the period (with no result, or with results never opened)
    users: int  # distinct people
    usernames: list[str]  # up to five of them
    last_searched_at: datetime
    latest_results: int  # what the latest search of it found (a fix shows here)
    pins: int  # cases pinned to it now


class Attention(BaseModel):
    """Queries of the last ``days`` days that found nothing, and those whose results nobody opened."""

    days: int
    since: datetime
    zero_results: list[AttentionQuery]
    not_opened: list[AttentionQuery]
