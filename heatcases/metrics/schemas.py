"""The public shapes of the metrics API (API.md's summary plus the dashboard's other figures)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

# The headline figures, in the order the dashboard and the CSV show them.
HEADLINE_KEYS = (
    "submissions",
    "approved",
    "rejected",
    "featured",
    "praised",
    "views",
    "unique_viewers",
    "impressions",
    "open_rate",
)


class CaseCounts(BaseModel):
    """What happened to cases in a period: submitted, approved, rejected, featured, with praise."""

    submissions: int = 0
    approved: int = 0
    rejected: int = 0
    featured: int = 0
    praised: int = 0


class Figures(CaseCounts):
    """One period's headline figures. open_rate = views that came from an impression / impressions."""

    views: int = 0
    unique_viewers: int = 0
    impressions: int = 0
    open_rate: float | None = None


class Change(BaseModel):
    """Percent change from the previous period; null where the previous figure is 0 (or undefined)."""

    submissions: float | None = None
    approved: float | None = None
    rejected: float | None = None
    featured: float | None = None
    praised: float | None = None
    views: float | None = None
    unique_viewers: float | None = None
    impressions: float | None = None
    open_rate: float | None = None


class GroupFigures(CaseCounts):
    """Figures of one HEAT value, business line or team in the period."""

    views: int = 0


class TeamRow(GroupFigures):
    team: str | None
    members: int = 0


class AgentRow(CaseCounts):
    author: str = Field(description="username")
    name: str
    team: str | None


EVIDENCE_KEYS = ("cases", "image", "pdf", "video")


class EvidenceFigures(BaseModel):
    """Approved cases whose customer praise is attached as evidence, counted in the period in which their first
    evidence was approved: in all (``cases``) and per kind (a case with a letter and a video counts in both)."""

    cases: int = 0
    image: int = 0
    pdf: int = 0
    video: int = 0


class EvidenceChange(BaseModel):
    cases: float | None = None
    image: float | None = None
    pdf: float | None = None
    video: float | None = None


class PraiseEvidence(BaseModel):
    """The period's praise evidence by kind, the previous period's, and the change in %."""

    current: EvidenceFigures
    previous: EvidenceFigures
    change_pct: EvidenceChange


class MetricsSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    to: date
    timezone: str
    team: str | None = None
    previous_period: dict[str, date]
    current: Figures
    previous: Figures
    change_pct: Change
    by_tag: dict[str, GroupFigures]
    by_business_line: dict[str, GroupFigures]
    by_team: list[TeamRow]
    by_agent: list[AgentRow]
    praise_evidence: PraiseEvidence = Field(
        description="cases with approved praise evidence (photo or scan, PDF, video) by kind, counted when their "
        "evidence was approved; `praised` counts the cases submitted in the period whose author named a customer "
        "praise or whose praise evidence a supervisor approved"
    )


class TrendBucket(CaseCounts):
    start: date
    views: int = 0
    impressions: int = 0
    opened: int = 0


class Trend(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    to: date
    interval: str
    buckets: list[TrendBucket]


class QueryRow(BaseModel):
    query: str
    searches: int
    users: int
    results: int = Field(description="results of its latest search")


class SearchAnalytics(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    to: date
    searches: int
    zero_result_searches: int
    top: list[QueryRow]
    zero_results: list[QueryRow]


class TopCase(BaseModel):
    id: int
    title: str
    views: int
    unique_viewers: int
    featured: bool


class TopCases(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    to: date
    by_tag: dict[str, list[TopCase]]
    by_business_line: dict[str, list[TopCase]]


class TraineeRow(BaseModel):
    username: str
    name: str
    team: str | None
    read: int
    featured: int
    progress: float | None


class TeamProgress(BaseModel):
    team: str | None
    trainees: int
    read: int
    featured: int
    progress: float | None


class Progress(BaseModel):
    featured: int
    trainees: list[TraineeRow]
    teams: list[TeamProgress]


class Reader(BaseModel):
    username: str
    name: str
    team: str | None
    role: str
    views: int
    first_viewed_at: datetime
    last_viewed_at: datetime


class CaseReaders(BaseModel):
    case_id: int
    views: int
    unique_viewers: int
    impressions: int
    opened: int
    open_rate: float | None
    readers: list[Reader]


# --- lessons from complaints (API.md, "Lessons") -------------------------------------------------

LESSON_KEYS = ("lessons", "A", "B", "C", "faults", "hazards", "value_at_risk")


class LessonFigures(BaseModel):
    """Lessons approved in a period: how many, per defect class and kind, and the customer value at risk (元)."""

    lessons: int = 0
    A: int = 0
    B: int = 0
    C: int = 0
    faults: int = 0
    hazards: int = 0
    value_at_risk: int = 0


class LessonChange(BaseModel):
    """Percent change from the previous period; null where the previous figure is 0."""

    lessons: float | None = None
    A: float | None = None
    B: float | None = None
    C: float | None = None
    faults: float | None = None
    hazards: float | None = None
    value_at_risk: float | None = None


class LessonGroup(BaseModel):
    """One team, business line, service-quality element or partner: its lessons and value at risk in the
    period, the previous period's value, and the change in %. (A lesson counts for each element it names.)"""

    model_config = ConfigDict(extra="allow")  # the group's own key: team, business_line, servqual or partner

    lessons: int
    value_at_risk: int
    previous_lessons: int = 0
    previous_value_at_risk: int = 0
    change_pct: float | None = None


class LessonReading(BaseModel):
    """Trainees' reading of lessons in a period: counted views of lessons by trainees, and how many trainees."""

    views: int = 0
    readers: int = 0
    previous_views: int = 0
    previous_readers: int = 0
    change_pct: float | None = None


class LessonMetrics(BaseModel):
    date_from: date = Field(serialization_alias="from")
    to: date
    current: LessonFigures
    previous: LessonFigures
    change_pct: LessonChange
    by_team: list[LessonGroup]
    by_business_line: list[LessonGroup]
    by_servqual: list[LessonGroup]
    by_partner: list[LessonGroup]
    reading: LessonReading


class TurnaroundFigures(BaseModel):
    """Review decisions taken in a period and how long their cases had waited for them, in hours: the median
    (p50) and the 90th percentile (p90); null without a decision."""

    decisions: int = 0
    p50_hours: float | None = None
    p90_hours: float | None = None


class TurnaroundChange(BaseModel):
    decisions: float | None = None
    p50_hours: float | None = None
    p90_hours: float | None = None


class TurnaroundRow(BaseModel):
    """One team (``key`` its name, null: no team) or supervisor (``key`` the username, ``name`` the display
    name): the period's figures, the previous period's, and the change in %."""

    key: str | None
    name: str | None
    decisions: int
    p50_hours: float | None
    p90_hours: float | None
    previous_decisions: int
    previous_p50_hours: float | None
    previous_p90_hours: float | None
    p50_change_pct: float | None
    p90_change_pct: float | None


class TurnaroundBucket(TurnaroundFigures):
    start: date


class WaitingCase(BaseModel):
    """The case waiting longest for a decision now."""

    id: int
    title: str
    author: str
    team: str | None
    waiting_since: datetime
    waited_hours: float


class Turnaround(BaseModel):
    """Review turnaround (issue 22): from a case's submission or resubmission to the decision on it."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    to: date
    timezone: str
    interval: str
    previous_period: dict[str, date]
    current: TurnaroundFigures
    previous: TurnaroundFigures
    change_pct: TurnaroundChange
    by_team: list[TurnaroundRow]
    by_supervisor: list[TurnaroundRow]
    buckets: list[TurnaroundBucket]
    pending: int
    oldest_waiting: WaitingCase | None
