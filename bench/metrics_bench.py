"""How fast the training-metrics summary is at library scale: in-process and over HTTP.

Builds a database (SQLite in the work folder, or PostgreSQL with --database-url), migrates it with
heatcases.db.migrate and loads a year of synthetic activity, the same for the same --seed (counted back from
the minute it is loaded): 40 teams, 2,000 agents, 300 trainees, 40 supervisors and an admin; N cases over
365 days with their tags, behaviours and review events (submit, approve / reject, feature); V counted views
over the last 90 days (zipf-like popularity, never the author's, only approved cases, 35 % opened from an
impression, case_viewer and the cases' counters to match), 2 V impressions and V / 5 search queries.
Loading uses SQLAlchemy Core executemany on SQLite and COPY on PostgreSQL; then the view rollup
(heatcases.metrics.rollup.rebuild) and the search index are built, so the server starts without catching up,
and ANALYZE runs (VACUUM ANALYZE on PostgreSQL).

Then it times metrics.summary.summary in-process (with the SQL statements of one call), and over HTTP on
a real uvicorn server, logged in as a supervisor: GET /api/metrics/summary, /api/metrics/summary.csv,
/api/metrics/trend and the /dashboard page, for 30-day windows ending 0, 10, 30 and 60 days before the
data's last day. Every user's password is bench-pass-1 (the bench logs in as sup01). The database is kept
(SQLite: WORKDIR/sqlite-CASES-VIEWS/heatcases.db; PostgreSQL: the URL's database, which must not be `test`),
and --keep reuses it when its row counts match and it has every table and column of the models.

.venv/bin/python bench/metrics_bench.py --cases 2000 --views 20000        # a smoke run on SQLite
.venv/bin/python bench/metrics_bench.py --keep --output bench/results/metrics_bench.txt
.venv/bin/python bench/metrics_bench.py --keep --output bench/results/metrics_bench.txt \\
    --database-url postgresql+psycopg://postgres@127.0.0.1:5432/metrics_bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import casegen
import httpx
import numpy as np
import serverproc  # bench/, beside this script
from search_bench import QUERY_MIX, GcClock, code_version, free_port, log, memory_mb, percentile, spread, step
from sqlalchemy import JSON, create_engine, event, func, insert, inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from heatcases import db
from heatcases.accounts.service import hash_password
from heatcases.config import Settings
from heatcases.metrics import periods, rollup
from heatcases.metrics import summary as metrics
from heatcases.models import (
    Case,
    CaseBehavior,
    CaseEvent,
    CaseTag,
    CaseView,
    CaseViewer,
    Impression,
    SearchQuery,
    Team,
    User,
    ViewStat,
)
from heatcases.search import documents, sync
from heatcases.search import text as search_text
from heatcases.search.index import SearchIndex

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pass-1"
SUPERVISOR = "sup01"  # the one the bench logs in as

# Who is there: teams per business line (named 机票服务一组 ...), and how many users of each role.
TEAM_LINES = {"flight": 12, "hotel": 10, "train": 6, "vacation": 5, "car": 3, "attraction": 3, "other": 1}
LINE_TEAM_NAMES = {"flight": "机票", "hotel": "酒店", "train": "火车票", "vacation": "度假", "car": "用车",
                   "attraction": "门票", "other": "综合"}  # fmt: skip
AGENTS, TRAINEES = 2000, 300
USERNAMES = {"admin": "admin", "supervisor": "sup{:02d}", "agent": "agent{:04d}", "trainee": "trainee{:03d}"}
GIVEN_NAME_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红玲芬燕彬鹏辉晨宇欣怡浩然子涵梓萱思远一诺"

# The cases.
CASE_DAYS = 365
STATUS_SHARES = {"approved": 0.85, "rejected": 0.07, "pending": 0.08}
FEATURED_SHARE = 0.04  # of the approved
PRAISE_SHARE = 0.2
TEAM_LINE_SHARE = 0.75  # a case is of its team's business line, else any
TAG_COUNT_WEIGHTS = {1: 55, 2: 33, 3: 12}
BEHAVIOR_COUNT_WEIGHTS = {0: 25, 1: 45, 2: 30}
SUPERVISOR_AUTHOR_SHARE = 0.03
REVIEW_HOURS = 6  # mean time from submission to review
TITLES_PER_LINE = 200

# The reading: views, impressions, queries.
VIEW_DAYS = 90
IMPRESSIONS_PER_VIEW = 2
VIEWS_PER_QUERY = 5
OPENED_SHARE = 0.35  # of the views, from an impression shown a few minutes before
ZERO_RESULT_SHARE = 0.08
POPULARITY_EXPONENT = 0.8  # weight of the case of popularity rank r: r ** -0.8
FEATURED_BOOST = 4
READER_MIX = {"trainee": 0.55, "agent": 0.42, "supervisor": 0.03}
SEARCHER_MIX = {"trainee": 0.60, "agent": 0.37, "supervisor": 0.03}
OTHER_SOURCES = {"home": 35, "library": 30, "featured": 20, "related": 15}  # besides "search"
LAST_POSITION = {"search": 10, "home": 10, "library": 10, "featured": 6, "related": 5}
OPEN_FACTOR = {"search": 1.0, "home": 0.6, "library": 0.8, "featured": 1.2, "related": 0.9}
QUERY_MODIFIERS = ("怎么办", "话术", "安抚", "流程", "投诉", "赔偿", "老人", "外籍")
# Local hour of the day -> how busy (the contact center's day), and weekends are quieter.
HOUR_PROFILE = np.array([0.05, 0.03, 0.03, 0.03, 0.04, 0.08, 0.15, 0.3, 0.6, 1.0, 1.0, 1.0,
                         0.6, 0.7, 1.0, 1.0, 1.0, 0.9, 0.6, 0.5, 0.5, 0.4, 0.25, 0.1])  # fmt: skip
WEEKEND_FACTOR = 0.55
RECENT_GROWTH = 0.5  # the latest day is 1.5 times as busy as the first of a span

# The measurement.
WINDOW_DAYS = 30
WINDOW_ENDS = (0, 10, 30, 60)  # days before the data's last day
TARGET_P95_MS = 300
BATCH = 20_000
US = 1_000_000  # microseconds in a second

Rows = dict[str, "np.ndarray | list"]


# --- synthetic data ------------------------------------------------------------------------------


@dataclass
class People:
    """Per user id (index 0 unused): role, team id (0 for none) and how active a reader they are."""

    role: np.ndarray
    team: np.ndarray
    activity: np.ndarray
    supervisor_of_team: np.ndarray  # team id -> user id

    def pick(self, rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
        """``n`` user ids: a role by ``mix``, then someone of that role by activity."""
        weights = np.zeros(self.role.size)
        for role, share in mix.items():
            of_role = self.role == role
            weights[of_role] = share * self.activity[of_role] / self.activity[of_role].sum()
        return rng.choice(self.role.size, size=n, p=weights / weights.sum())


@dataclass
class Cases:
    """Per case id (index 0 unused); times in microseconds since the epoch, -1 for never."""

    author: np.ndarray
    status: np.ndarray
    reviewed: np.ndarray
    featured: np.ndarray


class CasePicker:
    """Draws cases by popularity among those already available (approved, or featured) at a time."""

    def __init__(self, ids: np.ndarray, since: np.ndarray, weights: np.ndarray):
        order = np.argsort(since, kind="stable")
        self.ids, self.since = ids[order], since[order]
        self.cumulative = np.cumsum(weights[order])

    def pick(self, rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
        available = np.maximum(np.searchsorted(self.since, at, side="right"), 1)
        draw = rng.random(at.size) * self.cumulative[available - 1]
        return self.ids[np.minimum(np.searchsorted(self.cumulative, draw, side="right"), available - 1)]

    def pick_not_own(self, rng: np.random.Generator, at: np.ndarray, users: np.ndarray, author: np.ndarray):
        """As ``pick``, but never a case of the user it is for (nobody views or is shown their own)."""
        cases = self.pick(rng, at)
        own = np.flatnonzero(author[cases] == users)
        for _ in range(100):
            if not own.size:
                return cases
            cases[own] = self.pick(rng, at[own])
            own = own[author[cases[own]] == users[own]]
        raise SystemExit(f"{own.size} draws found only the reader's own cases")


class Clock:
    """Random instants of a span of days before ``now``, busier by day, working hour and recency."""

    def __init__(self, now_us: int, days: int, tz):
        hours = np.arange(days * 24)  # slot h = the hour ending h hours before now
        middles = [datetime.fromtimestamp(now_us / US - (h + 0.5) * 3600, tz) for h in hours]
        local_hour = np.array([moment.hour for moment in middles])
        weekend = np.array([moment.weekday() >= 5 for moment in middles])
        weights = (1 + RECENT_GROWTH * (1 - hours / hours.size)) * HOUR_PROFILE[local_hour]
        weights *= np.where(weekend, WEEKEND_FACTOR, 1.0)
        self.now_us, self.p = now_us, weights / weights.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        slots = rng.choice(self.p.size, size=n, p=self.p)
        return self.now_us - ((slots + rng.random(n)) * 3600 * US).astype(np.int64)


def times(values: np.ndarray) -> np.ndarray:
    """Microseconds since the epoch (-1 for none) as datetime64 (NaT for none), for the writer."""
    return np.where(values < 0, np.iinfo(np.int64).min, values).view("datetime64[us]")


def weighted(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[key] for key in keys], dtype=float)
    return np.array(keys)[rng.choice(len(keys), size=n, p=p / p.sum())]


def chinese_number(number: int) -> str:
    digits = "一二三四五六七八九十"
    return digits[number - 1] if number <= 10 else "十" + digits[number - 11]


def make_people(rng: np.random.Generator, prng: random.Random, now_us: int) -> tuple[People, Rows, Rows]:
    """The teams and users (one password for all), and who is who for drawing readers."""
    team_names = []
    for line, count in TEAM_LINES.items():
        team_names += [f"{LINE_TEAM_NAMES[line]}服务{chinese_number(number)}组" for number in range(1, count + 1)]
    teams = len(team_names)
    team_weights = rng.lognormal(0, 0.4, teams)
    team_ids = np.arange(1, teams + 1)
    roles = ["admin"] + ["supervisor"] * teams + ["agent"] * AGENTS + ["trainee"] * TRAINEES
    team = np.concatenate(
        [[0], team_ids, rng.choice(team_ids, size=AGENTS + TRAINEES, p=team_weights / team_weights.sum())]
    )
    numbers: Counter = Counter()
    usernames = []
    for role in roles:
        numbers[role] += 1
        usernames.append(USERNAMES[role].format(numbers[role]))
    names = [
        prng.choice(casegen.SURNAMES) + "".join(prng.choices(GIVEN_NAME_CHARS, k=prng.choice((1, 2)))) for _ in roles
    ]
    joined = times(now_us - rng.integers(400, 800, len(roles)) * 86_400 * US)
    users = {
        "id": np.arange(1, len(roles) + 1),
        "username": usernames,
        "display_name": names,
        "role": roles,
        "team_id": np.where(team == 0, -1, team),
        "password_hash": [hash_password(PASSWORD)] * len(roles),
        "is_active": np.ones(len(roles), dtype=bool),
        "created_at": joined,
        "updated_at": joined,
    }
    created = times(np.full(teams, now_us - 800 * 86_400 * US))
    people = People(
        role=np.array(["none"] + roles),
        team=np.concatenate([[0], team]),
        activity=np.concatenate([[0.0], rng.lognormal(0, 1.0, len(roles))]),
        supervisor_of_team=np.concatenate([[0], np.arange(2, teams + 2)]),  # supervisors are users 2 ..
    )
    return people, {"id": team_ids, "name": team_names, "created_at": created}, users


def title_pool(prng: random.Random) -> dict[str, list[str]]:
    """Headlines from bench/casegen.py's scenarios, a few hundred per business line."""
    pool = {}
    for line, scenarios in casegen.SCENARIOS.items():
        pool[line] = []
        for _ in range(TITLES_PER_LINE):
            customer = casegen.pick_customer(prng, False)
            slots = casegen.make_slots(prng, customer, date(2026, 1, 1) + timedelta(days=prng.randrange(365)))
            pool[line].append(casegen.make_title(prng, slots, prng.choice(scenarios)))
    return pool


def make_cases(rng, prng, n: int, now_us: int, clock: Clock, people: People, tz) -> tuple[Cases, dict[str, Rows]]:
    """``n`` cases in order of submission, with their tags, behaviours and events; and the facts for reading."""
    created = np.sort(clock.sample(rng, n))
    ids = np.arange(1, n + 1)
    agents, supervisors = np.flatnonzero(people.role == "agent"), np.flatnonzero(people.role == "supervisor")
    prolific = rng.lognormal(0, 1.0, agents.size)
    author = np.where(
        rng.random(n) < SUPERVISOR_AUTHOR_SHARE,
        rng.choice(supervisors, size=n),
        rng.choice(agents, size=n, p=prolific / prolific.sum()),
    )
    team = people.team[author]
    team_line = np.array(list(TEAM_LINES))[np.repeat(np.arange(len(TEAM_LINES)), list(TEAM_LINES.values()))]
    line = np.where(
        rng.random(n) < TEAM_LINE_SHARE, team_line[team - 1], weighted(rng, casegen.LINE_WEIGHTS, n)
    ).astype(object)
    status = weighted(rng, STATUS_SHARES, n).astype(object)
    reviewed = created + ((20 * 60 + rng.exponential(REVIEW_HOURS * 3600, n)) * US).astype(np.int64)
    status[(status != "pending") & (reviewed > now_us)] = "pending"  # not reviewed yet
    reviewed[status == "pending"] = -1
    featured = reviewed + ((3600 + rng.uniform(0, 7 * 86_400, n)) * US).astype(np.int64)
    featured[(status != "approved") | (rng.random(n) >= FEATURED_SHARE) | (featured > now_us)] = -1
    reviewer = np.where(rng.random(n) < 0.9, people.supervisor_of_team[team], rng.choice(supervisors, size=n))
    praise = np.where(rng.random(n) < PRAISE_SHARE, weighted(rng, casegen.PRAISE_WEIGHTS, n), None)

    titles = title_pool(prng)
    title = [prng.choice(titles[code]) for code in line]
    occurred = [
        datetime.fromtimestamp(at / US, tz).date() - timedelta(days=prng.randrange(8)) for at in created.tolist()
    ]
    tags, behaviors = {"case_id": [], "tag": []}, {"case_id": [], "behavior": []}
    tag_codes = list(casegen.TAG_WEIGHTS)
    for case_id in ids.tolist():
        chosen, wanted = set(), prng.choices(*zip(*TAG_COUNT_WEIGHTS.items(), strict=True))[0]
        while len(chosen) < wanted:
            chosen.add(prng.choices(tag_codes, weights=list(casegen.TAG_WEIGHTS.values()))[0])
        for tag in chosen:
            tags["case_id"].append(case_id)
            tags["tag"].append(tag)
        choices = [code for tag in chosen for code in casegen.BEHAVIORS_OF_TAG[tag]]
        count = prng.choices(*zip(*BEHAVIOR_COUNT_WEIGHTS.items(), strict=True))[0]
        for code in prng.sample(choices, count):
            behaviors["case_id"].append(case_id)
            behaviors["behavior"].append(code)
    updated = np.maximum(np.maximum(created, reviewed), featured)
    comment = np.where(status == "rejected", "请补充处理经过和结果后再提交。", None)
    cases = {
        "id": ids,
        "title": title,
        "body": [
            f"{head}。测评用的案例（第 {case_id} 号），经过从略。"
            for head, case_id in zip(title, ids.tolist(), strict=True)
        ],
        "business_line": line,
        "channel": weighted(rng, casegen.CHANNEL_WEIGHTS, n),
        "occurred_on": occurred,
        "praise": praise,
        "status": status,
        "featured": featured >= 0,
        "archived": np.zeros(n, dtype=bool),
        "author_id": author,
        "team_id": team,
        "review_comment": comment,
        "masked": [[]] * n,
        "created_at": times(created),
        "updated_at": times(updated),
        "reviewed_at": times(reviewed),
        "featured_at": times(featured),
    }
    events = case_events(ids, author, reviewer, status, created, reviewed, featured, comment)
    pad = np.array([-1])
    facts = Cases(
        author=np.concatenate([[0], author]),
        status=np.concatenate([[None], status]),
        reviewed=np.concatenate([pad, reviewed]),
        featured=np.concatenate([pad, featured]),
    )
    return facts, {"service_case": cases, "case_tag": tags, "case_behavior": behaviors, "case_event": events}


def case_events(ids, author, reviewer, status, created, reviewed, featured, comment) -> Rows:
    """Each case's transitions, as the cases service records them: submit, approve or reject, feature."""

    def column(value, which: np.ndarray) -> np.ndarray:
        return value[which] if isinstance(value, np.ndarray) else np.full(which.size, value, dtype=object)

    decision = np.where(status == "approved", "approve", "reject").astype(object)
    kinds = (  # which cases, actor, action, from status, to status, comment, when
        (np.arange(ids.size), author, "submit", None, "pending", None, created),
        (np.flatnonzero(reviewed >= 0), reviewer, decision, "pending", status, comment, reviewed),
        (np.flatnonzero(featured >= 0), reviewer, "feature", "approved", "approved", None, featured),
    )
    parts = [[column(value, which) for value in (ids, *values)] for which, *values in kinds]
    columns = [np.concatenate(values) for values in zip(*parts, strict=True)]
    order = np.argsort(columns[-1], kind="stable")
    case_id, actor, action, from_status, to_status, note, at = (values[order] for values in columns)
    return {
        "id": np.arange(1, order.size + 1),
        "case_id": case_id,
        "actor_id": actor,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "comment": note,
        "created_at": times(at),
    }


def query_vocabulary() -> list[str]:
    """The distinct queries people type: the search bench's mix, and its words with a modifier."""
    typed = [query.q for _share, queries in QUERY_MIX.values() for query in queries if query.q]
    words = [query.q for query in QUERY_MIX["mid"][1]]
    return list(dict.fromkeys(typed + [f"{word} {modifier}" for word in words for modifier in QUERY_MODIFIERS]))


def make_queries(rng, n: int, clock: Clock, people: People) -> tuple[Rows, np.ndarray]:
    """``n`` logged searches (Zipf-ish texts, 8 % finding nothing); also each one's hits on page 1."""
    vocabulary = query_vocabulary()
    rng.shuffle(vocabulary)
    frequency = np.arange(1, len(vocabulary) + 1) ** -1.07
    frequency /= frequency.sum()
    results = np.maximum(1, np.round(rng.lognormal(np.log(6), 1.3, len(vocabulary)))).astype(np.int64)
    share = 0.0
    for index in rng.permutation(len(vocabulary)):  # some texts find nothing, 8 % of the searches
        if share >= ZERO_RESULT_SHARE:
            break
        if frequency[index] < 0.02:
            results[index], share = 0, share + frequency[index]
    normalized = [" ".join(search_text.normalize(typed).split()) for typed in vocabulary]
    which = rng.choice(len(vocabulary), size=n, p=frequency)
    rows = {
        "id": np.arange(1, n + 1),
        "user_id": people.pick(rng, SEARCHER_MIX, n),
        "text": [vocabulary[index] for index in which.tolist()],
        "normalized": [normalized[index] for index in which.tolist()],
        "filters": [{}] * n,
        "results": results[which],
        "page": np.ones(n, dtype=np.int64),
        "searched_at": np.sort(clock.sample(rng, n)),
    }
    return rows, np.minimum(results[which], LAST_POSITION["search"])


def popularity(rng, cases: Cases) -> tuple[CasePicker, CasePicker]:
    """Pickers of approved cases (from their review) and of featured ones (from their featuring)."""
    approved = np.flatnonzero(cases.status == "approved")
    featured = cases.featured[approved] >= 0
    weights = (rng.permutation(approved.size) + 1.0) ** -POPULARITY_EXPONENT
    weights[featured] *= FEATURED_BOOST
    everything = CasePicker(approved, cases.reviewed[approved], weights)
    return everything, CasePicker(approved[featured], cases.featured[approved][featured], weights[featured])


def make_impressions(rng, total: int, queries: Rows, hits: np.ndarray, clock, people, cases, pickers) -> Rows:
    """Every search's page of hits, then listings (home, library, featured, related) up to ``total``."""
    everything, featured = pickers
    query_of = np.repeat(queries["id"], hits)
    if query_of.size > total:
        raise SystemExit(f"{query_of.size} search hits already exceed {total} impressions")
    first = np.repeat(np.cumsum(hits) - hits, hits)
    position = np.arange(query_of.size) - first + 1
    user = np.repeat(queries["user_id"], hits)
    shown = np.repeat(queries["searched_at"], hits)
    case = everything.pick_not_own(rng, shown, user, cases.author)

    others = total - query_of.size
    source = weighted(rng, OTHER_SOURCES, others)
    other_user = people.pick(rng, READER_MIX, others)
    other_shown = clock.sample(rng, others)
    other_case = everything.pick_not_own(rng, other_shown, other_user, cases.author)
    is_featured = source == "featured"
    other_case[is_featured] = featured.pick_not_own(
        rng, other_shown[is_featured], other_user[is_featured], cases.author
    )
    last = np.array([LAST_POSITION[name] for name in source.tolist()])
    columns = {
        "user_id": np.concatenate([user, other_user]),
        "case_id": np.concatenate([case, other_case]),
        "query_id": np.concatenate([query_of, np.full(others, -1)]),
        "source": np.concatenate([np.full(query_of.size, "search", object), source.astype(object)]),
        "position": np.concatenate([position, rng.integers(1, last + 1)]),
        "shown_at": np.concatenate([shown, other_shown]),
    }
    order = np.argsort(columns["shown_at"], kind="stable")
    rows = {name: values[order] for name, values in columns.items()}
    rows["id"] = np.arange(1, total + 1)
    return rows


def drop_repeats(case: np.ndarray, user: np.ndarray, at: np.ndarray, window_us: int) -> np.ndarray:
    """Which views count: a reader's repeat of a case within the view window does not."""
    order = np.lexsort((at, user, case))
    c, u, t = case[order], user[order], at[order]
    repeat = np.zeros(order.size, dtype=bool)
    repeat[1:] = (c[1:] == c[:-1]) & (u[1:] == u[:-1]) & (t[1:] - t[:-1] < window_us)
    counts = np.ones(order.size, dtype=bool)
    counts[order[repeat]] = False
    return counts


def make_views(rng, total: int, impressions: Rows, clock, people, cases, picker, window_us: int) -> Rows:
    """``total`` counted views: 35 % opened from an impression (top positions more often), the rest direct.

    Sets the opened impressions' ``opened_at``.
    """
    opened_count = round(total * OPENED_SHARE)
    factor = np.array([OPEN_FACTOR[name] for name in impressions["source"].tolist()])
    keys = rng.exponential(size=factor.size) / (factor * impressions["position"] ** -0.9)
    opened = np.sort(np.argpartition(keys, opened_count)[:opened_count])  # weighted, without replacement
    delay = ((5 + rng.exponential(90, opened_count)) * US).astype(np.int64)
    case = impressions["case_id"][opened]
    user = impressions["user_id"][opened]
    at = np.minimum(impressions["shown_at"][opened] + delay, clock.now_us)
    impression = opened
    while True:
        counted = drop_repeats(case, user, at, window_us)
        missing = total - int(counted.sum())
        if missing <= 0:
            break
        more = missing + missing // 10 + 10
        more_user = people.pick(rng, READER_MIX, more)
        more_at = clock.sample(rng, more)
        case = np.concatenate([case, picker.pick_not_own(rng, more_at, more_user, cases.author)])
        user, at = np.concatenate([user, more_user]), np.concatenate([at, more_at])
        impression = np.concatenate([impression, np.full(more, -1)])
    direct = np.flatnonzero(counted & (impression < 0))
    counted[rng.choice(direct, size=-missing, replace=False)] = False  # exactly ``total``
    order = np.flatnonzero(counted)[np.argsort(at[counted], kind="stable")]
    rows = {
        "id": np.arange(1, total + 1),
        "case_id": case[order],
        "user_id": user[order],
        "viewed_at": at[order],
        "impression_id": np.where(impression[order] >= 0, impression[order] + 1, -1),
    }
    opened_at = np.full(impressions["id"].size, -1)
    linked = rows["impression_id"] >= 0
    opened_at[rows["impression_id"][linked] - 1] = rows["viewed_at"][linked]
    impressions["opened_at"] = opened_at
    return rows


def make_viewers(views: Rows) -> Rows:
    """case_viewer as the views leave it: per case and reader, the first view and the last counted one."""
    order = np.lexsort((views["viewed_at"], views["user_id"], views["case_id"]))
    case, user, at = views["case_id"][order], views["user_id"][order], views["viewed_at"][order]
    starts = np.flatnonzero(np.concatenate([[True], (case[1:] != case[:-1]) | (user[1:] != user[:-1])]))
    ends = np.concatenate([starts[1:], [order.size]]) - 1
    return {
        "case_id": case[starts],
        "user_id": user[starts],
        "first_viewed_at": at[starts],
        "last_counted_at": at[ends],
    }


def generate(args, settings: Settings, now_us: int) -> dict[str, Rows]:
    """All rows of the bench library, per table, in the order they can be inserted."""
    rng, prng = np.random.default_rng(args.seed), random.Random(args.seed)
    tz = settings.tz
    people, teams, users = make_people(rng, prng, now_us)
    facts, case_tables = make_cases(rng, prng, args.cases, now_us, Clock(now_us, CASE_DAYS, tz), people, tz)
    clock = Clock(now_us, VIEW_DAYS, tz)
    pickers = popularity(rng, facts)
    queries, hits = make_queries(rng, args.views // VIEWS_PER_QUERY, clock, people)
    impressions = make_impressions(rng, args.views * IMPRESSIONS_PER_VIEW, queries, hits, clock, people, facts, pickers)
    views = make_views(
        rng, args.views, impressions, clock, people, facts, pickers[0], settings.view_window_minutes * 60 * US
    )
    viewers = make_viewers(views)
    case_rows = case_tables["service_case"]
    case_rows["views"] = np.bincount(views["case_id"], minlength=args.cases + 1)[1:]
    case_rows["unique_viewers"] = np.bincount(viewers["case_id"], minlength=args.cases + 1)[1:]
    for rows, columns in (
        (queries, ("searched_at",)),
        (impressions, ("shown_at", "opened_at")),
        (views, ("viewed_at",)),
        (viewers, ("first_viewed_at", "last_counted_at")),
    ):
        for column in columns:
            rows[column] = times(rows[column])
    return {
        "team": teams,
        "app_user": users,
        **case_tables,
        "search_query": queries,
        "search_impression": impressions,
        "case_view": views,
        "case_viewer": viewers,
    }


# --- the database ----------------------------------------------------------------------------------

LOADED = (Team, User, Case, CaseTag, CaseBehavior, CaseEvent, SearchQuery, Impression, CaseView, CaseViewer)
TABLES = {model.__tablename__: model.__table__ for model in LOADED}  # in the order they are filled


def expected_counts(args) -> dict[str, int]:
    """The row counts that tell a loaded bench library of these sizes (what --keep checks)."""
    return {
        "team": sum(TEAM_LINES.values()),
        "app_user": 1 + sum(TEAM_LINES.values()) + AGENTS + TRAINEES,
        "service_case": args.cases,
        "search_query": args.views // VIEWS_PER_QUERY,
        "search_impression": args.views * IMPRESSIONS_PER_VIEW,
        "case_view": args.views,
    }


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the models that the database has."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
            if table.name in present
        }


def python_values(values, start: int, stop: int) -> list:
    """A batch of a column as the driver takes it: aware datetimes, None for NaT and negative ids."""
    part = values[start:stop]
    if isinstance(part, list):
        return part
    if part.dtype.kind == "M":
        return [None if value is None else value.replace(tzinfo=UTC) for value in part.astype(object)]
    if part.dtype.kind == "i" and (part < 0).any():
        return [None if value < 0 else value for value in part.tolist()]
    return part.tolist()


def batches(rows: Rows):
    names = list(rows)
    total = len(rows[names[0]])
    for start in range(0, total, BATCH):
        yield names, zip(*(python_values(rows[name], start, start + BATCH) for name in names), strict=True)


def write_sqlite(engine: Engine, table, rows: Rows) -> None:
    with engine.begin() as connection:
        for names, batch in batches(rows):
            connection.execute(insert(table), [dict(zip(names, values, strict=True)) for values in batch])


def write_postgres(engine: Engine, table, rows: Rows) -> None:
    """COPY, with the foreign-key triggers off (the rows are consistent by construction)."""
    json_columns = {column.name for column in table.columns if isinstance(column.type, JSON)}
    connection = engine.raw_connection()
    try:
        with connection.driver_connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            columns = ", ".join(f'"{name}"' for name in rows)
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for names, batch in batches(rows):
                    encode = [name in json_columns for name in names]
                    for values in batch:
                        copy.write_row(
                            [json.dumps(v) if as_json else v for v, as_json in zip(values, encode, strict=True)]
                        )
            if "id" in rows:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name}"
                )
        connection.commit()
    finally:
        connection.close()


def load_engine(settings: Settings) -> Engine:
    """The app's engine, for SQLite with a big page cache and no fsync while loading."""
    engine = db.make_engine(settings)
    if settings.is_sqlite:

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-2000000")

    return engine


def load(args, settings: Settings, engine: Engine) -> dict[str, float]:
    """Generate and insert every table; returns seconds per step."""
    now_us = int(datetime.now(UTC).replace(second=0, microsecond=0).timestamp() * US)
    started = time.perf_counter()
    tables = generate(args, settings, now_us)
    seconds = {"generate": time.perf_counter() - started}
    log(f"  generated in {seconds['generate']:.1f} s")
    write = write_sqlite if settings.is_sqlite else write_postgres
    loader = load_engine(settings)
    try:
        for name, rows in tables.items():
            started = time.perf_counter()
            write(loader, TABLES[name], rows)
            seconds[name] = time.perf_counter() - started
            count = len(next(iter(rows.values())))
            log(f"  {name:<18} {count:>10,} rows in {seconds[name]:6.1f} s ({count / seconds[name]:>9,.0f} rows/s)")
        started = time.perf_counter()
        with loader.begin() as connection:
            rollup.rebuild(connection)  # (its returned count is 0 on PostgreSQL: count the rows instead)
            count = connection.execute(select(func.count()).select_from(ViewStat)).scalar_one()
        seconds["view_stat"] = time.perf_counter() - started
        log(f"  {'view_stat':<18} {count:>10,} rows in {seconds['view_stat']:6.1f} s (rollup.rebuild from case_view)")
    finally:
        loader.dispose()
    return seconds


def analyze(settings: Settings, engine: Engine) -> float:
    started = time.perf_counter()
    if settings.is_sqlite:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def build_index(settings: Settings, engine: Engine) -> float:
    """The search index of the library, so the server need not rebuild it when it starts."""
    index = SearchIndex(settings.data_dir / "index")
    searchable = documents.count_searchable(engine)
    if index.path.exists() and index.is_current() and index.doc_count() == searchable:
        log(f"  search index: up to date ({searchable:,} cases)")
        return 0.0
    started = time.perf_counter()
    count = sync.rebuild(engine, index, procs=min(2, os.cpu_count() or 1))
    elapsed = time.perf_counter() - started
    log(f"  search index: {count:,} cases in {elapsed:.1f} s")
    return elapsed


def database_version(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.exec_driver_sql("SHOW server_version").scalar_one()
        return connection.exec_driver_sql("SELECT sqlite_version()").scalar_one()


def database_mb(settings: Settings, engine: Engine) -> float:
    if settings.is_sqlite:
        path = Path(make_url(settings.sqlalchemy_url).database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 1e6


def prepare(args) -> Settings:
    """Settings for the bench library: its own data folder, and its database made ready to fill."""
    if args.database_url:
        url = make_url(args.database_url)
        if url.database in (None, "", "test", "postgres"):
            raise SystemExit(f"refusing database {url.database!r}: use a database of its own, e.g. metrics_bench")
        folder = args.workdir / f"pg-{url.database}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if exists.first() is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
                log(f"  created database {url.database}")
        admin.dispose()
    else:
        folder = args.workdir / f"sqlite-{args.cases}-{args.views}"
    folder.mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=folder, database_url=args.database_url or "")


def wipe(settings: Settings, engine: Engine) -> None:
    """An empty database and no search index."""
    shutil.rmtree(settings.data_dir / "index", ignore_errors=True)
    if settings.is_sqlite:
        engine.dispose()
        path = Path(make_url(settings.sqlalchemy_url).database)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


def ensure_library(args, settings: Settings, engine: Engine) -> dict:
    """Reuse the database when --keep, its counts match and it has the models' schema; else wipe, migrate, load."""
    expected = expected_counts(args)
    counts = row_counts(engine)
    if args.keep and all(counts.get(name) == count for name, count in expected.items()):
        before = alembic_head(engine)
        db.migrate(settings, engine)
        missing = schema_gaps(engine)
        if not missing:
            log("  --keep: the database holds the expected rows, not loading")
            result = {"loaded": False, "index": build_index(settings, engine)}
            if alembic_head(engine) != before:
                log(f"  migrated to {alembic_head(engine)}: ANALYZE in {analyze(settings, engine):.1f} s")
            return result
        log(f"  --keep: the database lacks {', '.join(missing)} (a migration changed in place?): loading anew")
    elif args.keep and counts:
        log(f"  --keep: the counts differ from {expected}: loading anew")
    started = time.perf_counter()
    wipe(settings, engine)
    db.migrate(settings, engine)
    log(f"  empty database migrated to {alembic_head(engine)} in {time.perf_counter() - started:.1f} s")
    seconds = load(args, settings, engine)
    index_seconds = build_index(settings, engine)
    analyze_seconds = analyze(settings, engine)
    log(f"  {'ANALYZE' if settings.is_sqlite else 'VACUUM ANALYZE'} in {analyze_seconds:.1f} s")
    return {"loaded": True, "seconds": seconds, "index": index_seconds, "analyze": analyze_seconds}


def schema_gaps(engine: Engine) -> list[str]:
    """The tables and columns of the models that the database lacks."""
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    gaps = []
    for table in db.metadata.sorted_tables:
        if table.name not in present:
            gaps.append(table.name)
            continue
        have = {column["name"] for column in inspector.get_columns(table.name)}
        gaps += [f"{table.name}.{column.name}" for column in table.columns if column.name not in have]
    return gaps


def alembic_head(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()


# --- the measurements ------------------------------------------------------------------------------


def last_day(settings: Settings, engine: Engine) -> date:
    """The local day of the latest view: windows are counted back from it, however old the database."""
    with Session(engine) as session:
        latest = session.execute(select(func.max(CaseView.viewed_at))).scalar_one()
    return latest.astimezone(settings.tz).date()


def windows(end: date) -> list[periods.Period]:
    return [
        periods.Period(end - timedelta(days=back + WINDOW_DAYS - 1), end - timedelta(days=back)) for back in WINDOW_ENDS
    ]


class StatementClock:
    """The SQL statements run on an engine while installed, with their times."""

    def __init__(self, engine: Engine):
        self.engine, self.statements, self._started = engine, [], 0.0

    def _before(self, *_args):
        self._started = time.perf_counter()

    def _after(self, _connection, _cursor, statement, *_args):
        self.statements.append(((time.perf_counter() - self._started) * 1000, statement))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def in_process(settings: Settings, engine: Engine, spans: list[periods.Period], requests: int, warmup: int) -> dict:
    def once(period: periods.Period) -> float:
        with Session(engine) as session:
            started = time.perf_counter()
            metrics.summary(session, settings.tz, period)
            return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with Session(engine) as session:
        current = metrics.summary(session, settings.tz, spans[0]).current
    log(f"  first call: {(time.perf_counter() - started) * 1000:.0f} ms; {describe(spans[0])}: {current}")
    for number in range(warmup):
        once(spans[number % len(spans)])
    by_window: dict[int, list[float]] = {index: [] for index in range(len(spans))}
    with GcClock() as collector:
        for number in range(requests):
            by_window[number % len(spans)].append(once(spans[number % len(spans)]))
    every = [ms for values in by_window.values() for ms in values]
    log(f"  metrics.summary.summary:       {spread(every)}")
    log(f"  garbage collector during them: {collector.describe()}")
    for index, values in by_window.items():
        log(f"    {describe(spans[index])}: p50 {percentile(values, 50):7.1f}  max {max(values):7.1f} ms")

    with StatementClock(engine) as clock, Session(engine) as session:
        metrics.summary(session, settings.tz, spans[0])
    total = sum(ms for ms, _sql in clock.statements)
    log(f"  its {len(clock.statements)} SQL statements for {describe(spans[0])}, {total:.0f} ms in all, slowest first:")
    for ms, statement in sorted(clock.statements, key=lambda item: -item[0])[:8]:
        log(f"    {ms:7.1f} ms  {' '.join(statement.split())[:150]}")
    return {"summary": every}


def describe(period: periods.Period) -> str:
    return f"{period.start} .. {period.end}"


class Server:
    """``python -m uvicorn main:app`` on a free port, on the bench library, its output in the data folder."""

    def __init__(self, settings: Settings):
        env = {name: value for name, value in os.environ.items() if not name.startswith("HEATCASES_")}
        env.update(HEATCASES_DATA_DIR=str(settings.data_dir), HEATCASES_AUTO_MIGRATE="true")
        if settings.database_url:
            env["HEATCASES_DATABASE_URL"] = settings.database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = settings.data_dir / "server.log"
        self._log = self.log_path.open("w")
        command = [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(self.port),
                   "--log-level", "warning"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, client: httpx.Client, timeout: float = 120) -> float:
        return serverproc.wait_ready(self.process, self.base, self.log_path, client, timeout)

    def stop(self) -> None:
        serverproc.stop(self.process, self._log)


def page_login(client: httpx.Client, base: str) -> None:
    """Log in through the login form (CSRF token from the form, its cookie kept by the client)."""
    form = client.get(f"{base}/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("the login page has no CSRF token")
    done = client.post(
        f"{base}/login",
        data={"username": SUPERVISOR, "password": PASSWORD, "csrftoken": token.group(1), "next": "/dashboard"},
    )
    if done.status_code != 303:
        raise SystemExit(f"POST /login -> {done.status_code}: {done.text[:300]}")


def over_http(settings: Settings, spans: list[periods.Period], requests: int, warmup: int) -> dict:
    server = Server(settings)
    result: dict = {}
    try:
        with httpx.Client(timeout=120) as api, httpx.Client(timeout=120, follow_redirects=False) as pages:
            ready = server.wait_ready(api)
            log(f"  server pid {server.process.pid} on port {server.port}, answering after {ready:.1f} s")
            response = api.post(f"{server.base}/api/auth/token", json={"username": SUPERVISOR, "password": PASSWORD})
            response.raise_for_status()
            bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
            page_login(pages, server.base)

            def get(client: httpx.Client, path: str, period: periods.Period, extra: dict, headers) -> float:
                params = {"from": period.start.isoformat(), "to": period.end.isoformat(), **extra}
                started = time.perf_counter()
                response = client.get(f"{server.base}{path}", params=params, headers=headers)
                ms = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"GET {path} {params} -> {response.status_code}: {response.text[:300]}")
                return ms

            targets = {
                "summary": (api, "/api/metrics/summary", {}, bearer),
                "summary.csv": (api, "/api/metrics/summary.csv", {}, bearer),
                "trend": (api, "/api/metrics/trend", {"interval": "day"}, bearer),
                "dashboard": (pages, "/dashboard", {}, None),
            }
            for name, (client, path, extra, headers) in targets.items():
                first = get(client, path, spans[0], extra, headers)
                for number in range(warmup):
                    get(client, path, spans[number % len(spans)], extra, headers)
                timed = [get(client, path, spans[number % len(spans)], extra, headers) for number in range(requests)]
                label = f"GET {path}{'?interval=day' if extra else ''}"
                log(f"  {label:<36} {spread(timed)}; first {first:.0f} ms")
                result[name] = timed
            memory = memory_mb(server.process.pid)
            log(f"  server memory: RSS {memory['VmRSS']:.0f} MB, {memory['Threads']:.0f} threads")
    finally:
        server.stop()
        log(f"  server stopped (exit {server.process.returncode}); its log: {server.log_path}")
    return result


# --- the report ------------------------------------------------------------------------------------


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor() or "?",
    )  # fmt: skip
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory_kb / 1024**2:.0f} GB RAM, python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


class Tee:
    """Standard output that is also appended to a file."""

    def __init__(self, stream, path: Path):
        self.stream, self.file = stream, path.open("a", encoding="utf-8")

    def write(self, data: str) -> int:
        self.file.write(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.file.flush()
        self.stream.flush()


def report(settings: Settings, engine: Engine, library: dict, counts: dict, timings: dict) -> None:
    print()
    print(f"Summary ({'SQLite' if settings.is_sqlite else 'PostgreSQL'} {database_version(engine)}, "
          f"{database_mb(settings, engine):,.0f} MB)")  # fmt: skip
    if library["loaded"]:
        seconds = library["seconds"]
        inserts = sum(seconds[name] for name in TABLES)
        print(f"  load: generate {seconds['generate']:.0f} s + insert {inserts:.0f} s + view_stat rollup"
              f" {seconds['view_stat']:.0f} s + search index {library['index']:.0f} s"
              f" + ANALYZE {library['analyze']:.0f} s")  # fmt: skip
    else:
        print("  load: reused (--keep)")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    for name, values in timings.items():
        print(f"  {name:<28} {spread(values)}")
    p95 = percentile(timings["HTTP summary"], 95)
    print(f"  target: summary p95 <= {TARGET_P95_MS} ms: {p95:.0f} ms {'ok' if p95 <= TARGET_P95_MS else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default SQLite in the work folder")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/heat-metrics-bench"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=1_000_000, help="also 2x impressions and 1/5 as many queries")
    parser.add_argument("--requests", type=int, default=40, help="timed calls per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before each measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="reuse the database when its row counts match")
    parser.add_argument("--output", type=Path, help="also append the report to this file")
    args = parser.parse_args()
    if args.output:
        sys.stdout = Tee(sys.stdout, args.output)
    log(f"metrics bench: {args.cases:,} cases, {args.views:,} views, {args.requests} requests; {machine()}")
    version = code_version()
    log(f"code: {version}")

    step("1. database")
    settings = prepare(args)
    engine = db.make_engine(settings)
    try:
        log(f"  {settings.sqlalchemy_url} (data folder {settings.data_dir})")
        library = ensure_library(args, settings, engine)
        counts = row_counts(engine)
        end = last_day(settings, engine)
        spans = windows(end)
        log(f"  windows of {WINDOW_DAYS} days ending {', '.join(str(span.end) for span in spans)}")
        step(f"2. in-process summary ({args.requests} calls after {args.warmup} warm-up)")
        timings = {"in-process summary": in_process(settings, engine, spans, args.requests, args.warmup)["summary"]}
    finally:
        engine.dispose()
    step(f"3. over HTTP ({args.requests} requests each after {args.warmup} warm-up)")
    http = over_http(settings, spans, args.requests, args.warmup)
    timings.update({f"HTTP {name}": values for name, values in http.items()})
    engine = db.make_engine(settings)
    try:
        report(settings, engine, library, counts, timings)
    finally:
        engine.dispose()
    if code_version() != version:
        print(f"\nWARNING: the app's code changed during the run (now {code_version()}): figures mix versions")


if __name__ == "__main__":
    main()
