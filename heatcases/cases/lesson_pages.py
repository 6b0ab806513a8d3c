"""Lesson pages: the lessons of the library (by class and service-quality element), and the lesson form that guides
the writer (what happened → the result → the lesson, the class explained with the seed's examples).

A lesson is a case: it is submitted, edited and reviewed by the same service as every case, and shown by the case
page; only its form differs, and that difference is the fields it asks for."""

from __future__ import annotations

import math
from typing import Annotated, ClassVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from heatcases.accounts import service as accounts_service
from heatcases.cases import listing, service
from heatcases.cases.forms import PART_MAX, FormProblems, PartsForm, checked, form_context
from heatcases.cases.schemas import CaseCreate, CaseId, CaseUpdate, DefectClass, Servqual
from heatcases.deps import AuthorPageUser, PageUser, SessionDep
from heatcases.errors import InvalidInput
from heatcases.review import service as review_service
from heatcases.search import service as search_service
from heatcases.templating import render, request_language
from heatcases.vocab import LESSON_PARTS

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
# What a form error can name, in the order the form shows it (body_short: the two parts are too short).
FORM_ERRORS = ("title", "body_short", "body_long", "body", "lesson", "defect_class", "defect_kind", "servqual",
               "found_by", "partner", "team", "tags", "behaviors", "business_line", "channel",
               "occurred_on")  # fmt: skip
FORM_FIELDS = ("title", "body", "lesson", "defect_class", "defect_kind", "servqual", "found_by", "partner", "team",
               "tags", "business_line", "channel", "occurred_on")  # fmt: skip


@router.get("/lessons")
def lessons_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    defect_class: DefectClass | None = None,
    servqual: Servqual | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
):
    """Approved lessons, newest first, by defect class and service-quality element."""
    filters = listing.CaseFilters(
        status="approved",
        archived=False,
        kind="lesson",
        defect_class=defect_class,
        servqual=[servqual] if servqual else [],
    )
    total, cases = listing.list_cases(session, user, filters, page=page, per_page=PER_PAGE)
    search_service.record_listing(session, user, cases, source="lessons")
    context = {
        "cases": cases,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "defect_class": defect_class,
        "servqual": servqual,
    }
    return render(request, "cases/lessons.html", context)


class LessonForm(PartsForm):
    """The lesson form as posted; CaseCreate / CaseUpdate then apply the real rules. What happened and the result
    come as two parts (or as one ``body`` when an edited lesson's text was not written in parts)."""

    happened: str = Field("", max_length=PART_MAX)
    result: str = Field("", max_length=PART_MAX)
    lesson: str = Field("", max_length=20000)
    defect_class: str = Field("", max_length=10)
    defect_kind: str = Field("", max_length=20)
    servqual: list[str] = Field([], max_length=10)
    found_by: str = Field("", max_length=40)
    partner: str = Field("", max_length=1000)
    team: str = Field("", max_length=240)

    PARTS: ClassVar = LESSON_PARTS

    def values(self, lang: str) -> dict:
        """The fields as the schemas take them: a lesson, the parts composed into the body."""
        values = super().values(lang)
        values["kind"] = "lesson"
        for name in ("partner", "team", "occurred_on"):  # optional: an empty field clears it
            values.setdefault(name, None)
        values.setdefault("tags", [])
        return values


LessonFormDep = Annotated[LessonForm, Form()]


def _checked(form: LessonForm, lang: str, model) -> tuple:
    return checked(form, lang, form.values(lang), model, FORM_ERRORS, short="body_short", long="body_long")


def _form(request: Request, session, *, case=None, values: dict | None = None, problems: FormProblems | None = None,
          reviews=()):  # fmt: skip
    """The form; what happened in its two parts unless an edited lesson's text is free; ``reviews``: the case's,
    whose latest checklist the author reads while editing."""
    context = {
        **form_context(case, values, LESSON_PARTS, problems),
        "reviews": list(reviews)[-1:],
        "teams": [team.name for team, _members in accounts_service.list_teams(session)],
    }
    return render(request, "cases/lesson_form.html", context, status_code=422 if problems else 200)


@router.get("/lessons/new")
def new_lesson_form(request: Request, user: AuthorPageUser, session: SessionDep):
    """The lesson form, each choice explained where it is made."""
    values = {"channel": "phone", "found_by": "complaint", "defect_kind": "fault"}  # the business line is a choice
    return _form(request, session, values=values)


@router.post("/lessons/new")
def submit_lesson(request: Request, user: AuthorPageUser, session: SessionDep, form: LessonFormDep):
    """Submit a lesson for review; on invalid input show the form again with every problem named."""
    data, problems = _checked(form, request_language(request), CaseCreate)
    if problems:
        return _form(request, session, values=form.fields(), problems=problems)
    try:
        case = service.submit_case(session, user, data)
    except InvalidInput as refused:
        return _form(request, session, values=form.fields(), problems=FormProblems([refused.field]))
    return RedirectResponse(f"/cases/{case.id}?msg=flash.submitted", status_code=303)


@router.get("/lessons/{case_id}/edit")
def edit_lesson_form(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep):
    """The form, filled in, for the author of a pending or rejected lesson."""
    case = service.get_editable_case(session, case_id, user)
    if case.kind != "lesson":  # an exemplar has its own form
        return RedirectResponse(f"/cases/{case.id}/edit", status_code=303)
    values = service.to_public(case).model_dump(include=set(FORM_FIELDS))
    values["team"] = case.team.name if case.team else None
    values = {k: v for k, v in values.items() if v not in (None, "", [])}
    return _form(request, session, case=case, values=values, reviews=review_service.reviews(session, case, user))


@router.post("/lessons/{case_id}/edit")
def edit_lesson(request: Request, case_id: CaseId, user: AuthorPageUser, session: SessionDep, form: LessonFormDep):
    """Save the author's changes and send the lesson back to review."""
    case = service.get_editable_case(session, case_id, user)
    data, problems = _checked(form, request_language(request), CaseUpdate)  # the form sends every field
    if problems:
        return _form(request, session, case=case, values=form.fields(), problems=problems)
    try:
        service.edit_case(session, case_id, user, data)
    except InvalidInput as refused:
        return _form(request, session, case=case, values=form.fields(), problems=FormProblems([refused.field]))
    return RedirectResponse(f"/cases/{case_id}?msg=flash.resubmitted", status_code=303)
