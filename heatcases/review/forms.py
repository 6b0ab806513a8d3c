"""The review checklist as a page's form posts it: ``mark-<item id>`` = ``met`` | ``not_met`` (an item left
unmarked is not assessed) and ``note-<item id>``, read by the decision routes of the queue and the case page; a
calibration round's scores as ``score-<case id>-<item id>`` and ``note-<case id>-<item id>``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

MARK_VALUES = {"met": True, "not_met": False}


async def posted_checklist(request: Request) -> list[dict]:
    """The marks of the posted form as ``ReviewIn.checklist`` takes them (the form is parsed once: Starlette keeps
    it for the route's own fields)."""
    form = await request.form()
    marks = []
    for key, value in form.multi_items():
        number = key.removeprefix("mark-")
        if key.startswith("mark-") and number.isdigit() and value in MARK_VALUES:
            note = form.get(f"note-{number}")
            marks.append({"item_id": int(number), "met": MARK_VALUES[value],
                          "note": note if isinstance(note, str) else None})  # fmt: skip
    return marks


PostedChecklist = Annotated[list[dict], Depends(posted_checklist)]


async def posted_scores(request: Request) -> list[dict]:
    """A calibration member's marks as ``ScoresIn.scores`` takes them (unmarked ones are left out)."""
    form = await request.form()
    scores = []
    for key, value in form.multi_items():
        case_id, _, item_id = key.removeprefix("score-").partition("-")
        if key.startswith("score-") and case_id.isdigit() and item_id.isdigit() and value in MARK_VALUES:
            note = form.get(f"note-{case_id}-{item_id}")
            scores.append({"case_id": int(case_id), "item_id": int(item_id), "met": MARK_VALUES[value],
                           "note": note if isinstance(note, str) else None})  # fmt: skip
    return scores


PostedScores = Annotated[list[dict], Depends(posted_scores)]
