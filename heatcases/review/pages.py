"""Review quality pages: the checklist editor (admins) with its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from heatcases.deps import AdminPageUser, SessionDep
from heatcases.errors import InvalidInput
from heatcases.review import checklist
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
