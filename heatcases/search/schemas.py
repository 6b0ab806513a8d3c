"""The public shapes of search results (API.md: Search, related cases)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from heatcases.cases.schemas import BusinessLine, DefectClass, Kind, Tag


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
    kind: Kind = "exemplar"
    defect_class: DefectClass | None = None  # a lesson's


class Facets(BaseModel):
    tags: dict[str, int]
    business_line: dict[str, int]
    kind: dict[str, int] = {}
    defect_class: dict[str, int] = {}
    servqual: dict[str, int] = {}


class SearchResults(BaseModel):
    total: int
    page: int
    per_page: int
    hits: list[SearchHitPublic]
    facets: Facets
    suggestion: str | None
    # True when `q` held nothing that can be searched (only punctuation, emoji or symbols): nothing is listed.
    unsearchable: bool = False


class RelatedList(BaseModel):
    items: list[SearchHitPublic]


class IndexStatus(BaseModel):
    documents: int  # cases the word index holds
    queued: int  # changes waiting to reach it
    cache_mb: float = 0.0  # what this server process keeps of it in memory (arrays read and computed), MB


class MeaningStatus(BaseModel):
    model: str  # the embedding model and its version
    enabled: bool  # HEATCASES_SEMANTIC_SEARCH
    ready: bool  # this server's vectors are loaded: search uses meaning
    vectors: int  # cases this server can find by meaning
    graph: bool = False  # searched through an HNSW graph (built at start from 20,000 cases on), else scanned
    error: str | None  # why search is by words only, if it is
    embedded_cases: int | None = None  # approved cases with vectors of the current model...
    listed_cases: int | None = None  # ...of all approved cases


class SearchStatus(BaseModel):
    index: IndexStatus
    meaning: MeaningStatus
