"""Concurrency, proven against a real server: ``uvicorn main:app --workers 2`` on the test database
(SQLite, or PostgreSQL when HEATCASES_DATABASE_URL names one), driven by many parallel HTTP clients.

- parallel submissions are all stored, each exactly once, and nothing else is;
- parallel readers are counted exactly per the view window (one per reader per window, never the
  author): in the cases, the counted views, the hourly rollup and the metrics summary;
- searches running alongside approvals all answer, and every hit shown is exactly one impression;
- of two supervisors reviewing the same case at the same moment exactly one wins, the other gets 409;
- all of it at once for a few seconds.

One server serves the whole module (starting two workers takes seconds on two cores); each test
starts from empty tables (conftest) and an empty search index (rebuilt from them). Nothing waits a
fixed time: the server is ready when both workers say so, and "searchable" is polled for.
"""

from __future__ import annotations

import itertools
import os
import queue
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from heatcases import db
from heatcases.config import Settings
from heatcases.metrics import rollup
from heatcases.models import Case, CaseEvent, CaseTag, CaseView, CaseViewer, Impression, SearchQuery, User
from heatcases.search import sync
from heatcases.search.index import CaseDocument, SearchIndex
from tests.conftest import TEST_SECRET, case_payload
from tests.hardening import ServerProcess

WORKERS = 2  # server processes
THREADS = 16  # parallel clients
TIMEOUT = 60.0  # per request; SQLite's busy timeout is 30 s, so a request that takes this long is a defect
START_TIMEOUT = 120.0

# (tags, business line) of the n-th case a test submits: every value and several lines get views.
VARIANTS = [
    (["heartwarming"], "flight"),
    (["effortless", "trust"], "hotel"),
    (["active"], "train"),
    (["heartwarming", "active", "trust"], "vacation"),
    (["effortless"], "car"),
    (["trust", "heartwarming"], "attraction"),
]
# One distinct English word per case title, to find exactly that case by search.
MARKERS = (
    "aurora basalt cobalt dolphin ember falcon granite harbor indigo juniper kestrel lantern meadow nectar orchid "
    "pepper quartz raven saffron tundra velvet willow yarrow zephyr"
).split()


def variant(n: int, title: str) -> dict:
    tags, line = VARIANTS[n % len(VARIANTS)]
    return case_payload(title=title, tags=tags, behaviors=[], business_line=line)


# --- the server -----------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class LiveServer(ServerProcess):
    """``python -m uvicorn main:app --workers 2`` on the test database, its output in a log file."""

    def __init__(self, database_url: str, data_dir: Path):
        self.data_dir = data_dir
        settings = Settings(database_url=database_url, data_dir=data_dir, secret_key=TEST_SECRET)
        super().__init__(
            settings,
            data_dir.parent / "server.log",
            options=("--workers", str(WORKERS), "--no-access-log", "--log-level", "info"),
            env={"HEATCASES_AUTO_MIGRATE": "false"},  # the session fixture has migrated the test database
        )  # in the tests' process group: a cancelled run (Ctrl-C, a CI job stopped) stops it too
        self.base = self.url
        self.started_in = 0.0

    def wait_ready(self) -> None:
        """Until every worker has finished its startup and the API answers."""
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log_text()}")
            if self.log_text().count("Application startup complete.") >= WORKERS:
                try:
                    if httpx.get(f"{self.base}/api/me", timeout=5).status_code == 401:
                        self.started_in = time.monotonic() - started
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        pytest.fail(f"the server was not ready within {START_TIMEOUT} s:\n{self.log_text()}")

    def workers(self) -> list[int]:
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            try:
                children += [int(pid) for pid in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
        return sorted(pid for pid in children if b"spawn_main" in _cmdline(pid))

    def worker_cpu(self) -> dict[int, float]:
        return {pid: _cpu_seconds(pid) for pid in self.workers()}

    def stop(self) -> None:
        self.process.terminate()  # uvicorn's supervisor stops its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in self.workers():
                os.kill(pid, signal.SIGKILL)
        super().stop()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


@pytest.fixture(scope="module")
def server(migrated, tmp_path_factory):
    running = LiveServer(migrated, tmp_path_factory.mktemp("live") / "data")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def settings(settings, server):
    """The in-process app (which makes the actors) shares the server's data folder, so there is one index."""
    return settings.model_copy(update={"data_dir": server.data_dir})


# --- clients --------------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str
    who: str
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    body: Any
    ms: float


class Traffic:
    """Parallel HTTP clients (a keep-alive connection per thread); every answer is kept."""

    def __init__(self, base: str):
        self.base = base
        self.answers: list[Answer] = []
        self.seconds = 0.0
        self.threads = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: list[httpx.Client] = []

    def client(self) -> httpx.Client:
        """A client of its own, for a contender that must not share a connection."""
        http = httpx.Client(base_url=self.base, timeout=TIMEOUT)
        with self._lock:
            self._clients.append(http)
        return http

    def _thread_client(self) -> httpx.Client:
        if getattr(self._local, "http", None) is None:
            self._local.http = self.client()
        return self._local.http

    def call(self, kind: str, actor, method: str, path: str, *, http: httpx.Client | None = None, **kwargs) -> Answer:
        started = time.perf_counter()
        try:
            response = (http or self._thread_client()).request(method, path, headers=actor.headers, **kwargs)
            status = response.status_code
            is_json = response.headers.get("content-type", "").startswith("application/json")
            body = response.json() if is_json else response.text
        except httpx.HTTPError as error:
            status, body = 0, repr(error)
        answer = Answer(kind, actor.username, status, body, (time.perf_counter() - started) * 1000)
        with self._lock:
            self.answers.append(answer)
        return answer

    def run(self, tasks, threads: int = THREADS) -> list:
        """Run the callables on ``threads`` threads at once."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="client") as pool:
            results = list(pool.map(lambda task: task(), tasks))
        self.seconds += time.perf_counter() - started
        self.threads = max(self.threads, threads)
        return results

    def of(self, kind: str) -> list[Answer]:
        return [answer for answer in self.answers if answer.kind == kind]

    def failures(self) -> list[Answer]:
        """Answers that are a server error, or no answer at all."""
        return [answer for answer in self.answers if answer.status == 0 or answer.status >= 500]

    def figures(self) -> str:
        count = len(self.answers)
        kinds = ", ".join(
            f"{kind} {len(answers)} (p50 {_pct(answers, 0.5):.0f} / p95 {_pct(answers, 0.95):.0f} ms)"
            for kind, answers in sorted(_by_kind(self.answers).items())
        )
        return (
            f"{count} requests on {self.threads} threads in {self.seconds:.2f} s = {count / self.seconds:.0f} req/s,"
            f" max {max(answer.ms for answer in self.answers):.0f} ms: {kinds}"
        )

    def close(self) -> None:
        for http in self._clients:
            http.close()


def _by_kind(answers: list[Answer]) -> dict[str, list[Answer]]:
    kinds: dict[str, list[Answer]] = {}
    for answer in answers:
        kinds.setdefault(answer.kind, []).append(answer)
    return kinds


def _pct(answers: list[Answer], share: float) -> float:
    latencies = sorted(answer.ms for answer in answers)
    return latencies[min(len(latencies) - 1, int(len(latencies) * share))]


class Live:
    """The running server for one test: setup calls, the load's traffic, checks and figures."""

    def __init__(self, server: LiveServer, app, report):
        self.server = server
        self.engine = app.state.engine
        self.tz = app.state.settings.tz
        self.first_day = self.today()
        self._report = report
        self._http = httpx.Client(base_url=server.base, timeout=TIMEOUT)
        self._traffic: list[Traffic] = []
        self._log_from = len(server.log_text())
        self._cpu = server.worker_cpu()

    def today(self) -> date:
        return datetime.now(self.tz).date()

    def call(self, actor, method: str, path: str, expect: int = 200, **kwargs):
        response = self._http.request(method, path, headers=actor.headers, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def submit(self, agent, n: int, title: str) -> dict:
        return self.call(agent, "POST", "/api/cases", 201, json=variant(n, title))

    def approve(self, supervisor, case: dict) -> dict:
        body = {"decision": "approve", "comment": "好案例"}
        return self.call(supervisor, "POST", f"/api/cases/{case['id']}/review", json=body)

    def summary(self, supervisor) -> dict:
        """The metrics summary of the days this test ran on (one day unless it crossed midnight)."""
        period = {"from": self.first_day.isoformat(), "to": self.today().isoformat()}
        return self.call(supervisor, "GET", "/api/metrics/summary", params=period)

    def found(self, searcher, word: str, case_id: int, within: float = 15.0) -> bool:
        """Whether a search for ``word`` shows the case, polled until it does (the index catches up by itself).

        A new connection each time, so either worker may answer.
        """
        deadline = time.monotonic() + within
        while True:
            params = {"q": word, "per_page": 50}
            response = httpx.get(f"{self.server.base}/api/search", params=params, headers=searcher.headers)
            assert response.status_code == 200, response.text
            hits = response.json()["hits"]
            if case_id in {hit["id"] for hit in hits}:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def traffic(self) -> Traffic:
        traffic = Traffic(self.server.base)
        self._traffic.append(traffic)
        return traffic

    def session(self):
        return db.session_scope(self.engine)

    def report(self, traffic: Traffic, line: str) -> None:
        cpu = self.server.worker_cpu()
        used = " + ".join(f"{cpu[pid] - self._cpu.get(pid, 0.0):.1f}" for pid in cpu)
        self._report(
            f"[{self.engine.dialect.name}, {WORKERS} workers, CPU s {used}] {traffic.figures()}; {line}"
            f" (server ready in {self.server.started_in:.1f} s)"
        )

    def close(self) -> None:
        for traffic in self._traffic:
            traffic.close()
        self._http.close()

    def new_log(self) -> str:
        return self.server.log_text()[self._log_from :]


@pytest.fixture
def live(server, app, report):
    # Tables are empty (conftest); so is the index: the previous test's cases must not linger in it.
    sync.rebuild(app.state.engine, app.state.search.index)
    assert len(server.workers()) == WORKERS
    running = Live(server, app, report)
    yield running
    running.close()
    assert server.process.poll() is None, f"the server died:\n{server.log_text()}"
    assert "Traceback" not in running.new_log(), running.new_log()


COUNTS = (Case.id, Case.views, Case.unique_viewers)


def count_rows(session, statement) -> int:
    return session.execute(statement).scalar_one()


# --- submitting -----------------------------------------------------------------------------------


class TestParallelSubmitters:
    AGENTS = 12
    EACH = 20

    def test_every_accepted_submission_is_stored_exactly_once(self, live, make_actor):
        agents = [make_actor("agent", f"submitter{i}", team=f"提交{i % 3}组") for i in range(self.AGENTS)]
        supervisor = make_actor("supervisor")
        plan = [(agent, n, f"{agent.username} 的第{n}个案例") for n in range(self.EACH) for agent in agents]
        random.Random(1).shuffle(plan)
        traffic = live.traffic()
        traffic.run(
            [
                partial(traffic.call, "submit", agent, "POST", "/api/cases", json=variant(n, title))
                for agent, n, title in plan
            ]
        )

        assert traffic.failures() == []
        assert Counter(answer.status for answer in traffic.answers) == {201: len(plan)}
        accepted = {answer.body["id"]: (answer.body["title"], answer.who) for answer in traffic.answers}
        assert len(accepted) == len(plan), "an id was handed out twice"
        assert sorted(title for title, _who in accepted.values()) == sorted(title for _a, _n, title in plan)
        with live.session() as session:
            stored = {
                case_id: (title, author)
                for case_id, title, author in session.execute(
                    select(Case.id, Case.title, User.username).join(User, User.id == Case.author_id)
                )
            }
            events = Counter(session.execute(select(CaseEvent.case_id, CaseEvent.action)).all())
            tags = Counter(session.execute(select(CaseTag.tag)).scalars())
        assert stored == accepted, "lost or extra cases"
        assert events == Counter({(case_id, "submit"): 1 for case_id in accepted})
        assert tags == Counter(tag for _a, n, _t in plan for tag in VARIANTS[n % len(VARIANTS)][0])

        summary = live.summary(supervisor)
        assert summary["current"]["submissions"] == len(plan)
        assert {row["author"]: row["submissions"] for row in summary["by_agent"] if row["submissions"]} == {
            agent.username: self.EACH for agent in agents
        }
        assert {tag: figures["submissions"] for tag, figures in summary["by_tag"].items()} == {
            tag: tags[tag] for tag in summary["by_tag"]
        }
        live.report(traffic, f"{len(accepted)} cases by {self.AGENTS} agents: all 201, each stored once")


# --- reading --------------------------------------------------------------------------------------


class TestParallelViewers:
    CASES = 6
    TRAINEES = 14

    def test_views_are_counted_exactly_per_reader_and_window(self, live, make_actor):
        rng = random.Random(7)
        author = make_actor("agent", "view_author")
        colleague = make_actor("agent", "view_colleague", team="二组")
        supervisor = make_actor("supervisor", "view_sup")
        trainees = [make_actor("trainee", f"view_trainee{i}") for i in range(self.TRAINEES)]
        cases = [live.approve(supervisor, live.submit(author, n, f"阅读计数 {n}")) for n in range(self.CASES)]
        case_ids = [case["id"] for case in cases]
        readers = {actor.username: actor for actor in [*trainees, colleague, supervisor]}
        traffic = live.traffic()

        def read_all(pairs: set[tuple[str, int]], repeats: int) -> None:
            """Each reader opens each of their cases 1..repeats times, the author each case 3 times, shuffled."""
            requests = [(readers[who], case_id) for who, case_id in pairs for _ in range(rng.randint(1, repeats))]
            requests += [(author, case_id) for case_id in case_ids for _ in range(3)]
            rng.shuffle(requests)
            traffic.run([partial(traffic.call, "read", who, "GET", f"/api/cases/{cid}") for who, cid in requests])

        first = {(who, case_id) for who in readers for case_id in rng.sample(case_ids, rng.randint(1, self.CASES))}
        read_all(first, repeats=4)
        with live.session() as session:  # the window has passed for every reader (as if 31 minutes went by)
            session.execute(update(CaseViewer).values(last_counted_at=db.utcnow() - timedelta(minutes=31)))
            session.commit()
        # Again: some of the same readers (each counts once more), some new to a case (a new unique reader).
        second = {(who, case_id) for who in readers for case_id in case_ids if rng.random() < 0.5}
        read_all(second, repeats=5)

        assert traffic.failures() == []
        assert {(answer.status, answer.body["status"]) for answer in traffic.of("read")} == {(200, "approved")}
        expected_views = Counter(case_id for _who, case_id in [*first, *second])
        expected_readers = Counter(case_id for _who, case_id in first | second)
        with live.session() as session:
            counts = {row.id: (row.views, row.unique_viewers) for row in session.execute(select(*COUNTS))}
            counted = Counter(
                session.execute(select(User.username, CaseView.case_id).join(User, User.id == CaseView.user_id)).all()
            )
            viewers = set(
                session.execute(select(User.username, CaseViewer.case_id).join(User, User.id == CaseViewer.user_id))
            )
            in_step = rollup.in_step(session.connection())
        assert counts == {case_id: (expected_views[case_id], expected_readers[case_id]) for case_id in case_ids}
        assert counted == Counter([*first, *second]), "case_view rows: one per reader per window, none by the author"
        assert viewers == first | second
        assert in_step, "the hourly rollup missed or doubled views"

        summary = live.summary(supervisor)
        total = sum(expected_views.values())
        assert summary["current"]["views"] == total
        assert summary["current"]["unique_viewers"] == len({who for who, _case_id in first | second})
        tags = {case["id"]: case["tags"] for case in cases}
        assert {tag: figures["views"] for tag, figures in summary["by_tag"].items()} == {
            tag: sum(expected_views[case_id] for case_id in case_ids if tag in tags[case_id])
            for tag in summary["by_tag"]
        }
        lines = {case["id"]: case["business_line"] for case in cases}
        assert {
            line: figures["views"] for line, figures in summary["by_business_line"].items() if figures["views"]
        } == {
            line: sum(expected_views[case_id] for case_id in case_ids if lines[case_id] == line)
            for line in set(lines.values())
        }
        listed = live.call(supervisor, "GET", "/api/cases", params={"per_page": 100})["items"]
        assert {item["id"]: (item["views"], item["unique_viewers"]) for item in listed} == counts
        live.report(
            traffic,
            f"{len(readers)} readers + the author on {self.CASES} cases, two windows: "
            f"{total} views, {len(first | second)} reader-case pairs, exact",
        )


# --- searching ------------------------------------------------------------------------------------

QUERIES: list[dict] = [
    {"q": "航班 改签"},
    {"q": "台风"},
    {"q": "老人 酒店"},
    {"q": "航班延誤"},  # Traditional
    {"q": "客人航班取消了怎么办"},
    {"q": '"改签到次日"'},
    {"q": "-酒店 航班"},
    {"q": "航斑"},  # a typo: a suggestion
    {"q": "Typhoon REFUNDS"},
    {"q": "aurora"},
    {"q": "harbor OR cobalt"},
    {"q": ""},
    {"q": "", "tag": ["heartwarming", "trust"]},
    {"q": "", "business_line": "hotel", "sort": "views"},
    {"q": "航班", "tag": "active", "sort": "newest", "page": 2, "per_page": 3},
    {"q": "航班", "from": "2026-01-01", "to": "2026-12-31"},
    {"q": "航班", "featured": "true"},
    {"q": "'; DROP TABLE service_case; --"},
    {"q": "<script>alert(1)</script>"},
    {"q": '"unbalanced ((( *?'},
    {"q": "航班\x00改签"},
    {"q": "😀🎉 表扬信"},
    {"q": "航" * 300},
    {"q": "13812345678"},  # a phone number: masked before it is logged
]


def _logged(params: dict) -> bool:
    """Whether the server logs this search (some text, or a filter)."""
    filters = ("tag", "behavior", "business_line", "featured", "from", "to")
    return bool(params["q"].replace("\x00", " ").strip()) or any(name in params for name in filters)


class TestParallelSearchers:
    SEEDED = 10
    APPROVED_DURING = 12  # each one an index commit while the other worker's searchers refresh
    SEARCHES = 300
    TRAINEES = 6

    def test_searches_alongside_approvals_all_answer(self, live, make_actor):
        rng = random.Random(11)
        author = make_actor("agent", "search_author")
        supervisor = make_actor("supervisor", "search_sup")
        trainees = [make_actor("trainee", f"searcher{i}") for i in range(self.TRAINEES)]
        markers = iter(MARKERS)
        seeded = [live.submit(author, n, f"{next(markers)} 航班改签 第{n}例") for n in range(self.SEEDED)]
        for case in seeded:
            live.approve(supervisor, case)
        later = [live.submit(author, n, f"{next(markers)} 酒店入住 第{n}例") for n in range(self.APPROVED_DURING)]
        traffic = live.traffic()
        searches = [(rng.choice(trainees), rng.choice(QUERIES)) for _ in range(self.SEARCHES)]
        tasks = [partial(traffic.call, "search", who, "GET", "/api/search", params=params) for who, params in searches]
        for position, case in enumerate(later):  # approvals spread through the searches
            review = {"decision": "approve", "comment": "好"}
            task = partial(traffic.call, "approve", supervisor, "POST", f"/api/cases/{case['id']}/review", json=review)
            tasks.insert((position + 1) * len(tasks) // (len(later) + 1), task)
        traffic.run(tasks)

        assert traffic.failures() == []
        assert Counter(answer.status for answer in traffic.answers) == {200: len(tasks)}
        approved = {case["id"] for case in seeded + later}
        shown = 0
        for answer in traffic.of("search"):
            assert answer.body["total"] >= len(answer.body["hits"])
            assert {hit["id"] for hit in answer.body["hits"]} <= approved
            shown += len(answer.body["hits"])
        with live.session() as session:
            impressions = count_rows(session, select(func.count()).select_from(Impression))
            logged = count_rows(session, select(func.count()).select_from(SearchQuery))
            phone_logged = count_rows(
                session, select(func.count()).select_from(SearchQuery).where(SearchQuery.text.contains("13812345678"))
            )
        assert impressions == shown, "every hit shown is exactly one impression"
        assert logged == sum(_logged(params) for _who, params in searches)
        assert phone_logged == 0
        assert live.summary(supervisor)["current"]["impressions"] == shown
        # Every approved case can be found, whichever worker answers (the approval's worker indexed it).
        missing = [
            case["id"] for case in seeded + later if not live.found(supervisor, case["title"].split()[0], case["id"])
        ]
        assert missing == []
        live.report(
            traffic,
            f"{self.SEARCHES} searches by {self.TRAINEES} trainees ({len(QUERIES)} kinds of query) alongside "
            f"{self.APPROVED_DURING} approvals: all 200, {shown} hits = {impressions} impressions",
        )


# --- reviewing --------------------------------------------------------------------------------------

DUELS = [("approve", "approve"), ("approve", "reject"), ("reject", "approve"), ("reject", "reject")]
OUTCOME = {"approve": "approved", "reject": "rejected"}


def duel(traffic: Traffic, case_id: int, contenders, barrier: threading.Barrier) -> Answer:
    """One supervisor's review, sent the moment every contender is ready (connections already open)."""
    supervisor, http, decision = contenders
    traffic.call("warm-up", supervisor, "GET", "/api/me", http=http)
    barrier.wait(timeout=30)
    comment = f"{supervisor.username} {decision}"
    body = {"decision": decision, "comment": comment}
    return traffic.call(decision, supervisor, "POST", f"/api/cases/{case_id}/review", http=http, json=body)


def check_duels(live: Live, results: dict[int, list[Answer]]) -> dict[int, Answer]:
    """Exactly one review of each case won, the other got 409, and the case is the winner's; the winners."""
    winners = {}
    for case_id, answers in results.items():
        assert sorted(answer.status for answer in answers) == [200, 409], [(a.who, a.status, a.body) for a in answers]
        winner = next(answer for answer in answers if answer.status == 200)
        loser = next(answer for answer in answers if answer.status == 409)
        assert winner.body["status"] == OUTCOME[winner.kind]
        assert winner.body["review_comment"] == f"{winner.who} {winner.kind}"
        assert isinstance(loser.body["detail"], str)
        winners[case_id] = winner
    with live.session() as session:
        rows = session.execute(
            select(CaseEvent.case_id, CaseEvent.action, User.username)
            .join(User, User.id == CaseEvent.actor_id)
            .where(CaseEvent.case_id.in_(list(results)), CaseEvent.action.in_(["approve", "reject"]))
        ).all()
        cases = {
            row.id: (row.status, row.review_comment)
            for row in session.execute(
                select(Case.id, Case.status, Case.review_comment).where(Case.id.in_(list(results)))
            )
        }
    assert sorted(rows) == sorted((case_id, w.kind, w.who) for case_id, w in winners.items()), "one review each"
    assert cases == {case_id: (OUTCOME[w.kind], w.body["review_comment"]) for case_id, w in winners.items()}
    return winners


class TestSimultaneousReviews:
    CASES = 12
    AT_ONCE = 4  # cases raced in the same instant: 8 reviews released together

    def test_exactly_one_of_two_simultaneous_reviews_wins(self, live, make_actor):
        author = make_actor("agent", "review_author")
        first, second = make_actor("supervisor", "sup_first"), make_actor("supervisor", "sup_second")
        cases = [live.submit(author, n, f"同时审核 {n}") for n in range(self.CASES)]
        traffic = live.traffic()
        results: dict[int, list[Answer]] = {}
        duels = itertools.cycle(DUELS)
        for start in range(0, self.CASES, self.AT_ONCE):
            batch = cases[start : start + self.AT_ONCE]
            contenders = [
                (case["id"], (supervisor, traffic.client(), decision))
                for case, decisions in zip(batch, duels, strict=False)
                for supervisor, decision in zip((first, second), decisions, strict=True)
            ]
            barrier = threading.Barrier(len(contenders))
            answers = traffic.run(
                [partial(duel, traffic, case_id, who, barrier) for case_id, who in contenders], threads=len(contenders)
            )
            for (case_id, _who), answer in zip(contenders, answers, strict=True):
                results.setdefault(case_id, []).append(answer)

        assert traffic.failures() == []
        winners = check_duels(live, results)
        won = Counter(winner.kind for winner in winners.values())
        for case_id, winner in winners.items():
            history = live.call(author, "GET", f"/api/cases/{case_id}/history")
            assert [(event["action"], event["actor"]) for event in history] == [
                ("submit", author.username),
                (winner.kind, winner.who),
            ]
        summary = live.summary(first)["current"]
        assert (summary["approved"], summary["rejected"]) == (won["approve"], won["reject"])
        live.report(
            traffic,
            f"{self.CASES} cases, each reviewed by 2 supervisors at once ({self.AT_ONCE} cases per instant): "
            f"{self.CASES} x [200, 409], {won['approve']} approved, {won['reject']} rejected",
        )


# --- everything at once -------------------------------------------------------------------------------


class TestMixed:
    SECONDS = 4.0
    SEEDED = 5

    def test_submit_review_read_and_search_at_once(self, live, make_actor):
        agents = [make_actor("agent", f"mixed_agent{i}", team=f"混合{i % 2}组") for i in range(3)]
        first, second = make_actor("supervisor", "mixed_sup1"), make_actor("supervisor", "mixed_sup2")
        trainees = [make_actor("trainee", f"mixed_trainee{i}") for i in range(8)]
        author = agents[0]
        seeded = [live.approve(first, live.submit(author, n, f"混合负载 种子{n}")) for n in range(self.SEEDED)]
        approved = [case["id"] for case in seeded]
        submitted: list[int] = []
        pending: queue.Queue[int] = queue.Queue()
        results: dict[int, list[Answer]] = {}
        lock = threading.Lock()
        traffic = live.traffic()
        deadline = time.monotonic() + self.SECONDS

        def submitting(agent, seed: int) -> None:
            for n in itertools.count(seed):
                if time.monotonic() >= deadline:
                    return
                answer = traffic.call(
                    "submit", agent, "POST", "/api/cases", json=variant(n, f"{agent.username} 混合{n}")
                )
                if answer.status == 201:
                    with lock:
                        submitted.append(answer.body["id"])
                    pending.put(answer.body["id"])

        def reviewing() -> None:
            clients = (traffic.client(), traffic.client())
            duels = itertools.cycle(DUELS[:3])
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reviewer") as pair:
                while time.monotonic() < deadline:
                    try:
                        case_id = pending.get(timeout=0.1)
                    except queue.Empty:
                        continue
                    barrier = threading.Barrier(2)
                    decisions = next(duels)
                    answers = list(
                        pair.map(
                            lambda who, case_id=case_id, barrier=barrier: duel(traffic, case_id, who, barrier),
                            [(first, clients[0], decisions[0]), (second, clients[1], decisions[1])],
                        )
                    )
                    results[case_id] = answers
                    if any(answer.status == 200 and answer.body["status"] == "approved" for answer in answers):
                        with lock:
                            approved.append(case_id)

        def reading(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                with lock:
                    case_id = rng.choice(approved)
                    any_case = rng.choice(submitted) if submitted else case_id
                roll = rng.random()
                if roll < 0.1:  # the author reading her own cases: never counted
                    traffic.call("read", author, "GET", f"/api/cases/{case_id}")
                elif roll < 0.2:  # a supervisor may open a case that is still pending: not counted either
                    traffic.call("read", first, "GET", f"/api/cases/{any_case}")
                else:
                    traffic.call("read", rng.choice(trainees), "GET", f"/api/cases/{case_id}")

        def searching(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                traffic.call("search", rng.choice(trainees), "GET", "/api/search", params=rng.choice(QUERIES))

        loops = [partial(submitting, agent, 1000 * i) for i, agent in enumerate(agents)] + [reviewing]
        loops += [partial(reading, seed) for seed in range(4)] + [partial(searching, seed) for seed in range(3)]
        traffic.run(loops, threads=len(loops))

        assert traffic.failures() == []
        statuses = Counter((answer.kind, answer.status) for answer in traffic.answers)
        assert {kind_status for kind_status in statuses if kind_status[1] not in (200, 201, 409)} == set(), statuses
        assert all(answer.status == 201 for answer in traffic.of("submit"))
        assert all(answer.status == 200 for answer in traffic.of("read") + traffic.of("search"))
        won = Counter(winner.kind for winner in check_duels(live, results).values())

        # Nothing lost: every accepted submission once; cases nobody got to review are still pending.
        with live.session() as session:
            stored = dict(session.execute(select(Case.id, Case.status)).all())
            submits = Counter(session.execute(select(CaseEvent.case_id).where(CaseEvent.action == "submit")).scalars())
            counts = {row.id: (row.views, row.unique_viewers) for row in session.execute(select(*COUNTS))}
            counted = Counter(
                session.execute(select(User.username, CaseView.case_id).join(User, User.id == CaseView.user_id)).all()
            )
            impressions = count_rows(session, select(func.count()).select_from(Impression))
            opened = count_rows(
                session, select(func.count()).select_from(Impression).where(Impression.opened_at.is_not(None))
            )
            from_impressions = session.execute(
                select(func.count(CaseView.impression_id), func.count(func.distinct(CaseView.impression_id)))
            ).one()
            tag_rows = session.execute(select(CaseTag.case_id, CaseTag.tag)).all()
            in_step = rollup.in_step(session.connection())
        assert set(stored) == set(approved) | set(submitted) and len(submitted) == len(set(submitted))
        assert submits == Counter({case_id: 1 for case_id in stored})
        unreviewed = set(submitted) - set(results)
        assert {stored[case_id] for case_id in unreviewed} <= {"pending"}

        # Views: a 200 on an approved case by anyone but its author, once per reader per case (one window).
        read = {
            (answer.who, answer.body["id"])
            for answer in traffic.of("read")
            if answer.body["status"] == "approved" and answer.who != answer.body["author"]
        }
        views = Counter(case_id for _who, case_id in read)
        assert counts == {case_id: (views[case_id], views[case_id]) for case_id in stored}
        assert counted == Counter(read)
        assert in_step
        shown = sum(len(answer.body["hits"]) for answer in traffic.of("search"))
        assert impressions == shown
        assert tuple(from_impressions) == (opened, opened), "a view opens at most one impression, each once"

        summary = live.summary(first)
        current = summary["current"]
        assert current["submissions"] == len(stored)
        assert (current["approved"], current["rejected"]) == (self.SEEDED + won["approve"], won["reject"])
        assert (current["views"], current["unique_viewers"]) == (len(read), len({who for who, _case in read}))
        assert current["impressions"] == shown
        assert current["open_rate"] == (round(opened / shown, 4) if shown else None)
        by_tag = Counter()
        for case_id, tag in tag_rows:
            by_tag[tag] += views[case_id]
        assert {tag: figures["views"] for tag, figures in summary["by_tag"].items()} == {
            tag: by_tag[tag] for tag in summary["by_tag"]
        }
        live.report(
            traffic,
            f"{self.SECONDS:.0f} s of everything: {len(submitted)} submitted, {len(results)} raced reviews "
            f"({won['approve']} approved, {won['reject']} rejected), {len(read)} views counted, "
            f"{shown} impressions, open rate {current['open_rate']}",
        )


# --- one index, several processes ---------------------------------------------------------------------


class TestIndexSharedByProcesses:
    """The race the live tests met (a search answered 500, FileNotFoundError), made deterministic."""

    @staticmethod
    def put(index: SearchIndex, case_id: int) -> None:
        with index.updating(timeout=5) as update:
            update.put(
                CaseDocument(id=case_id, title=f"航班 {case_id}", body="客人 航班 改签", tags=["trust"], behaviors=[],
                             business_line="flight", featured=False, created_at=db.utcnow(), occurred_on=None)
            )  # fmt: skip

    def test_a_searcher_refreshes_while_another_process_merges_away_what_it_was_opening(self, tmp_path, monkeypatch):
        mine, theirs = SearchIndex(tmp_path / "index"), SearchIndex(tmp_path / "index")  # two processes' views
        self.put(theirs, 1)
        assert mine.searcher().doc_count() == 1
        self.put(theirs, 2)
        seen = mine.index()._read_toc()  # we read the table of contents of generation 2 ...
        theirs.index().writer().commit(optimize=True)  # ... they merge it away (its files deleted) ...
        tables = iter([seen])
        monkeypatch.setattr(mine.index(), "_read_toc", lambda real=mine.index()._read_toc: next(tables, None) or real())
        assert mine.searcher().doc_count() == 2  # ... and we open its files: gone, so we read the newest table
