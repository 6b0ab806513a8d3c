"""Ninety days of reading and searching in the demo library, so the training dashboard has a story to tell.

A plan is drawn in memory, then written with a few bulk inserts. It is seeded and relative to ``now``:
the same cases, people and ``now`` give the same rows, so demo screenshots can be made again. It keeps
the rules a live server applies: only cases approved by then are shown or read, never by their author;
one counted view per reader and case per view window; a view that came from an impression opens it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, insert, select, update
from sqlmodel import Session

from heatcases.config import Settings
from heatcases.metrics import rollup
from heatcases.models import Case, CaseView, CaseViewer, Impression, SearchQuery
from heatcases.search import text
from heatcases.vocab import TAGS

SEED = 20261201
TZ = ZoneInfo(Settings.model_fields["timezone"].default)  # the contact center's working day
VIEW_WINDOW = timedelta(minutes=Settings.model_fields["view_window_minutes"].default)
# As the pages show them: home has three featured cases per value and the six newest, the library 20 a page.
HOME_FEATURED, HOME_RECENT, LIBRARY_PAGE, SEARCH_PAGE, RELATED = 3, 6, 20, 10, 5

# What people type, how often, and with which filters (logged as the search page logs them); a few are typed
# in Traditional characters. Some find nothing in the demo library on purpose: the gaps the dashboard shows.
QUERIES: tuple[tuple[str, int, dict], ...] = (
    ("退票", 14, {}),
    ("改签", 12, {}),
    ("航班取消", 10, {}),
    ("老人", 8, {}),
    ("投诉 升级", 6, {}),
    ("酒店 超售", 6, {}),
    ("签证", 5, {}),
    ("退款", 5, {}),
    ("行李丢失", 4, {}),
    ("台风", 4, {}),
    ("宠物托运", 4, {}),
    ("邮轮", 3, {}),
    ("隐私", 3, {"tag": ["trust"]}),
    ("发票", 3, {}),
    ("退票", 2, {"tag": ["effortless"]}),
    ("安抚", 2, {"tag": ["heartwarming"]}),
    ("超售", 2, {"business_line": "hotel"}),
    ("高铁 餐食", 2, {}),
    ("儿童票", 2, {}),
    ("延误 补偿", 2, {}),
    ("客人骂人怎么办", 2, {}),
    ("报销", 2, {}),
    ("婴儿", 2, {}),
    ("高反", 2, {}),
    ("租车 押金", 2, {}),
    ("候补", 2, {}),
    ("升舱", 2, {}),
    ("护照", 2, {}),
    ("接机", 2, {}),
    ("無人陪伴", 1, {}),
    ("充电宝", 1, {}),
    ("機票退款", 1, {}),
    ("重复扣款", 1, {}),
    ("病退", 1, {}),
    ("失物", 1, {}),
    ("道路救援", 1, {}),
    ("中转", 1, {}),
)

# The business lines each demo team serves: agents read their own line's stories more.
TEAM_LINES = {
    "机票服务一组": {"flight"},
    "酒店度假组": {"hotel", "vacation"},
    "交通出行组": {"train", "car", "attraction"},
}


@dataclass(frozen=True)
class Habit:
    """How one role uses the library: when, how much, what draws them and where they click from."""

    weekday: float  # chance of a sitting on a working day (weekends: ``weekend``)
    weekend: float
    hours: tuple[int, int]  # local hours a sitting starts in
    steps: tuple[int, int]  # things done in one sitting
    reading: tuple[int, int]  # seconds spent on a case page
    featured: float  # how much more a featured case draws them
    zeal: tuple[float, float]  # people of one role differ
    actions: dict[str, float]
    pace: tuple[float, float] | None = None  # days between two featured stories taught in class


HABITS = {
    # Trainees read in class, Monday to Friday, mostly the featured stories taught so far.
    "trainee": Habit(
        0.7, 0.06, (9, 17), (2, 5), (120, 480), 4.0, (0.3, 1.1),
        {"direct": 0.42, "search": 0.24, "featured": 0.1, "home": 0.08, "library": 0.04, "related": 0.12},
        pace=(8, 14),
    ),
    # Agents look something up between calls, on any shift, and search more.
    "agent": Habit(
        0.35, 0.25, (8, 21), (1, 4), (60, 240), 2.0, (0.4, 1.1),
        {"direct": 0.36, "search": 0.34, "home": 0.1, "library": 0.08, "featured": 0.04, "related": 0.08},
    ),
    "supervisor": Habit(
        0.15, 0.02, (9, 18), (1, 3), (60, 180), 1.5, (0.8, 1.0),
        {"direct": 0.55, "home": 0.2, "library": 0.15, "search": 0.1},
    ),
}  # fmt: skip
# The chance that a reader opens one of the cases a page shows them.
CLICK = {"search": 0.6, "home": 0.35, "featured": 0.5, "library": 0.35, "related": 1.0}


@dataclass(frozen=True)
class Story:
    """A demo case as readers meet it; ``listed_at`` is its approval (None: never in the library)."""

    id: int
    author_id: int
    title: str
    text: str  # normalised title and body, for matching queries
    tags: frozenset[str]
    business_line: str
    created_at: datetime
    listed_at: datetime | None
    featured_at: datetime | None

    @classmethod
    def of(cls, case: Case) -> Story:
        listed = case.status == "approved" and not case.archived
        return cls(
            id=case.id,
            author_id=case.author_id,
            title=text.normalize(case.title),
            text=text.normalize(f"{case.title}\n{case.body}"),
            tags=frozenset(row.tag for row in case.tag_rows),
            business_line=case.business_line,
            created_at=case.created_at,
            listed_at=case.reviewed_at if listed else None,
            featured_at=case.featured_at if listed and case.featured else None,
        )

    def listed(self, at: datetime) -> bool:
        return self.listed_at is not None and self.listed_at <= at

    def featured(self, at: datetime) -> bool:
        return self.featured_at is not None and self.featured_at <= at


@dataclass(frozen=True)
class Reader:
    """A demo person as the plan sees them."""

    id: int
    username: str
    role: str
    team: str | None
    since: datetime  # when they joined: nothing before


@dataclass
class Plan:
    """Rows to insert; ``query_id`` and ``impression_id`` hold positions in these lists until written."""

    searches: list[dict] = field(default_factory=list)
    impressions: list[dict] = field(default_factory=list)
    views: list[dict] = field(default_factory=list)


def plan_activity(stories: list[Story], readers: list[Reader], now: datetime, *, seed: int = SEED) -> Plan:
    """The searches, impressions and views of ``readers`` from when they joined until ``now``."""
    plan, library = Plan(), _Library(stories)
    opened = min((story.listed_at for story in stories if story.listed_at), default=None)
    for reader in readers:
        if reader.role not in HABITS or opened is None:
            continue
        # One generator per reader: adding a demo person leaves everyone else's days as they were.
        rng = random.Random(f"{seed}:{reader.username}")
        _Sitter(plan, library, reader, rng, now).live(max(reader.since, opened))
    return plan


def write_plan(session: Session, plan: Plan) -> None:
    """Insert the plan in bulk and bring each case's view counters and viewer rows in line with it."""
    query_ids = _insert_returning_ids(session, SearchQuery, plan.searches)
    impressions = [{**row, "query_id": _resolve(row["query_id"], query_ids)} for row in plan.impressions]
    impression_ids = _insert_returning_ids(session, Impression, impressions)
    views = [{**row, "impression_id": _resolve(row["impression_id"], impression_ids)} for row in plan.views]
    if views:
        session.execute(insert(CaseView.__table__), views)
    anchors: dict[tuple[int, int], dict] = {}
    for view in plan.views:  # in time order per reader: the last one is the window's anchor
        key = (view["case_id"], view["user_id"])
        anchors.setdefault(key, {"case_id": key[0], "user_id": key[1], "first_viewed_at": view["viewed_at"]})
        anchors[key]["last_counted_at"] = view["viewed_at"]
    if anchors:
        session.execute(insert(CaseViewer.__table__), list(anchors.values()))
    viewed = sorted({case_id for case_id, _user in anchors})
    if viewed:
        counted = select(func.count()).where(CaseView.case_id == Case.id).scalar_subquery()
        readers = select(func.count(distinct(CaseView.user_id))).where(CaseView.case_id == Case.id).scalar_subquery()
        session.execute(update(Case).where(Case.id.in_(viewed)).values(views=counted, unique_viewers=readers))
    rollup.rebuild(session.connection())  # bulk inserts skip the per-view rollup


def _insert_returning_ids(session: Session, model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def _resolve(position: int | None, ids: list[int]) -> int | None:
    return None if position is None else ids[position]


class _Library:
    """The demo cases as the pages and the search box show them at a given moment."""

    def __init__(self, stories: list[Story]):
        self.newest = sorted(stories, key=lambda story: (story.created_at, story.id), reverse=True)
        self.similar = {story.id: self._similar(story) for story in self.newest}
        self.ranked: dict[str, list[Story]] = {}

    def _similar(self, story: Story) -> list[Story]:
        """Stand-in for the engine's related cases: same values, same business line, shared title words."""
        bigrams = {story.title[i : i + 2] for i in range(len(story.title) - 1)}

        def score(other: Story) -> float:
            shared = sum(other.title[i : i + 2] in bigrams for i in range(len(other.title) - 1))
            return len(story.tags & other.tags) + 2 * (story.business_line == other.business_line) + 0.1 * shared

        others = [other for other in self.newest if other.id != story.id]
        return sorted(others, key=lambda other: (-score(other), other.id))

    def listed(self, at: datetime) -> list[Story]:
        return [story for story in self.newest if story.listed(at)]

    def page(self, source: str, at: datetime, *, of: Story | None = None) -> list[Story]:
        """The cases a page lists, in its order, each once."""
        if source == "related":
            return [story for story in self.similar[of.id] if story.listed(at)][:RELATED]
        if source == "library":
            return self.listed(at)[:LIBRARY_PAGE]
        featured = [story for story in self.listed(at) if story.featured(at)]
        limit = HOME_FEATURED if source == "home" else None
        cases = [story for tag in TAGS for story in [s for s in featured if tag in s.tags][:limit]]
        if source == "home":
            cases += self.listed(at)[:HOME_RECENT]
        return list({story.id: story for story in cases}.values())

    def search(self, query: str, filters: dict, at: datetime) -> list[Story]:
        """Every case in the library at ``at`` that has each query word (or a synonym) and fits the filters."""
        if query not in self.ranked:
            self.ranked[query] = _rank(query, self.newest)
        return [
            story
            for story in self.ranked[query]
            if story.listed(at)
            and set(filters.get("tag", [])) <= story.tags
            and filters.get("business_line", story.business_line) == story.business_line
        ]


def _rank(query: str, stories: list[Story]) -> list[Story]:
    """The stories that have every query word or one of its synonyms, words in the title first."""
    groups = [(word, *text.synonyms(word)) for word in text.query_words(query)]
    scored = []
    for story in stories:
        if groups and all(any(form in story.text for form in forms) for forms in groups):
            in_title = sum(any(form in story.title for form in forms) for forms in groups)
            mentions = sum(story.text.count(form) for forms in groups for form in forms)
            scored.append((-(3 * in_title + mentions), story.id, story))
    return [story for *_key, story in sorted(scored)]


class _Sitter:
    """One reader's days: sittings of searches, listings and case pages, in time order."""

    def __init__(self, plan: Plan, library: _Library, reader: Reader, rng: random.Random, now: datetime):
        self.plan, self.library, self.reader, self.rng, self.now = plan, library, reader, rng, now
        self.habit = HABITS[reader.role]
        self.zeal = rng.uniform(*self.habit.zeal)
        # People like different stories.
        self.taste = {story.id: rng.lognormvariate(0, 0.9) for story in library.newest}
        self.lines = TEAM_LINES.get(reader.team or "", set())
        self.last_counted: dict[int, datetime] = {}
        self.taught: dict[int, datetime] = {}

    def live(self, start: datetime) -> None:
        if self.habit.pace:
            # A class is taught the featured stories in the order they were featured, each a week or so after
            # the last: the second class is still halfway through, so trainee progress differs.
            pace = timedelta(days=self.rng.uniform(*self.habit.pace))
            featured = sorted((s for s in self.library.newest if s.featured_at), key=lambda s: (s.featured_at, s.id))
            self.taught = {story.id: max(story.featured_at, start + pace * k) for k, story in enumerate(featured)}
        first, today = start.astimezone(TZ).date(), self.now.astimezone(TZ).date()
        span = max((today - first).days, 1)
        for offset in range((today - first).days + 1):
            day = first + timedelta(days=offset)
            chance = self.habit.weekday if day.weekday() < 5 else self.habit.weekend
            # Use grows as the library does: the dashboard's "against the period before" goes up.
            chance *= self.zeal * (0.55 + 0.45 * offset / span)
            sittings = sum(self.rng.random() < chance for _ in range(2 if chance > 0.5 else 1))
            free = start  # one sitting at a time
            for at in sorted(self._moment(day) for _ in range(sittings)):
                if free <= at < self.now:
                    free = self._sitting(at)

    def _moment(self, day) -> datetime:
        first, last = self.habit.hours
        local = datetime.combine(day, time(self.rng.randint(first, last - 1), self.rng.randint(0, 59)), tzinfo=TZ)
        return local.astimezone(UTC) + timedelta(seconds=self.rng.randint(0, 59))

    def _sitting(self, at: datetime) -> datetime:
        """A few steps a little apart (search, a listing, open a case, follow a related one); returns its end."""
        related: list[tuple[int, Story]] = []
        actions = self.habit.actions
        for _step in range(self.rng.randint(*self.habit.steps)):
            at += timedelta(seconds=self.rng.randint(15, 240))
            if at >= self.now:
                break
            action = self.rng.choices(list(actions), weights=list(actions.values()))[0]
            if action == "related" and not related:
                action = "direct"
            if action == "direct":
                choices = [(None, story) for story in self.library.listed(at) if story.author_id != self.reader.id]
                weights = [self._appeal(story, at) for _impression, story in choices]
            else:
                choices = related if action == "related" else self._show(action, at)
                weights = [self._appeal(story, at) / position for position, (_i, story) in enumerate(choices, 1)]
                at += timedelta(seconds=self.rng.randint(4, 90))
                if self.rng.random() >= CLICK[action]:
                    continue
            if not choices or at >= self.now:
                continue
            impression, story = self.rng.choices(choices, weights=weights)[0]
            related = self._open(story, impression, at)
            at += timedelta(seconds=self.rng.randint(*self.habit.reading))
        return at

    def _appeal(self, story: Story, at: datetime) -> float:
        """How likely this reader opens the story now: featured and recent draw, read and own line matter."""
        days = (at - story.listed_at).total_seconds() / 86400
        appeal = self.taste[story.id] * (1 + 3 * math.exp(-days / 10))
        if story.featured(at):
            appeal *= self.habit.featured if at >= self.taught.get(story.id, story.featured_at) else 0.05
        if story.business_line in self.lines:
            appeal *= 1.6
        last = self.last_counted.get(story.id)
        if last is not None:
            appeal *= 0.05 if at - last < VIEW_WINDOW else 0.25
        return appeal

    def _show(self, source: str, at: datetime, *, of: Story | None = None) -> list[tuple[int, Story]]:
        """Log a page's cases as shown (not the reader's own, which still take their position, as in the app)."""
        query = None
        if source == "search":
            stories, query = self._search(at)
        else:
            stories = self.library.page(source, at, of=of)
        shown = []
        for position, story in enumerate(stories, start=1):
            if story.author_id != self.reader.id:
                shown.append((len(self.plan.impressions), story))
                self.plan.impressions.append(
                    {
                        "user_id": self.reader.id,
                        "case_id": story.id,
                        "query_id": query,
                        "source": source,
                        "position": position,
                        "shown_at": at,
                        "opened_at": None,
                    }
                )
        return shown

    def _search(self, at: datetime) -> tuple[list[Story], int]:
        typed, _weight, filters = self.rng.choices(QUERIES, weights=[weight for _q, weight, _f in QUERIES])[0]
        found = self.library.search(typed, filters, at)
        self.plan.searches.append(
            {
                "user_id": self.reader.id,
                "text": typed,
                "normalized": " ".join(text.normalize(typed).split()),
                "filters": filters,
                "results": len(found),
                "page": 1,
                "searched_at": at,
            }
        )
        return found[:SEARCH_PAGE], len(self.plan.searches) - 1

    def _open(self, story: Story, impression: int | None, at: datetime) -> list[tuple[int, Story]]:
        """Open a case page: a view when the window allows (opening the impression it came from), then related."""
        last = self.last_counted.get(story.id)
        if last is None or at - last >= VIEW_WINDOW:
            self.last_counted[story.id] = at
            if impression is not None:
                self.plan.impressions[impression]["opened_at"] = at
            self.plan.views.append(
                {"case_id": story.id, "user_id": self.reader.id, "viewed_at": at, "impression_id": impression}
            )
        return self._show("related", at, of=story)
