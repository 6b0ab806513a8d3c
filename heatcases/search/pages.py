"""The search page: a box on every page leads here; chips per HEAT value, snippets, sort, pages."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from heatcases.deps import PageUser, SessionDep
from heatcases.search import service
from heatcases.search.api import SearchDep
from heatcases.search.query import IndexFilters
from heatcases.templating import render
from heatcases.vocab import BEHAVIORS, BUSINESS_LINE_CODES, CASE_KIND_CODES, DEFECT_CLASS_CODES, SERVQUAL_CODES, TAGS

router = APIRouter(include_in_schema=False)

PER_PAGE = 10
MAX_PAGE = 200


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _page(value: str) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except ValueError:
        return 1


@router.get("/search")
def search_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    search: SearchDep,
    q: str = "",  # any text is a valid query; only its first 200 characters are used
    tag: Annotated[list[str], Query()] = [],
    behavior: str = "",
    business_line: str = "",
    featured: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    kind: str = "",
    defect_class: str = "",
    servqual: str = "",
    sort: str = "",
    page: str = "1",
):
    """Search results for what the user typed; unknown filter values are ignored, never an error."""
    tags = [code for code in dict.fromkeys(tag) if code in TAGS]
    start, end = _date(date_from), _date(date_to)
    if start and end and start > end:
        start, end = end, start
    if sort not in service.SORTS:
        sort = "relevance" if q.strip() else "newest"
    filters = IndexFilters(
        tags=tags,
        behavior=behavior if behavior in BEHAVIORS else None,
        business_line=business_line if business_line in BUSINESS_LINE_CODES else None,
        featured=True if featured in ("true", "1", "on") else None,
        date_from=start,
        date_to=end,
        kind=kind if kind in CASE_KIND_CODES else None,  # exemplars, lessons, or both
        defect_class=defect_class if defect_class in DEFECT_CLASS_CODES else None,
        servqual=[servqual] if servqual in SERVQUAL_CODES else [],
    )
    params = service.SearchParams(q=q, filters=filters, sort=sort, page=_page(page), per_page=PER_PAGE)
    result = service.search_cases(session, search, user, params)
    context = {
        "q": q[:200],
        "params": params,
        "result": result,
        "pages": min(MAX_PAGE, max(1, math.ceil(result.total / PER_PAGE))),
        "date_from": start.isoformat() if start else "",
        "date_to": end.isoformat() if end else "",
    }
    return render(request, "search/results.html", context)
