"""The public shapes of search results (API.md: Search, related cases)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from heatcases.cases.schemas import BusinessLine, Tag


class SearchHitPublic(BaseModel):
    id: int
    title: str
    snippet: str  # HTML: the story's text escaped, the matched words inside <mark>
    tags: list[Tag]
    business_line: BusinessLine
    featured: bool
    views: int
    score: float
    author: str
    occurred_on: date | None
    created_at: datetime
    pinned: bool = False  # put first by a supervisor for this query (heatcases.synonyms)


class Facets(BaseModel):
    tags: dict[str, int]
    business_line: dict[str, int]


class SearchResults(BaseModel):
    total: int
    page: int
    per_page: int
    hits: list[SearchHitPublic]
    facets: Facets
    suggestion: str | None


class RelatedList(BaseModel):
    items: list[SearchHitPublic]
