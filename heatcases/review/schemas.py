"""The review checklist, a review's checklist result and calibration rounds as the API takes and gives them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Label = Annotated[str, Field(min_length=1, max_length=200)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a case's or an item's id, within the database's integer


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


# --- calibration rounds ---------------------------------------------------------------------------


class RoundCreate(BaseModel):
    """A round: a title, the cases to score (2-20) and the supervisors who score them (2-20 usernames)."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=120)]
    case_ids: Annotated[list[RowId], Field(min_length=2, max_length=20)]
    supervisors: Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=2, max_length=20)]


class ScoreIn(BaseModel):
    case_id: RowId
    item_id: RowId
    met: bool
    note: Annotated[str | None, Field(max_length=500)] = None


class ScoresIn(BaseModel):
    """A member's marks: every item of every case of the round, once."""

    model_config = ConfigDict(extra="forbid")

    scores: Annotated[list[ScoreIn], Field(max_length=400)]


class RoundCase(BaseModel):
    id: int
    title: str
    status: str


class RoundMember(BaseModel):
    username: str
    name: str
    submitted: bool
    submitted_at: datetime | None


class AgreementFigure(BaseModel):
    """Share of agreeing pairs of supervisors (0-1) and the chance-corrected kappa (null when undefined)."""

    share: float | None
    kappa: float | None
    subjects: int


class ItemAgreement(AgreementFigure):
    item_id: int
    code: str
    label_zh: str
    label_en: str


class MemberAgreement(AgreementFigure):
    username: str
    name: str


class Disagreement(BaseModel):
    """A case and item the supervisors marked differently: each one's mark and note."""

    case_id: int
    item_id: int
    marks: dict[str, bool]
    notes: dict[str, str]


class RoundResults(BaseModel):
    overall: AgreementFigure
    by_item: list[ItemAgreement]
    by_supervisor: list[MemberAgreement]
    disagreements: list[Disagreement]


class RoundPublic(BaseModel):
    """A calibration round as one participant or reviewer sees it: the others' scores only once it is complete
    (every member has scored) or closed."""

    id: int
    title: str
    status: str  # open | complete | closed
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    cases: list[RoundCase]
    items: list[ChecklistItemPublic]
    members: list[RoundMember]
    my_scores: list[ScoreIn]
    results: RoundResults | None


class RoundSummary(BaseModel):
    id: int
    title: str
    status: str
    created_by: str
    created_at: datetime
    cases: int
    members: int
    submitted: int
    is_member: bool
    scored: bool
