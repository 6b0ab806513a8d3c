"""The review checklist, a review's checklist result and calibration rounds as the API takes and gives them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Label = Annotated[str, Field(min_length=1, max_length=200)]


class ChecklistItemPublic(BaseModel):
    id: int
    code: str
    label_zh: str
    label_en: str
    position: int
    active: bool
    updated_at: datetime


class ChecklistItemCreate(BaseModel):
    """A new item, worded in both languages; it goes to the end of the list."""

    model_config = ConfigDict(extra="forbid")

    label_zh: Label
    label_en: Label


class ChecklistItemUpdate(BaseModel):
    """Reword (either language), retire or restore (``active``), or move (``position``, 1 = first)."""

    model_config = ConfigDict(extra="forbid")

    label_zh: Label | None = None
    label_en: Label | None = None
    active: bool | None = None
    position: Annotated[int, Field(ge=1, le=100)] | None = None


class ChecklistChangePublic(BaseModel):
    """One change of the checklist: who, when, which item, what it was before and after."""

    id: int
    item_id: int
    code: str
    action: str
    actor: str | None
    before: dict | None
    after: dict | None
    created_at: datetime


class MarkPublic(BaseModel):
    """One item's result in a review: met, not met, or null (not assessed); ``previous_met`` is the item's result
    in the review before (after a resubmission), and ``changed`` whether it moved."""

    item_id: int
    code: str
    label_zh: str
    label_en: str
    met: bool | None
    note: str | None
    previous_met: bool | None = None
    changed: bool = False


class ReviewPublic(BaseModel):
    """A review decision with its checklist: the case's review history as its author sees it."""

    id: int
    decision: str  # approve | reject
    reviewer: str
    reviewer_name: str
    comment: str | None
    created_at: datetime
    checklist: list[MarkPublic]
    met: int
    not_met: int
    after_resubmission: bool  # a review before this one was answered by an edit: ``previous_met`` compares them
