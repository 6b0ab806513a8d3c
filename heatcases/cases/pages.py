"""Case pages: home, library, featured, submit and edit forms, my cases, review queue, case page."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import Field, ValidationError

from heatcases.assignments import service as assignments
from heatcases.cases import drafts, listing, service
from heatcases.cases.forms import PART_MAX, FormProblems, PartsForm, checked, form_context
from heatcases.cases.schemas import BusinessLine, CaseCreate, CaseId, CaseUpdate, ReviewIn, Tag
from heatcases.db import utcnow
from heatcases.deps import AuthorPageUser, PageUser, ReviewerPageUser, SessionDep, SettingsDep
from heatcases.errors import InvalidInput
from heatcases.i18n import translate
from heatcases.metrics import periods as metrics_periods
from heatcases.metrics import reading as metrics_reading
from heatcases.models import Case
from heatcases.praise import service as praise_service
from heatcases.review import checklist as review_checklist
from heatcases.review import service as review_service
from heatcases.review.forms import PostedChecklist
from heatcases.search import service as search_service
from heatcases.templating import local_time, render, request_language, safe_next, wants_json
from heatcases.vocab import STORY_PARTS, TAGS, label

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
CASE_FIELDS = ("title", "body", "tags", "behaviors", "business_line", "channel", "occurred_on", "praise")
# What a form error can name, in the order the form shows it (story_short: the parts are too short).
FORM_ERRORS = (
    "title",
    "story_short",
    "story_long",
    "body",
    "tags",
    "behaviors",
    "business_line",
    "channel",
    "occurred_on",
    "praise",
)


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


@router.get("/")
def home(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep):
    """What the user has to read (assigned, due first), featured cases per HEAT value, the latest cases, and what
    waits for the user."""
    featured = {
        tag: listing.find_cases(
            session, user, listing.CaseFilters(status="approved", tags=[tag], featured=True, archived=False), limit=3
        )
        for tag in TAGS
    }
    recent = listing.find_cases(session, user, listing.CaseFilters(status="approved", archived=False), limit=6)
    search_service.record_listing(
        session, user, [c for cases in featured.values() for c in cases] + recent, source="home"
    )
    reading = metrics_reading.reading_by_value(session, user)
    assigned = assignments.my_reading(
        session, user, window_minutes=settings.view_window_minutes, today=metrics_periods.today(settings.tz)
    )
    context = {
        "to_read": [assignment for assignment in assigned if not assignment.done],
        "featured": featured,
        "reading": reading,
        "overall": metrics_reading.reading_overall(reading),
        "recent": recent,
        "my_counts": listing.status_counts(session, user, mine=True),
        "queue_count": listing.status_counts(session, user).get("pending", 0) if service.is_reviewer(user) else 0,
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
    filters = listing.CaseFilters(
        status="approved", archived=False, tags=tag, business_line=business_line, featured=featured or None
    )
    total, cases = listing.list_cases(session, user, filters, page=page, per_page=PER_PAGE)
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
        tag: listing.find_cases(
            session, user, listing.CaseFilters(status="approved", archived=False, featured=True, tags=[tag]), limit=100
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
    total, cases = listing.list_cases(session, user, listing.CaseFilters(mine=True), page=page, per_page=PER_PAGE)
    context = {
        "cases": cases,
        "total": total,
        "page": page,
        "pages": _pages(total, PER_PAGE),
        "counts": listing.status_counts(session, user, mine=True),
    }
    return render(request, "cases/mine.html", context)


@router.get("/review")
def review_queue(
    request: Request,
    user: ReviewerPageUser,
    session: SessionDep,
    tag: Tag | None = None,
    sort: Literal["oldest", "newest"] = "oldest",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
):
    """Pending cases, the one waiting longest (since its submission or resubmission) first unless
    ``sort=newest``, each with how long it has waited; counts per HEAT value; approve, feature or reject on each."""
    filters = listing.CaseFilters(status="pending", tags=[tag] if tag else [], by_waiting=sort)
    total, cases = listing.list_cases(session, user, filters, page=page, per_page=PER_PAGE)
    overview = listing.review_overview(session, user)
    now = utcnow()
    waiting_days = (now - overview.oldest_at).days if overview.oldest_at else 0
    since = listing.waiting_since_of(session, [case.id for case in cases])
    context = {
        "sort": sort,
        "since": since,
        "waited_hours": {case_id: (now - at).total_seconds() / 3600 for case_id, at in since.items()},
        "cases": cases,
        "total": total,
        "overview": overview,
        "waiting_days": waiting_days,
        "checklist": review_checklist.items(session),
        "tag": tag,
        "page": page,
        "pages": _pages(total, PER_PAGE),
        # the evidence each case brings (approved with it) and the evidence added to cases already approved
        "evidence": praise_service.attachments_of(session, [case.id for case in cases]),
        "waiting_evidence": praise_service.pending_attachments(session, user),
        "can_review": True,
    }
    return render(request, "cases/review.html", context)


# --- the submit / edit form ---------------------------------------------------------------------


class CaseForm(PartsForm):
    """The submit and edit form as posted; CaseCreate / CaseUpdate then apply the real rules.

    The story comes in its four parts (situation, what I did, outcome, takeaway), or as one ``body``
    when an edited case's story was not written in parts (an import, the API)."""

    situation: str = Field("", max_length=PART_MAX)
    action: str = Field("", max_length=PART_MAX)
    outcome: str = Field("", max_length=PART_MAX)
    takeaway: str = Field("", max_length=PART_MAX)
    behaviors: list[str] = Field([], max_length=20)
    praise: str = Field("", max_length=40)


CaseFormDep = Annotated[CaseForm, Form()]


def _checked(form: CaseForm, lang: str, values: dict, model) -> tuple:
    return checked(form, lang, values, model, FORM_ERRORS, short="story_short", long="story_long")


def _form(request: Request, *, case=None, values: dict | None = None, problems: FormProblems | None = None,
          draft=None, reviews=()):  # fmt: skip
    """The form; the story in parts unless an edited case's story is free text; ``reviews``: the case's, whose
    latest checklist the author reads while editing."""
    context = {
        **form_context(case, values, STORY_PARTS, problems),
        "reviews": list(reviews)[-1:],
        "draft": draft,
        "draft_url": f"/cases/{case.id}/draft" if case else "/cases/new/draft",
    }
    return render(request, "cases/form.html", context, status_code=422 if problems else 200)


@router.get("/cases/new")
def new_case_form(request: Request, user: AuthorPageUser, session: SessionDep):
    """The submit form, explaining each HEAT value and behaviour where the agent chooses them; a draft
    the agent left is restored."""
    draft = drafts.get_draft(session, user, drafts.NEW)
    values = draft.fields if draft else {"channel": "phone"}  # the business line is the author's choice
    return _form(request, values=values, draft=draft)


@router.post("/cases/new")
def submit_case(request: Request, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Submit the form; on invalid input show it again with every problem named."""
    lang = request_language(request)
    data, problems = _checked(form, lang, form.values(lang), CaseCreate)
    if problems:
        return _form(request, values=form.fields(), problems=problems)
    case = service.submit_case(session, user, data)
    drafts.discard_draft(session, user, drafts.NEW)
    return RedirectResponse(f"/cases/{case.id}?msg=flash.submitted", status_code=303)


@router.get("/cases/{case_id}/edit")
def edit_case_form(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep):
    """The form, filled in (or with the author's draft), for the author of a pending or rejected case."""
    case = service.get_editable_case(session, case_id, user)
    if case.kind == "lesson":  # a lesson has its own form
        return RedirectResponse(f"/lessons/{case.id}/edit", status_code=303)
    draft = drafts.get_draft(session, user, drafts.slot_for(case.id))
    values = draft.fields if draft else service.to_public(case).model_dump(include=set(CASE_FIELDS))
    return _form(request, case=case, values=values, draft=draft, reviews=review_service.reviews(session, case, user))


@router.post("/cases/{case_id}/edit")
def edit_case(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Save the author's changes and send the case back to review."""
    case = service.get_case(session, case_id, user)
    lang = request_language(request)
    values = form.values(lang)
    values.setdefault("occurred_on", None)
    values.setdefault("praise", None)
    data, problems = _checked(form, lang, values, CaseUpdate)
    if problems:
        return _form(request, case=case, values=form.fields(), problems=problems)
    try:
        service.edit_case(session, case_id, user, data)
    except InvalidInput as error:
        return _form(request, case=case, values=form.fields(), problems=FormProblems([error.field]))
    drafts.discard_draft(session, user, drafts.slot_for(case_id))
    return RedirectResponse(f"/cases/{case_id}?msg=flash.resubmitted", status_code=303)


# --- drafts: saved as the author types (static/js/case-form.js), restored by the form ------------


def _save_draft(request: Request, session, user, slot: str, form: CaseForm) -> JSONResponse:
    saved = drafts.save_draft(session, user, slot, form.fields())
    lang = request_language(request)
    found = [{"kind": item.kind, "label": label("pii", item.kind, lang), "masked": item.masked} for item in saved.found]
    return JSONResponse(
        {
            "saved_at": saved.updated_at.isoformat(),
            "status": translate("draft.saved", lang, time=local_time(saved.updated_at, request)[11:]),
            "found": found,
            "summary": translate("preview.found", lang, count=len(found)) if found else translate("preview.none", lang),
        }
    )


@router.post("/cases/new/draft")
def save_new_draft(request: Request, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Keep what the author has written so far (masked), and say what personal data it holds."""
    return _save_draft(request, session, user, drafts.NEW, form)


@router.post("/cases/new/draft/discard")
def discard_new_draft(user: AuthorPageUser, session: SessionDep):
    """Start over with an empty form."""
    drafts.discard_draft(session, user, drafts.NEW)
    return RedirectResponse("/cases/new?msg=flash.draft_discarded", status_code=303)


@router.post("/cases/{case_id}/draft")
def save_edit_draft(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep, form: CaseFormDep):
    """Keep the author's unsaved changes to their case (masked)."""
    case = service.get_editable_case(session, case_id, user)
    return _save_draft(request, session, user, drafts.slot_for(case.id), form)


@router.post("/cases/{case_id}/draft/discard")
def discard_edit_draft(case_id: CaseId, user: AuthorPageUser, session: SessionDep):
    """Forget the unsaved changes: the form shows the case as it is."""
    drafts.discard_draft(session, user, drafts.slot_for(case_id))
    return RedirectResponse(f"/cases/{case_id}/edit?msg=flash.draft_discarded", status_code=303)


# --- the case page and its actions --------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId, user: PageUser, session: SessionDep, settings: SettingsDep):
    """One case with its values, behaviours, review comment and history; counts a view."""
    case = service.read_case(session, case_id, user, window_minutes=settings.view_window_minutes)
    return _case_page(request, session, user, case)


@router.get("/cases/{case_id}/related")
def related_page(request: Request, case_id: CaseId, user: PageUser, session: SessionDep, part: bool = False):
    """The cases most like this one: the case page's list, which its script fetches with ``part=1`` once the page
    is shown (the list costs more than the rest of the page), and a page of its own without a script."""
    case = service.get_case(session, case_id, user)
    related = search_service.related_cases(session, request.app.state.search, user, case)
    template = "cases/_related_list.html" if part else "cases/related.html"
    return render(request, template, {"case": case, "related": related})


def _case_page(request: Request, session, user, case, *, review_error: str | None = None):
    context = {
        "reading": metrics_reading.reading_by_value(session, user),
        "case": case,
        "public": service.to_public(case),
        "history": service.history(session, case),
        "can_review": service.is_reviewer(user),
        "can_edit": case.author_id == user.id and case.status in service.EDITABLE,
        "review_error": review_error,
        "checklist": review_checklist.items(session) if service.is_reviewer(user) and case.status == "pending" else [],
        "reviews": review_service.reviews(session, case, user) if review_service.can_read_reviews(user, case) else [],
        "should_have_gone": _exemplars_of_missing_values(session, user, case),
        "evidence": praise_service.list_attachments(session, case, user),
        "can_attach": praise_service.may_attach(user, case),
    }
    return render(request, "cases/case.html", context, status_code=422 if review_error else 200)


def _exemplars_of_missing_values(session, user, case) -> dict[str, list[Case]]:
    """A lesson's "how it should have gone": per HEAT value it shows missing, a few exemplars of it (featured
    first)."""
    if case.kind != "lesson":
        return {}
    exemplars = {}
    for tag in service.to_public(case).tags:
        shown = []
        for featured in (True, None):
            filters = listing.CaseFilters(
                status="approved", archived=False, kind="exemplar", tags=[tag], featured=featured
            )
            shown += [c for c in listing.find_cases(session, user, filters, limit=3) if c not in shown]
        exemplars[tag] = shown[:3]
    return exemplars


def _back(next_url: str | None, case_id: CaseId, msg: str) -> RedirectResponse:
    target = safe_next(next_url) if next_url else f"/cases/{case_id}"
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}msg={msg}", status_code=303)


ShortForm = Annotated[str, Form(max_length=40)]
NextForm = Annotated[str, Form(max_length=2000)]


@router.post("/cases/{case_id}/review")
def review_case(
    request: Request,
    case_id: CaseId,
    user: ReviewerPageUser,
    session: SessionDep,
    marks: PostedChecklist,
    decision: ShortForm = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    next: NextForm = "",
):
    """Approve, approve and feature, or reject with a comment, with the review checklist, from the case page or
    the queue (whose script asks for JSON, so the supervisor never leaves the queue)."""
    feature = decision == "approve_feature"
    try:
        review = ReviewIn.model_validate(
            {"decision": "approve" if feature else decision, "comment": comment, "checklist": marks}
        )
        review_service.review_case(
            session, case_id, user, decision=review.decision, comment=review.comment, marks=review.checklist
        )
    except (ValidationError, InvalidInput) as error:  # nothing was written
        field = error.field if isinstance(error, InvalidInput) else str(error.errors()[0]["loc"][0])
        if wants_json(request):
            message = translate(f"invalid.{field}", request_language(request))
            return JSONResponse({"detail": field, "message": message}, status_code=422)
        session.rollback()
        return _case_page(request, session, user, service.get_case(session, case_id, user), review_error=field)
    if feature:
        service.set_featured(session, case_id, user, True)
    msg = "flash.featured" if feature else "flash.approved" if review.decision == "approve" else "flash.rejected"
    if wants_json(request):
        overview = listing.review_overview(session, user)
        lang = request_language(request)
        oldest = (
            translate("review.oldest", lang, days=(utcnow() - overview.oldest_at).days) if overview.oldest_at else ""
        )
        return JSONResponse({"message": translate(msg, lang), "pending": overview.total, "oldest": oldest})
    return _back(next, case_id, msg)


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
