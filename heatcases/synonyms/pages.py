"""The synonyms page (supervisors, admins): queries that need attention, synonym groups, pins, history."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from heatcases.deps import ReviewerPageUser, SessionDep
from heatcases.errors import Conflict, InvalidInput, NotFound
from heatcases.synonyms import service
from heatcases.synonyms.api import CacheDep
from heatcases.synonyms.schemas import RowId
from heatcases.templating import render

router = APIRouter(include_in_schema=False)

PERIODS = (7, 30, 90)
HISTORY_SHOWN = 50
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LAST_NUMBER = re.compile(r"(\d{1,10})\D*$")


def words_of(typed: str) -> list[str]:
    """The words of the form's one field: separated by spaces, commas or 、."""
    return [word for word in _SEPARATORS.split(typed) if word]


def case_id_of(typed: str) -> int:
    """A case number, or a case's address (…/cases/12); 0 when there is none."""
    match = _LAST_NUMBER.search(typed.strip())
    number = int(match.group(1)) if match else 0
    return number if number <= 2_147_483_647 else 0


def word_lang(word: str) -> str:
    """The language a word is written in, for its ``lang`` attribute (screen readers, the language check)."""
    return "zh-CN" if _CJK.search(word) else "en"


def _page(request: Request, session, *, days: int = 30, error: str | None = None, form: dict | None = None,
          status: int = 200):  # fmt: skip
    context = {
        "days": days,
        "periods": PERIODS,
        "attention": service.attention(session, days=days),
        "groups": [service.group_public(group) for group in service.list_groups(session)],
        "shipped": service.shipped_groups(),
        "pins": service.list_pins(session),
        "changes": service.history(session, limit=HISTORY_SHOWN),
        "word_lang": word_lang,
        "error": error,
        "form": form or {},
    }
    return render(request, "synonyms/synonyms.html", context, status_code=status)


def _refused(request: Request, session, error: Exception, form: dict):
    """The page again with the problem said in the reader's language; nothing was written."""
    session.rollback()
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
    return _page(request, session, error=error.message_key, form=form, status=status)


def _done(message: str) -> RedirectResponse:
    return RedirectResponse(f"/synonyms?msg={message}", status_code=303)


@router.get("/synonyms")
def synonyms_page(
    request: Request, user: ReviewerPageUser, session: SessionDep, days: str = "30", words: str = "", pin: str = ""
):
    """Supervisors: the queries that found nothing or whose results nobody opened, synonyms, pins, history.

    ``words`` and ``pin`` fill the forms from a query of the attention list."""
    chosen = int(days) if days in {str(period) for period in PERIODS} else 30
    return _page(request, session, days=chosen, form={"words": words[:200], "query": pin[:200]})


@router.post("/synonyms/groups")
def add_group(
    request: Request,
    user: ReviewerPageUser,
    session: SessionDep,
    cache: CacheDep,
    words: Annotated[str, Form(max_length=2000)] = "",
):
    """Add a synonym group."""
    try:
        service.add_group(session, user, words_of(words), cache=cache)
    except (InvalidInput, Conflict) as error:
        return _refused(request, session, error, {"words": words})
    return _done("flash.synonyms_added")


@router.post("/synonyms/groups/{group_id}")
def edit_group(
    request: Request,
    group_id: RowId,
    user: ReviewerPageUser,
    session: SessionDep,
    cache: CacheDep,
    words: Annotated[str, Form(max_length=2000)] = "",
):
    """Replace a group's words."""
    try:
        service.edit_group(session, user, group_id, words_of(words), cache=cache)
    except (InvalidInput, Conflict, NotFound) as error:
        return _refused(request, session, error, {"edit_id": group_id, "edit_words": words})
    return _done("flash.synonyms_saved")


@router.post("/synonyms/groups/{group_id}/remove")
def remove_group(request: Request, group_id: RowId, user: ReviewerPageUser, session: SessionDep, cache: CacheDep):
    """Stop using a group."""
    try:
        service.remove_group(session, user, group_id, cache=cache)
    except NotFound as error:
        return _refused(request, session, error, {})
    return _done("flash.synonyms_removed")


@router.post("/synonyms/pins")
def add_pin(
    request: Request,
    user: ReviewerPageUser,
    session: SessionDep,
    cache: CacheDep,
    query: Annotated[str, Form(max_length=2000)] = "",
    case: Annotated[str, Form(max_length=2000)] = "",
):
    """Pin a case to a query."""
    try:
        service.add_pin(session, user, query, case_id_of(case), cache=cache)
    except (InvalidInput, Conflict) as error:
        return _refused(request, session, error, {"query": query, "case": case})
    return _done("flash.pin_added")


@router.post("/synonyms/pins/{pin_id}/remove")
def remove_pin(request: Request, pin_id: RowId, user: ReviewerPageUser, session: SessionDep, cache: CacheDep):
    """Unpin a case."""
    try:
        service.remove_pin(session, user, pin_id, cache=cache)
    except NotFound as error:
        return _refused(request, session, error, {})
    return _done("flash.pin_removed")
