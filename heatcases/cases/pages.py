"""Case pages: home, library, featured, submit and edit forms, my cases, review queue, case page."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from heatcases.cases import service
from heatcases.cases.schemas import BusinessLine, CaseCreate, CaseId, CaseUpdate, ReviewIn, Tag
from heatcases.deps import AuthorPageUser, PageUser, ReviewerPageUser, SessionDep, SettingsDep
from heatcases.errors import InvalidInput, InvalidTransition, PermissionDenied
from heatcases.search import service as search_service
from heatcases.templating import render, safe_next
from heatcases.vocab import TAGS

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
CASE_FIELDS = ("title", "body", "tags", "behaviors", "business_line", "channel", "occurred_on", "praise")


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


@router.get("/")
def home(request: Request, user: PageUser, session: SessionDep):
    """Featured cases per HEAT value, the latest cases, and what waits for the user."""
    featured = {
        tag: service.find_cases(
            session, user, service.CaseFilters(status="approved", tags=[tag], featured=True, archived=False), limit=3
        )
        for tag in TAGS
    }
    recent = service.find_cases(session, user, service.CaseFilters(status="approved", archived=False), limit=6)
    search_service.record_listing(
        session, user, [c for cases in featured.values() for c in cases] + recent, source="home"
    )
    context = {
        "featured": featured,
        "recent": recent,
        "my_counts": service.status_counts(session, user, mine=True),
        "queue_count": service.status_counts(session, user).get("pending", 0) if service.is_reviewer(user) else 0,
    }
    return render(request, "cases/home.html", context)


@router.get("/cases")
def library(
    request: Request,
    user: PageUser,
    session: SessionDep,
    tag: Annotated[list[Tag], Query()] = [],
    business_line: BusinessLine | None = None,
    featured: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
):
    """Approved cases in the library, newest first, filtered by value, business line, featured."""
    filters = service.CaseFilters(
        status="approved", archived=False, tags=tag, business_line=business_line, featured=featured or None
    )
    total, cases = service.list_cases(session, user, filters, page=page, per_page=PER_PAGE)
    search_service.record_listing(session, user, cases, source="library")
    context = {
        "cases": cases,
        "total": total,
        "page": page,
        "pages": _pages(total, PER_PAGE),
        "selected_tags": tag,
        "business_line": business_line,
        "featured_only": bool(featured),
    }
    return render(request, "cases/library.html", context)


@router.get("/featured")
def featured_page(request: Request, user: PageUser, session: SessionDep):
    """Every featured case, grouped by HEAT value."""
    groups = {
        tag: service.find_cases(
            session, user, service.CaseFilters(status="approved", archived=False, featured=True, tags=[tag]), limit=100
        )
        for tag in TAGS
    }
    search_service.record_listing(
        session, user, [case for cases in groups.values() for case in cases], source="featured"
    )
    return render(request, "cases/featured.html", {"groups": groups})


@router.get("/cases/mine")
def my_cases(
    request: Request, user: AuthorPageUser, session: SessionDep, page: Annotated[int, Query(ge=1, le=100000)] = 1
):
    """The user's own cases with status and review comments."""
    total, cases = service.list_cases(session, user, service.CaseFilters(mine=True), page=page, per_page=PER_PAGE)
    context = {
        "cases": cases,
        "total": total,
        "page": page,
        "pages": _pages(total, PER_PAGE),
        "counts": service.status_counts(session, user, mine=True),
    }
    return render(request, "cases/mine.html", context)


@router.get("/review")
def review_queue(
    request: Request, user: ReviewerPageUser, session: SessionDep, page: Annotated[int, Query(ge=1, le=100000)] = 1
):
    """Pending cases, oldest first, with approve / reject on each."""
    filters = service.CaseFilters(status="pending", oldest_first=True)
    total, cases = service.list_cases(session, user, filters, page=page, per_page=PER_PAGE)
    context = {"cases": cases, "total": total, "page": page, "pages": _pages(total, PER_PAGE)}
    return render(request, "cases/review.html", context)


# --- the submit / edit form ---------------------------------------------------------------------


class CaseForm(BaseModel):
    """The submit and edit form as posted; CaseCreate / CaseUpdate then apply the real rules."""

    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=40000)
    tags: list[str] = Field([], max_length=20)
    behaviors: list[str] = Field([], max_length=20)
    business_line: str = Field("", max_length=40)
    channel: str = Field("", max_length=40)
    occurred_on: str = Field("", max_length=40)
    praise: str = Field("", max_length=40)

    def values(self) -> dict:
        """The fields as the schemas take them: an empty choice means "not given"."""
        return {key: value for key, value in self.model_dump().items() if value != ""}


CaseFormDep = Annotated[CaseForm, Form()]


def _field_errors(error: ValidationError) -> list[str]:
    fields = {str(item["loc"][0]) for item in error.errors() if item.get("loc")}
    return [field for field in CASE_FIELDS if field in fields] or ["body"]


def _form(request: Request, *, case=None, values: dict | None = None, errors: list[str] | None = None):
    status = 422 if errors else 200
    context = {"case": case, "values": values or {}, "errors": errors or []}
    return render(request, "cases/form.html", context, status_code=status)


@router.get("/cases/new")
def new_case_form(request: Request, user: AuthorPageUser):
    """The submit form, explaining each HEAT value and behaviour where the agent chooses them."""
    return _form(request, values={"business_line": "other", "channel": "phone"})


ShortForm = Annotated[str, Form(max_length=40)]


@router.post("/cases/new")
def submit_case(request: Request, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Submit the form; on invalid input show it again with every problem named."""
    values = form.values()
    try:
        data = CaseCreate.model_validate(values)
    except ValidationError as error:
        return _form(request, values=values, errors=_field_errors(error))
    case = service.submit_case(session, user, data)
    return RedirectResponse(f"/cases/{case.id}?msg=flash.submitted", status_code=303)


@router.get("/cases/{case_id}/edit")
def edit_case_form(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep):
    """The form, filled in, for the author of a pending or rejected case."""
    case = service.get_case(session, case_id, user)
    if case.author_id != user.id:
        raise PermissionDenied("only the author can edit a case")
    if case.status not in service.EDITABLE:
        raise InvalidTransition(f"cannot edit a case that is {case.status}", message_key="transition.edit")
    public = service.to_public(case)
    values = public.model_dump(include=set(CASE_FIELDS))
    return _form(request, case=case, values=values)


@router.post("/cases/{case_id}/edit")
def edit_case(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Save the author's changes and send the case back to review."""
    case = service.get_case(session, case_id, user)
    values = form.values()
    values.setdefault("occurred_on", None)
    values.setdefault("praise", None)
    try:
        CaseCreate.model_validate(values)  # the form sends every field: hold it to the submit rules
        data = CaseUpdate.model_validate(values)
    except ValidationError as error:
        return _form(request, case=case, values=values, errors=_field_errors(error))
    try:
        service.edit_case(session, case_id, user, data)
    except InvalidInput as error:
        return _form(request, case=case, values=values, errors=[error.field])
    return RedirectResponse(f"/cases/{case_id}?msg=flash.resubmitted", status_code=303)


# --- the case page and its actions --------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId, user: PageUser, session: SessionDep, settings: SettingsDep):
    """One case with its values, behaviours, review comment and history; counts a view."""
    case = service.read_case(session, case_id, user, window_minutes=settings.view_window_minutes)
    return _case_page(request, session, user, case)


def _case_page(request: Request, session, user, case, *, review_error: str | None = None):
    related = search_service.related_cases(session, request.app.state.search, user, case)
    context = {
        "related": related,
        "case": case,
        "public": service.to_public(case),
        "history": service.history(session, case),
        "can_review": service.is_reviewer(user),
        "can_edit": case.author_id == user.id and case.status in service.EDITABLE,
        "review_error": review_error,
    }
    return render(request, "cases/case.html", context, status_code=422 if review_error else 200)


def _back(next_url: str | None, case_id: CaseId, msg: str) -> RedirectResponse:
    target = safe_next(next_url) if next_url else f"/cases/{case_id}"
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}msg={msg}", status_code=303)


NextForm = Annotated[str, Form(max_length=2000)]


@router.post("/cases/{case_id}/review")
def review_case(
    request: Request,
    case_id: CaseId,
    user: ReviewerPageUser,
    session: SessionDep,
    decision: ShortForm = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    next: NextForm = "",
):
    """Approve or reject from the case page or the queue."""
    feature = decision == "approve_feature"
    try:
        review = ReviewIn.model_validate({"decision": "approve" if feature else decision, "comment": comment})
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        return _case_page(request, session, user, service.get_case(session, case_id, user), review_error=field)
    service.review_case(session, case_id, user, decision=review.decision, comment=review.comment)
    if feature:
        service.set_featured(session, case_id, user, True)
        return _back(next, case_id, "flash.featured")
    return _back(next, case_id, "flash.approved" if review.decision == "approve" else "flash.rejected")


@router.post("/cases/{case_id}/feature")
def feature_case(
    case_id: CaseId, user: ReviewerPageUser, session: SessionDep, featured: ShortForm = "1", next: NextForm = ""
):
    """Feature or unfeature."""
    service.set_featured(session, case_id, user, featured == "1")
    return _back(next, case_id, "flash.featured" if featured == "1" else "flash.unfeatured")


@router.post("/cases/{case_id}/archive")
def archive_case(
    case_id: CaseId, user: ReviewerPageUser, session: SessionDep, archived: ShortForm = "1", next: NextForm = ""
):
    """Archive or bring back."""
    service.set_archived(session, case_id, user, archived == "1")
    return _back(next, case_id, "flash.archived" if archived == "1" else "flash.unarchived")
