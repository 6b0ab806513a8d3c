"""Review quality pages: the checklist editor (admins) with its history; calibration rounds (supervisors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from heatcases.cases import listing
from heatcases.deps import AdminPageUser, ReviewerPageUser, SessionDep
from heatcases.errors import InvalidInput
from heatcases.review import calibration, checklist
from heatcases.review.forms import PostedScores
from heatcases.review.schemas import RoundCreate, ScoresIn
from heatcases.templating import render

router = APIRouter(include_in_schema=False)

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LabelForm = Annotated[str, Form(max_length=1000)]
HISTORY_SHOWN = 50


def _page(request: Request, session, *, error: InvalidInput | None = None, form: dict | None = None,
          failed_item: int | None = None):  # fmt: skip
    context = {
        "items": checklist.items(session, include_retired=True),
        "history": checklist.history(session, limit=HISTORY_SHOWN),
        "max_active": checklist.MAX_ACTIVE,
        "error": error,
        "form": form or {},
        "failed_item": failed_item,
    }
    return render(request, "review/checklist.html", context, status_code=422 if error else 200)


def _done(msg: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/checklist?msg={msg}", status_code=303)


@router.get("/admin/checklist")
def checklist_page(request: Request, user: AdminPageUser, session: SessionDep):
    """The review checklist: its items in order, forms to add, reword, retire and move them, and the history."""
    return _page(request, session)


@router.post("/admin/checklist")
def add_item(request: Request, user: AdminPageUser, session: SessionDep, label_zh: LabelForm = "",
             label_en: LabelForm = ""):  # fmt: skip
    """Add an item at the end of the list."""
    try:
        checklist.add_item(session, user, label_zh=label_zh, label_en=label_en)
    except InvalidInput as error:
        session.rollback()
        return _page(request, session, error=error, form={"label_zh": label_zh, "label_en": label_en})
    return _done("flash.checklist_added")


@router.post("/admin/checklist/{item_id}")
def reword_item(request: Request, item_id: ItemId, user: AdminPageUser, session: SessionDep,
                label_zh: LabelForm = "", label_en: LabelForm = ""):  # fmt: skip
    """Save an item's wording in both languages."""
    try:
        checklist.reword_item(session, user, item_id, label_zh=label_zh, label_en=label_en)
    except InvalidInput as error:
        session.rollback()
        return _page(request, session, error=error, failed_item=item_id)
    return _done("flash.checklist_saved")


@router.post("/admin/checklist/{item_id}/active")
def set_active(request: Request, item_id: ItemId, user: AdminPageUser, session: SessionDep,
               active: Annotated[str, Form(max_length=5)] = "0"):  # fmt: skip
    """Retire an item or bring it back."""
    try:
        checklist.set_active(session, user, item_id, active == "1")
    except InvalidInput as error:
        session.rollback()
        return _page(request, session, error=error, failed_item=item_id)
    return _done("flash.checklist_restored" if active == "1" else "flash.checklist_retired")


@router.post("/admin/checklist/{item_id}/move")
def move_item(item_id: ItemId, user: AdminPageUser, session: SessionDep,
              position: Annotated[int, Form(ge=1, le=100)] = 1):  # fmt: skip
    """Move an item in force to another place in the list."""
    checklist.move_item(session, user, item_id, position)
    return _done("flash.checklist_moved")


# --- calibration rounds ---------------------------------------------------------------------------

RoundId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CANDIDATE_CASES = 30


def _round_list(request: Request, session, user, *, error: InvalidInput | None = None, form: dict | None = None):
    context = {
        "rounds": calibration.list_rounds(session, user),
        "candidates": listing.find_cases(session, user, listing.CaseFilters(), limit=CANDIDATE_CASES),
        "reviewers": calibration.reviewers(session),
        "error": error,
        "form": form or {"case_ids": [], "supervisors": [user.username], "title": "", "more": ""},
    }
    return render(request, "review/calibration_list.html", context, status_code=422 if error else 200)


@router.get("/calibration")
def rounds_page(request: Request, user: ReviewerPageUser, session: SessionDep):
    """Calibration rounds, latest first, and a form to start one."""
    return _round_list(request, session, user)


@router.post("/calibration")
def create_round(
    request: Request,
    user: ReviewerPageUser,
    session: SessionDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    case: Annotated[list[str], Form(max_length=40)] = [],
    more: Annotated[str, Form(max_length=400)] = "",
    supervisor: Annotated[list[str], Form(max_length=40)] = [],
):
    """Start a round with the cases ticked (and the numbers typed) and the supervisors ticked."""
    numbers = [*case, *more.replace("，", ",").replace(" ", ",").split(",")]
    case_ids = [int(number) for number in numbers if number.strip().isdigit() and len(number.strip()) < 10]
    form = {"title": title, "case_ids": case_ids, "supervisors": supervisor, "more": more}
    try:
        data = RoundCreate(title=title.strip(), case_ids=list(dict.fromkeys(case_ids)), supervisors=supervisor)
        created = calibration.create_round(session, user, data)
    except ValidationError as problem:
        field = str(problem.errors()[0]["loc"][0])
        key = {"title": "calibration.invalid.title", "case_ids": "calibration.invalid.cases"}.get(
            field, "calibration.invalid.supervisors"
        )
        return _round_list(request, session, user, error=InvalidInput(field, key, message_key=key), form=form)
    except InvalidInput as problem:
        session.rollback()
        return _round_list(request, session, user, error=problem, form=form)
    return RedirectResponse(f"/calibration/{created.id}?msg=flash.round_created", status_code=303)


def _round_page(request: Request, session, user, round_id: int, *, error: InvalidInput | None = None):
    view = calibration.view_round(session, round_id, user)
    me = next((member for member in view.members if member.user_id == user.id), None)
    context = {
        "view": view,
        "public": calibration.to_public(view),
        "can_score": me is not None and me.submitted_at is None and view.round.closed_at is None,
        "can_close": view.round.closed_at is None and (user.id == view.round.created_by_id or user.role == "admin"),
        "error": error,
    }
    return render(request, "review/calibration_round.html", context, status_code=422 if error else 200)


@router.get("/calibration/{round_id}")
def round_page(request: Request, round_id: RoundId, user: ReviewerPageUser, session: SessionDep):
    """A round: the scoring form for a member who has not scored, the progress, and once complete or closed the
    agreement per item and per supervisor and where they disagreed."""
    return _round_page(request, session, user, round_id)


@router.post("/calibration/{round_id}/scores")
def submit_scores(request: Request, round_id: RoundId, user: ReviewerPageUser, session: SessionDep,
                  scores: PostedScores):  # fmt: skip
    """Save a member's marks (every item of every case); on a gap show the form again with the problem."""
    try:
        calibration.submit_scores(session, round_id, user, ScoresIn(scores=scores).scores)
    except ValidationError:
        key = "calibration.invalid.scores"
        return _round_page(request, session, user, round_id, error=InvalidInput("scores", key, message_key=key))
    except InvalidInput as problem:
        session.rollback()
        return _round_page(request, session, user, round_id, error=problem)
    return RedirectResponse(f"/calibration/{round_id}?msg=flash.scores_saved", status_code=303)


@router.post("/calibration/{round_id}/close")
def close_round(round_id: RoundId, user: ReviewerPageUser, session: SessionDep):
    """Close the round: the results cover those who scored."""
    calibration.close_round(session, round_id, user)
    return RedirectResponse(f"/calibration/{round_id}?msg=flash.round_closed", status_code=303)
