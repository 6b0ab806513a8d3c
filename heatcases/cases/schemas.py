"""The case schema family: CaseCreate / CaseUpdate in, CasePublic out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from heatcases.vocab import VALUE_OF_BEHAVIOR, canonical_behaviors, canonical_servqual, canonical_tags

Tag = Literal["heartwarming", "effortless", "active", "trust"]
Behavior = Literal[
    "warmth", "empathy", "n_plus_one",
    "plain_talk", "closure", "improvement",
    "ownership", "anticipation", "stepping_in",
    "expertise", "customer_first", "integrity",
]  # fmt: skip
BusinessLine = Literal["flight", "hotel", "vacation", "train", "car", "attraction", "other"]
Channel = Literal["phone", "chat", "email", "onsite"]
Praise = Literal["letter", "banner", "video", "online_review"]
Status = Literal["pending", "approved", "rejected"]
Kind = Literal["exemplar", "lesson"]
DefectClass = Literal["A", "B", "C"]
DefectKind = Literal["fault", "hazard"]
Servqual = Literal["reliability", "responsiveness", "assurance", "empathy", "tangibles"]
FoundBy = Literal["complaint", "feedback", "qa_sampling"]

TITLE_MAX = 120
BODY_MIN, BODY_MAX = 20, 20000
COMMENT_MAX = 2000
LESSON_MIN, LESSON_MAX = 20, 5000
PARTNER_MAX = 120
TEAM_MAX = 60
# A lesson's own fields (null on exemplars), and those it must have.
LESSON_FIELDS = ("lesson", "defect_class", "defect_kind", "servqual", "found_by", "partner")
LESSON_REQUIRED = ("lesson", "defect_class", "defect_kind", "servqual", "found_by")

# Control characters other than tab and newline: PostgreSQL refuses NUL, and none belong in a story.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _clean_title(value: str) -> str:
    value = " ".join(clean_text(value).split())
    if not value:
        raise ValueError("title must not be empty")
    if len(value) > TITLE_MAX:
        raise ValueError(f"title must be at most {TITLE_MAX} characters")
    return value


def _long_text(name: str, least: int, most: int):
    """A cleaner for a text field of ``least`` to ``most`` characters, its errors naming the field."""

    def clean(value: str) -> str:
        value = clean_text(value)
        if len(value) < least:
            raise ValueError(f"{name} must be at least {least} characters")
        if len(value) > most:
            raise ValueError(f"{name} must be at most {most} characters")
        return value

    return clean


_clean_body = _long_text("body", BODY_MIN, BODY_MAX)
_clean_lesson = _long_text("lesson", LESSON_MIN, LESSON_MAX)


def _clean_partner(value: str) -> str | None:
    value = " ".join(clean_text(value).split())
    if len(value) > PARTNER_MAX:
        raise ValueError(f"partner must be at most {PARTNER_MAX} characters")
    return value or None


def _clean_team(value: str) -> str | None:
    return " ".join(clean_text(value).split()) or None


def _unique_tags(value: list[str]) -> list[str]:
    return canonical_tags(value)


def _unique_behaviors(value: list[str]) -> list[str]:
    return canonical_behaviors(value)


# Ids beyond a 32-bit integer cannot exist; refusing them early keeps the database from erroring.
CaseId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Title = Annotated[str, Field(max_length=TITLE_MAX * 4), AfterValidator(_clean_title)]
Body = Annotated[str, Field(max_length=BODY_MAX * 2), AfterValidator(_clean_body)]
Tags = Annotated[list[Tag], Field(min_length=1, max_length=4), AfterValidator(_unique_tags)]
Behaviors = Annotated[list[Behavior], Field(max_length=12), AfterValidator(_unique_behaviors)]
# A lesson names the HEAT values whose absence it shows: none to four (an exemplar needs one at least).
TagList = Annotated[list[Tag], Field(max_length=4), AfterValidator(_unique_tags)]
AnyTags = Annotated[TagList, Field(validate_default=True)]
LessonText = Annotated[str, Field(max_length=LESSON_MAX * 2), AfterValidator(_clean_lesson)]
ServqualList = Annotated[list[Servqual], Field(min_length=1, max_length=5), AfterValidator(canonical_servqual)]
Partner = Annotated[str, Field(max_length=PARTNER_MAX * 4), AfterValidator(_clean_partner)]
TeamName = Annotated[str, Field(max_length=TEAM_MAX * 4), AfterValidator(_clean_team)]


def check_tags_for_kind(tags: list[str], kind: str) -> None:
    if kind != "lesson" and not tags:
        raise ValueError("tags must name at least one HEAT value")


def check_lesson_field(name: str, value, kind: str | None):
    """A lesson field's value for the kind: required on a lesson (but the partner), dropped on an exemplar."""
    if kind == "exemplar":
        return None
    if kind == "lesson" and value is None and name in LESSON_REQUIRED:
        raise ValueError(f"{name} is required for a lesson")
    return value


def check_behaviors_fit_tags(behaviors: list[str], tags: list[str]) -> None:
    stray = [code for code in behaviors if VALUE_OF_BEHAVIOR[code] not in tags]
    if stray:
        raise ValueError(f"behaviors {', '.join(stray)} do not belong to the chosen tags")


def check_occurred_on(value: date | None) -> date | None:
    # A day of slack for time zones: the author's "today" may be the server's tomorrow.
    if value is not None:
        if value > date.today() + timedelta(days=1):
            raise ValueError("occurred_on must not be in the future")
        if value.year < 2000:
            raise ValueError("occurred_on must be in the year 2000 or later")
    return value


def _lesson_field(annotation, **kwargs):
    return Annotated[annotation | None, Field(validate_default=True, **kwargs)]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Kind = "exemplar"  # first: the rules of the fields below depend on it
    title: Title
    body: Body
    tags: AnyTags = []
    behaviors: Behaviors = []
    business_line: BusinessLine = "other"
    channel: Channel = "phone"
    occurred_on: date | None = None
    praise: Praise | None = None
    lesson: _lesson_field(LessonText) = None
    defect_class: _lesson_field(DefectClass) = None
    defect_kind: _lesson_field(DefectKind) = None
    servqual: _lesson_field(ServqualList) = None
    found_by: _lesson_field(FoundBy) = None
    partner: Partner | None = None
    team: TeamName | None = None  # a lesson's: the team whose service it was (default: the author's)

    @field_validator("tags")
    @classmethod
    def _tags_for_kind(cls, value: list[str], info: ValidationInfo) -> list[str]:
        check_tags_for_kind(value, info.data.get("kind", "exemplar"))
        return value

    @field_validator(*LESSON_FIELDS)
    @classmethod
    def _lesson_fields(cls, value, info: ValidationInfo):
        return check_lesson_field(info.field_name, value, info.data.get("kind"))

    @field_validator("team")
    @classmethod
    def _team_of_lesson(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if info.data.get("kind") == "exemplar" else value

    @field_validator("behaviors")
    @classmethod
    def _behaviors_fit(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if "tags" in info.data:
            check_behaviors_fit_tags(value, info.data["tags"])
        return value

    @field_validator("occurred_on")
    @classmethod
    def _occurred_on_past(cls, value: date | None) -> date | None:
        return check_occurred_on(value)


class CaseUpdate(BaseModel):
    """Fields an author may change; omitted fields keep their value."""

    model_config = ConfigDict(extra="ignore")

    title: Title | None = None
    body: Body | None = None
    tags: TagList | None = None  # none only on a lesson (the service checks it against the kind)
    behaviors: Behaviors | None = None
    business_line: BusinessLine | None = None
    channel: Channel | None = None
    occurred_on: date | None = None
    praise: Praise | None = None
    kind: Kind | None = None
    lesson: LessonText | None = None
    defect_class: DefectClass | None = None
    defect_kind: DefectKind | None = None
    servqual: ServqualList | None = None
    found_by: FoundBy | None = None
    partner: Partner | None = None
    team: TeamName | None = None

    @field_validator("occurred_on")
    @classmethod
    def _occurred_on_past(cls, value: date | None) -> date | None:
        return check_occurred_on(value)


class ChecklistMarkIn(BaseModel):
    """A review checklist item's result in a decision: met or not, with an optional note (masked when stored)."""

    item_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    met: bool
    note: Annotated[str | None, Field(max_length=500)] = None


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    # The review checklist (GET /api/review/checklist): items left out are recorded as not assessed.
    checklist: Annotated[list[ChecklistMarkIn], Field(max_length=50)] = []
    # validate_default: the rule "a comment is required to reject" must also catch a missing comment.
    comment: Annotated[str | None, Field(max_length=COMMENT_MAX, validate_default=True)] = None

    @field_validator("comment")
    @classmethod
    def _comment_required_to_reject(cls, value: str | None, info: ValidationInfo) -> str:
        value = clean_text(value or "")
        if info.data.get("decision") == "reject" and not value:
            raise ValueError("a comment is required to reject a case")
        return value


class CasePublic(BaseModel):
    id: int
    title: str
    body: str
    tags: list[str]
    behaviors: list[str]
    business_line: str
    channel: str
    occurred_on: date | None
    praise: str | None
    status: Status
    featured: bool
    archived: bool
    author: str
    team: str | None
    views: int
    unique_viewers: int
    created_at: datetime
    updated_at: datetime
    review_comment: str | None
    masked: list[str]
    kind: Kind = "exemplar"
    lesson: str | None = None
    defect_class: DefectClass | None = None
    defect_kind: DefectKind | None = None
    servqual: list[Servqual] | None = None
    found_by: FoundBy | None = None
    partner: str | None = None
    value_at_risk: int | None = None  # 元, a lesson's, computed when it was approved


class CaseList(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[CasePublic]


class CaseEventPublic(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor: str  # username
    actor_name: str = ""  # display name, as pages show people
    comment: str | None
    created_at: datetime
