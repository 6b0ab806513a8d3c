"""The tables: every one in one module, so Alembic sees them with one import."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from heatcases.db import utcnow


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=60)
    role: str = Field(max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # "local" (a password kept here) or "directory" (signs in with the company directory, which owns
    # their role, team and name; password_hash is then unusable).
    source: str = Field(default="local", max_length=10, index=True)
    must_change_password: bool = Field(default=False)  # a one-time password from a roster import
    language: str | None = Field(default=None, max_length=5)  # chosen on the profile page; None: the site's

    team: Optional[Team] = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class UserChange(SQLModel, table=True):
    """One recorded change to an account or a team: who (None: the directory sync or the command line,
    named in ``actor_name``), what, to whom, when."""

    __tablename__ = "user_change"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True)
    )
    actor_name: str = Field(max_length=40)
    action: str = Field(max_length=30)
    target: str = Field(max_length=60, index=True)
    detail: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AuthToken(SQLModel, table=True):
    """A bearer token (API) or a login session (pages); only its SHA-256 is stored."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    kind: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class LoginFailure(SQLModel, table=True):
    """A failed login (or one being checked: a success deletes it), for the login throttle.

    Keyed by an HMAC of the username as typed (never the text itself: people type passwords into the
    username field) and by the client address; rows older than the window and lockout are deleted.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_failed", "username_key", "failed_at"),
        Index("ix_login_failure_ip_failed", "client_ip", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username_key: str = Field(max_length=64)
    client_ip: str = Field(max_length=64)
    failed_at: datetime = Field(default_factory=utcnow, index=True)


class Case(SQLModel, table=True):
    __tablename__ = "service_case"
    __table_args__ = (
        Index("ix_service_case_status_archived_created", "status", "archived", "created_at"),
        Index("ix_service_case_featured_updated", "featured", "updated_at"),  # metrics.reading's featured version
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=100, sa_column_kwargs={"unique": True})
    title: str = Field(max_length=200)
    body: str
    business_line: str = Field(max_length=20, index=True)
    channel: str = Field(max_length=20)
    occurred_on: date | None = None
    praise: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=20)
    featured: bool = Field(default=False, index=True)
    archived: bool = Field(default=False)
    author_id: int = Field(foreign_key="app_user.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    views: int = Field(default=0)
    unique_viewers: int = Field(default=0)
    review_comment: str | None = None
    masked: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    reviewed_at: datetime | None = None
    featured_at: datetime | None = None
    # An exemplary case, or a lesson from a complaint (PRODUCT.md, "Lessons from complaints"): the lesson
    # columns are null on exemplars; a lesson's tags are the HEAT values whose absence it shows.
    kind: str = Field(default="exemplar", max_length=10, index=True, sa_column_kwargs={"server_default": "exemplar"})
    lesson: str | None = None
    defect_class: str | None = Field(default=None, max_length=1)
    defect_kind: str | None = Field(default=None, max_length=10)
    found_by: str | None = Field(default=None, max_length=20)
    partner: str | None = Field(default=None, max_length=200)
    # Customer value lost, in 元, computed from the settings when the lesson was approved (kept as it was).
    value_at_risk: int | None = None

    author: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})
    team: Optional[Team] = Relationship(sa_relationship_kwargs={"lazy": "joined"})
    tag_rows: list["CaseTag"] = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"}
    )
    behavior_rows: list["CaseBehavior"] = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"}
    )
    servqual_rows: list["CaseServqual"] = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"}
    )


class CaseDraft(SQLModel, table=True):
    """What an author was writing in the submit or edit form, kept until they submit or discard it.

    One per author and form (``slot``: ``new``, or ``case-<id>`` for the edit of that case). Saved as
    they type, personal data masked like a submitted case's."""

    __tablename__ = "case_draft"
    __table_args__ = (UniqueConstraint("user_id", "slot", name="uq_case_draft_user_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False))
    slot: str = Field(max_length=30)
    fields: dict = Field(default_factory=dict, sa_type=JSON)
    masked: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class CaseTag(SQLModel, table=True):
    __tablename__ = "case_tag"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True))
    tag: str = Field(sa_column=Column(String(20), primary_key=True, index=True))


class CaseBehavior(SQLModel, table=True):
    __tablename__ = "case_behavior"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True))
    behavior: str = Field(sa_column=Column(String(30), primary_key=True, index=True))


class CaseServqual(SQLModel, table=True):
    """A service-quality element (SERVQUAL) that failed in a lesson."""

    __tablename__ = "case_servqual"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True))
    element: str = Field(sa_column=Column(String(20), primary_key=True, index=True))


class CustomerValueSetting(SQLModel, table=True):
    """One version of the customer-value settings; the latest is in force, the earlier ones are its history.

    ``lines``: per business line ``{"revenue_per_order", "orders_per_year", "years"}``; ``shares``: per defect
    class the share of a customer's value it loses. A lesson keeps the value computed at its approval."""

    __tablename__ = "customer_value_setting"

    id: int | None = Field(default=None, primary_key=True)
    lines: dict = Field(default_factory=dict, sa_type=JSON)
    shares: dict = Field(default_factory=dict, sa_type=JSON)
    changed_by_id: int = Field(foreign_key="app_user.id")
    changed_at: datetime = Field(default_factory=utcnow, index=True)

    changed_by: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class CaseEvent(SQLModel, table=True):
    """One recorded transition of a case: who, when, from, to, comment."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_action_created", "action", "created_at", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    actor_id: int = Field(foreign_key="app_user.id")
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    comment: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)

    actor: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class ChecklistItem(SQLModel, table=True):
    """One item of the review checklist, worded in both languages; retired items stay (reviews name them).

    ``code`` is stable (the default items' codes, ``item-<n>`` for those an admin added); ``position`` orders the
    items in force (1 is the queue's key 1)."""

    __tablename__ = "review_checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    label_zh: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    position: int = Field(default=0)
    active: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChecklistChange(SQLModel, table=True):
    """Who added, reworded, retired, restored or moved a checklist item, when, and what it was before and after."""

    __tablename__ = "review_checklist_change"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("review_checklist_item.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True)
    )
    action: str = Field(max_length=20)  # added | reworded | retired | restored | moved
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)

    actor: Optional[User] = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class ReviewMark(SQLModel, table=True):
    """One checklist item's result in one review decision (an approve or reject event): met, not met, or not
    assessed (``met`` null), with the reviewer's note (masked like every text)."""

    __tablename__ = "review_mark"
    __table_args__ = (UniqueConstraint("event_id", "item_id", name="uq_review_mark_event_item"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_event.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    item_id: int = Field(foreign_key="review_checklist_item.id", index=True)
    met: bool | None = None
    note: str | None = Field(default=None, max_length=500)


class CalibrationRound(SQLModel, table=True):
    """Supervisors scoring the same cases with the checklist, each without seeing the others' scores, to see how
    far they agree. ``item_ids``: the checklist items in force when the round began, in their order. Scores never
    change a case's review state."""

    __tablename__ = "calibration_round"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    item_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = None

    created_by: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class CalibrationCase(SQLModel, table=True):
    """A case of a calibration round, in the order it is scored."""

    __tablename__ = "calibration_case"

    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("calibration_round.id", ondelete="CASCADE"), primary_key=True)
    )
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    position: int = Field(default=0)


class CalibrationMember(SQLModel, table=True):
    """A supervisor taking part in a round; ``submitted_at`` once their scores are in (they cannot change them)."""

    __tablename__ = "calibration_member"

    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("calibration_round.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    submitted_at: datetime | None = None

    user: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class CalibrationScore(SQLModel, table=True):
    """One member's met / not met for one checklist item of one case of a round, with an optional note."""

    __tablename__ = "calibration_score"
    __table_args__ = (UniqueConstraint("round_id", "case_id", "user_id", "item_id", name="uq_calibration_score"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("calibration_round.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False))
    item_id: int = Field(foreign_key="review_checklist_item.id")
    met: bool
    note: str | None = Field(default=None, max_length=500)


class CaseViewer(SQLModel, table=True):
    """Per case and reader: when their last counted view was (the view window's anchor)."""

    __tablename__ = "case_viewer"

    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    first_viewed_at: datetime = Field(default_factory=utcnow)
    last_counted_at: datetime = Field(default_factory=utcnow)


class CaseView(SQLModel, table=True):
    """Every counted view, for the training metrics."""

    __tablename__ = "case_view"
    __table_args__ = (
        Index("ix_case_view_case_viewed", "case_id", "viewed_at"),
        # Covers every per-period figure of views, so they are read from the index alone.
        Index("ix_case_view_period", "viewed_at", "case_id", "user_id", "impression_id"),
        Index("ix_case_view_user_viewed", "user_id", "viewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False))
    user_id: int = Field(foreign_key="app_user.id")
    viewed_at: datetime = Field(default_factory=utcnow)
    # The impression this view opened, when the reader had just been shown the case (open rate).
    impression_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("search_impression.id", ondelete="SET NULL"), nullable=True),
    )


class ViewStat(SQLModel, table=True):
    """Counted views per UTC hour, in all and per team, HEAT value and business line; impressions in all.

    A rollup of ``case_view`` and ``search_impression`` for the metrics (hundreds of rows a day instead of
    every event), written in the same transaction as each view or impression, rebuilt by ``heatcases rollup``.
    """

    __tablename__ = "view_stat"

    hour: datetime = Field(primary_key=True)
    dimension: str = Field(max_length=10, primary_key=True)  # all | team | tag | line
    key: str = Field(max_length=30, primary_key=True)  # "" for all; a team id, tag or business line code
    views: int = Field(default=0)
    opened: int = Field(default=0)
    impressions: int = Field(default=0)


class SearchQuery(SQLModel, table=True):
    """Every search someone ran: what they typed, with which filters, and how much it found."""

    __tablename__ = "search_query"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    text: str = Field(max_length=200)
    normalized: str = Field(max_length=200, index=True)
    filters: dict = Field(default_factory=dict, sa_type=JSON)
    results: int
    page: int = Field(default=1)
    searched_at: datetime = Field(default_factory=utcnow, index=True)


class Impression(SQLModel, table=True):
    """A case shown to a user in a search result or a listing; ``opened_at`` once they opened it."""

    __tablename__ = "search_impression"
    __table_args__ = (
        Index("ix_search_impression_user_case_shown", "user_id", "case_id", "shown_at"),
        Index("ix_search_impression_period", "shown_at", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False))
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    query_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("search_query.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    source: str = Field(max_length=20)
    position: int
    shown_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None


class CasePassage(SQLModel, table=True):
    """One passage of an approved case (its title, or a chunk of its story) as the meaning model sees it.

    Written when a case is approved or edited, all passages of a case in one transaction, so a rebuilt
    index or a new server reuses them instead of embedding again; ``model`` names the model and its
    version, and a model change re-embeds in the background. ``start``/``end`` locate the passage in the
    story (both 0 for the title); ``vector`` is float16, unit length.
    """

    __tablename__ = "case_passage"
    __table_args__ = (
        UniqueConstraint("case_id", "model", "passage_no", name="uq_case_passage"),
        Index("ix_case_passage_model_embedded", "model", "embedded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False))
    model: str = Field(max_length=60)
    passage_no: int
    start: int
    end: int
    content_hash: str = Field(max_length=32)
    source_updated_at: datetime
    embedded_at: datetime = Field(default_factory=utcnow)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SearchChange(SQLModel, table=True):
    """One change to a case that its search-index entries must follow: the change log every replica reads.

    Appended in the same transaction as the change itself and never deleted by a reader: each index
    replica keeps its own cursor (with the index, see ``heatcases.search.cursor``), and rows go once
    every live replica has passed them. ``tx`` is the writing transaction's id on PostgreSQL, where ids
    from the sequence commit out of order (``heatcases.search.changelog``); on SQLite it stays empty.
    """

    __tablename__ = "search_change"
    __table_args__ = (Index("ix_search_change_tx_id", "tx", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))  # fmt: skip
    case_id: int
    changed_at: datetime = Field(default_factory=utcnow)
    tx: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class SearchReplica(SQLModel, table=True):
    """An index replica (one data folder on one machine) and how far it has read the change log.

    Written by the replica after each pass: the log is pruned below the lowest cursor of the replicas
    seen lately, and the operator sees every machine's lag in one place."""

    __tablename__ = "search_replica"

    id: str = Field(primary_key=True, max_length=36)
    host: str = Field(max_length=255)
    folder: str = Field(max_length=1000)
    cursor_tx: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    cursor_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    documents: int = 0
    lag_changes: int = 0
    lag_seconds: float = 0.0
    last_error: str | None = Field(default=None, max_length=500)
    started_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class SearchLogState(SQLModel, table=True):
    """How far the change log has been pruned (one row): a replica whose cursor is below it has missed
    changes and rebuilds its index from the database."""

    __tablename__ = "search_log_state"

    id: int = Field(default=1, primary_key=True)
    pruned_tx: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    pruned_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    pruned_at: datetime | None = None


class SynonymGroup(SQLModel, table=True):
    """Words a supervisor made interchangeable for search, beside the groups of the shipped synonym file.

    Removing a group clears ``active`` (the history still names its words)."""

    __tablename__ = "synonym_group"

    id: int | None = Field(default=None, primary_key=True)
    words: list[str] = Field(default_factory=list, sa_type=JSON)  # normalised, distinct, in the order typed
    active: bool = Field(default=True, index=True)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int = Field(foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)

    created_by: User = Relationship(
        sa_relationship_kwargs={"lazy": "joined", "foreign_keys": "SynonymGroup.created_by_id"}
    )
    updated_by: User = Relationship(
        sa_relationship_kwargs={"lazy": "joined", "foreign_keys": "SynonymGroup.updated_by_id"}
    )


class SearchPin(SQLModel, table=True):
    """A supervisor's "this query should find this case": shown first on the query's first page of results."""

    __tablename__ = "search_pin"
    __table_args__ = (UniqueConstraint("query", "case_id", name="uq_search_pin_query_case"),)

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(max_length=200)  # normalised as search_query.normalized
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)

    created_by: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class SynonymChange(SQLModel, table=True):
    """Who added, edited or removed a synonym group or a pin, when, and what it was before and after."""

    __tablename__ = "synonym_change"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="app_user.id")
    action: str = Field(max_length=20)  # group_added | group_edited | group_removed | pin_added | pin_removed
    group_id: int | None = Field(default=None, foreign_key="synonym_group.id", index=True)
    pin_query: str | None = Field(default=None, max_length=200)
    case_id: int | None = None  # the pinned case (kept as a number: the history outlives the pin)
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)

    actor: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class SynonymVersion(SQLModel, table=True):
    """One row (id 1): raised by every change of synonym groups or pins, in the same transaction.

    Each server process reads it every few seconds and reloads the groups and pins when it moved: a row
    lock orders the writers, so a process never misses a change that committed after one it has seen."""

    __tablename__ = "synonym_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime = Field(default_factory=utcnow)


class CaseAttachment(SQLModel, table=True):
    """Customer praise attached to a case: a scanned letter or photo (re-encoded), a PDF or a short video.

    Its bytes are in ``attachment_blob`` (in the database, so every server machine sees them). An author's
    attachment is ``pending`` until a supervisor approves it (with the case, or on its own); a supervisor's
    is approved at once. A pending attachment is seen only by the case's author and supervisors."""

    __tablename__ = "case_attachment"
    __table_args__ = (Index("ix_case_attachment_status_approved", "status", "approved_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    kind: str = Field(max_length=10)  # image | pdf | video
    media_type: str = Field(max_length=40)  # as found in the content, never as the upload claimed
    filename: str = Field(max_length=200)  # the uploaded name, personal data masked, extension of the content
    caption: str | None = Field(default=None, max_length=200)
    size: int
    sha256: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    duration_seconds: float | None = None
    thumbnail_size: int | None = None  # a JPEG in attachment_blob (part "thumbnail"); None: no thumbnail
    status: str = Field(default="pending", max_length=10)
    uploaded_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_at: datetime | None = None

    uploaded_by: User = Relationship(
        sa_relationship_kwargs={"lazy": "joined", "foreign_keys": "CaseAttachment.uploaded_by_id"}
    )
    approved_by: Optional[User] = Relationship(
        sa_relationship_kwargs={"lazy": "joined", "foreign_keys": "CaseAttachment.approved_by_id"}
    )


class AttachmentBlob(SQLModel, table=True):
    """The bytes of an attachment's content or thumbnail, in pieces of ``praise.storage.CHUNK_BYTES``: a range
    of a video is read from the pieces it covers, never the whole file."""

    __tablename__ = "attachment_blob"

    attachment_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case_attachment.id", ondelete="CASCADE"), primary_key=True)
    )
    part: str = Field(sa_column=Column(String(10), primary_key=True))  # content | thumbnail
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# --- notifications ------------------------------------------------------------------------------


class Notification(SQLModel, table=True):
    """Something that happened for one person (their case approved, a reading assigned…), unread until they
    mark it read. The text is made when shown, in the reader's language, from ``kind`` and ``data``.

    ``dedupe_key``: an event that must reach a person once (a readers' milestone, a week's digest, a queue
    alert) carries one; the unique key makes a second insert (another process, a retry) do nothing."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_dedupe"),
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False))
    kind: str = Field(max_length=20)
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), nullable=True)
    )
    reading_list_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("reading_list.id", ondelete="CASCADE"), nullable=True)
    )
    data: dict = Field(default_factory=dict, sa_type=JSON)
    dedupe_key: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class NotificationSetting(SQLModel, table=True):
    """What one person chose to be told, and where; no row: every kind in the app, none by e-mail."""

    __tablename__ = "notification_setting"

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True))
    email: str | None = Field(default=None, max_length=254)
    muted: list[str] = Field(default_factory=list, sa_type=JSON)  # kinds not shown in the app
    emailed: list[str] = Field(default_factory=list, sa_type=JSON)  # kinds also sent by e-mail
    updated_at: datetime = Field(default_factory=utcnow)


class MailOutbox(SQLModel, table=True):
    """An e-mail to send, written in the transaction of its event; the mail worker words it (in ``lang``, from
    ``kind`` and ``data`` as the notification) and sends it, retrying.

    A worker claims rows by setting ``claimed_until`` (a lease) in one UPDATE, so several processes never
    send one twice; a crashed worker's lease runs out and another sends it."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "failed_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True)
    )
    kind: str = Field(max_length=20)
    to_address: str = Field(max_length=254)
    lang: str = Field(default="", max_length=5)  # the reader's chosen language; "": the site's
    data: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = Field(default=0)
    claimed_until: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=60)
    sent_at: datetime | None = None
    failed_at: datetime | None = None  # gave up after the last retry
    last_error: str | None = Field(default=None, max_length=500)


# --- reading assignments ------------------------------------------------------------------------


class ReadingList(SQLModel, table=True):
    """A supervisor's reading list: cases and lessons in order, a note, a due date."""

    __tablename__ = "reading_list"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    note: str = Field(default="")
    due_on: date
    created_by_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)

    created_by: User = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class ReadingListItem(SQLModel, table=True):
    __tablename__ = "reading_list_item"

    list_id: int = Field(sa_column=Column(Integer, ForeignKey("reading_list.id", ondelete="CASCADE"), primary_key=True))
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("service_case.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    position: int


class ReadingAssignment(SQLModel, table=True):
    """A reading list given to one person; a case counts read once they opened it after ``assigned_at``
    (a counted view, the view window before it included)."""

    __tablename__ = "reading_assignment"

    list_id: int = Field(sa_column=Column(Integer, ForeignKey("reading_list.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    team_id: int | None = Field(default=None, foreign_key="team.id")  # given through this team (or class)
    assigned_by_id: int = Field(foreign_key="app_user.id")
    assigned_at: datetime = Field(default_factory=utcnow)
    reminded_at: datetime | None = None


__all__ = [
    "AttachmentBlob",
    "AuthToken",
    "CalibrationCase",
    "CalibrationMember",
    "CalibrationRound",
    "CalibrationScore",
    "Case",
    "CaseAttachment",
    "CaseBehavior",
    "CaseEvent",
    "CaseServqual",
    "CustomerValueSetting",
    "CaseTag",
    "CaseView",
    "CaseViewer",
    "ChecklistChange",
    "ChecklistItem",
    "Impression",
    "ReviewMark",
    "LoginFailure",
    "SearchChange",
    "SearchLogState",
    "MailOutbox",
    "Notification",
    "NotificationSetting",
    "ReadingAssignment",
    "ReadingList",
    "ReadingListItem",
    "SearchPin",
    "SearchReplica",
    "SearchQuery",
    "SynonymChange",
    "SynonymGroup",
    "SynonymVersion",
    "Team",
    "User",
    "ViewStat",
]
