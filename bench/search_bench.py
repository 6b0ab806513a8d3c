"""How fast search is at library scale: import, full reindex, query latency in-process and over HTTP,
server memory, and how soon an approved case can be found; and the meaning layer: first-time embedding
(cases/s on all cores), loading the stored vectors (what a rebuild or a new server does instead of
embedding again), search p95 with the query's embedding and the fusion, and approve -> found by meaning.

For each size N, in a fresh data folder (SQLite): three users through the CLI, N synthetic cases
(bench/casegen.py) imported in-process, a full rebuild of the index, a seeded query mix timed through
the search service (snippets, database, query log and impressions included) and through the bare
engine, then a real ``heatcases serve`` timed over HTTP, its memory read, and 20 submit → approve →
found-by-search round trips.

.venv/bin/python bench/search_bench.py --sizes 10000
.venv/bin/python bench/search_bench.py --sizes 100000 | tee bench/results/search_bench.txt
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import serverproc  # bench/, beside this script
from sqlmodel import Session, select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.cases.importer import import_cases
from heatcases.config import Settings
from heatcases.models import Case
from heatcases.search import documents, sync
from heatcases.search.embedding import Embedder
from heatcases.search.index import SearchIndex
from heatcases.search.query import IndexFilters, parse_query
from heatcases.search.service import SearchParams, SearchService, search_cases
from heatcases.search.vectors import GRAPH_FROM, VectorStore, embedding_progress, fill_in_processes

ROOT = Path(__file__).resolve().parent.parent
HEATCASES = ROOT / ".venv" / "bin" / "heatcases"
PASSWORD = "bench-pass-1"
AGENT, SUPERVISOR, READER = "bench_agent", "bench_sup", "bench_reader"
USERS = ((AGENT, "agent"), (SUPERVISOR, "supervisor"), (READER, "trainee"))
DEFAULT_PROCS = min(4, os.cpu_count() or 1)  # what `heatcases reindex` uses when not told
ROUND_TRIPS = 20
POLL_SECONDS = 0.02
POLL_GIVE_UP = 30.0

TARGET_REINDEX = 500  # cases/s
TARGET_HTTP_P95 = 50  # ms (issue 16: with the query's embedding and the fusion)
TARGET_SEARCHABLE = 1000  # ms
TARGET_VECTOR_LOAD = 1000  # cases/s
TARGET_RSS = 700  # MB per server process

_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - _STARTED:7.1f}s] {message}", flush=True)


def step(message: str) -> None:
    """A step heading, with the machine's load: other work on 2 cores skews every figure."""
    log(f"{message}   [load average {os.getloadavg()[0]:.2f}]")


# --- the query mix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    q: str
    tags: tuple[str, ...] = ()
    business_line: str | None = None

    @property
    def sort(self) -> str:
        return "relevance" if self.q.strip() else "newest"  # as the API does for an empty q

    def params(self) -> SearchParams:
        filters = IndexFilters(tags=list(self.tags), business_line=self.business_line)
        return SearchParams(q=self.q, filters=filters, sort=self.sort, per_page=10)

    def http_params(self) -> list[tuple[str, str]]:
        pairs = [("q", self.q), ("per_page", "10")]
        pairs += [("tag", tag) for tag in self.tags]
        if self.business_line:
            pairs.append(("business_line", self.business_line))
        return pairs

    def label(self) -> str:
        extra = [f"tag={tag}" for tag in self.tags] + ([f"line={self.business_line}"] if self.business_line else [])
        return " ".join([repr(self.q)] + extra)


# Share of the mix and its queries. Frequencies are those of bench/casegen.py's stories.
QUERY_MIX: dict[str, tuple[float, tuple[BenchQuery, ...]]] = {
    "mid": (  # one or two words in roughly 1-45 % of cases, some in Traditional characters
        0.60,
        tuple(
            BenchQuery(q)
            for q in (
                "航班 改签",
                "酒店 超售",
                "老人",
                "退款",
                "航班延誤",
                "行李",
                "改签",
                "酒店 入住",
                "高铁 退票",
                "押金",
                "门票 改期",
                "婴儿",
                "轮椅",
                "孕妇",
                "航变",
                "满房",
                "导游",
                "租车 划痕",
                "值机",
                "外籍 翻译",
                "證件",
                "景区 预约",
                "退款 酒店",
                "投诉",
            )
        ),
    ),
    "common": (0.15, tuple(BenchQuery(q) for q in ("客人", "客服", "电话", "客人 电话", "同事", "服务"))),
    "rare": (
        0.10,
        tuple(BenchQuery(q) for q in ("喀什", "敦煌", "西双版纳", "马累", "莫高机场", "伊万诺夫", "充电宝", "升舱")),
    ),
    "colloquial": (
        0.10,
        tuple(
            BenchQuery(q)
            for q in (
                "客人航班取消了怎么办",
                "老人在机场找不到登机口怎么办",
                "酒店满房了客人没地方住怎么处理",
                "租车还车时说有划痕要赔钱怎么办",
                "孩子发烧了航班还能改签吗",
            )
        ),
    ),
    "filtered": (
        0.05,
        (
            BenchQuery("航班", tags=("heartwarming",)),
            BenchQuery("酒店", business_line="hotel"),
            BenchQuery("退款", tags=("effortless",), business_line="flight"),
            BenchQuery("", business_line="train"),
        ),
    ),
}


def query_stream(count: int, seed: int) -> list[BenchQuery]:
    """``count`` queries drawn from the mix by its shares, reproducibly."""
    rng = random.Random(seed)
    kinds = list(QUERY_MIX)
    weights = [QUERY_MIX[kind][0] for kind in kinds]
    return [rng.choice(QUERY_MIX[rng.choices(kinds, weights)[0]][1]) for _ in range(count)]


# --- helpers -----------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def spread(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}  "
        f"p99 {percentile(values, 99):7.1f}  max {max(values):7.1f} ms  (n={len(values)})"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(folder: Path) -> dict[str, str]:
    """This environment without any HEATCASES_* setting but the data folder (so SQLite there)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEATCASES_")}
    env["HEATCASES_DATA_DIR"] = str(folder)
    return env


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and its parts from /proc: RssAnon (the heap) and RssFile (mapped files, e.g. the index)."""
    values = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0, "Threads": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in values:
                number = float(value.split()[0])
                values[name] = number if name == "Threads" else number / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


class GcClock:
    """Time the cyclic garbage collector spends while it is installed (pauses show up as latency spikes)."""

    def __init__(self):
        self.passes: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.passes.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc):
        gc.callbacks.remove(self._callback)

    def describe(self) -> str:
        if not self.passes:
            return "no full (generation 2) collection"
        total, longest = sum(self.passes), max(self.passes)
        return f"{len(self.passes)} full collection(s), {total:.0f} ms in all, longest {longest:.0f} ms"


def folder_mb(path: Path) -> float:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file()) / 1e6


# --- the steps ---------------------------------------------------------------------------------


def create_users(env: dict[str, str]) -> None:
    for username, role in USERS:
        started = time.perf_counter()
        done = subprocess.run(
            [str(HEATCASES), "user", "add", username, "--role", role, "--password", PASSWORD],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"heatcases user add {username} failed ({done.returncode}): {done.stderr or done.stdout}")
        log(f"  {done.stdout.strip()} ({time.perf_counter() - started:.1f} s)")


def generate_and_import(n: int, folder: Path, engine, seed: int) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from casegen import generate_cases

    path = folder / "cases.jsonl"
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        for case in generate_cases(n, seed, [AGENT]):
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    log(f"  generated {n} cases into {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    every = max(n // 10, 1000)

    def on_row(line: int) -> None:
        if line % every == 0:
            log(f"  import: {line}/{n} rows")

    started = time.perf_counter()
    with db.session_scope(engine) as session:
        agent = accounts.get_user(session, AGENT)
        report = import_cases(session, path, default_author=agent, on_row=on_row)
    elapsed = time.perf_counter() - started
    if report.rejected or report.imported != n:
        first = report.rejected[:3]
        raise SystemExit(f"import: {report.imported} of {n} imported, {len(report.rejected)} rejected: {first}")
    rate = report.imported / elapsed
    log(f"  imported {report.imported} cases in {elapsed:.1f} s: {rate:.0f} cases/s")
    return {"import_rate": rate}


def _progress(label: str, total: int):
    """A batch callback that logs every tenth of ``total`` (at least every 1000) and the end."""
    every = max(total // 10, 1000)
    done = 0

    def on_batch(size: int) -> None:
        nonlocal done
        before, done = done, done + size
        if done // every != before // every:
            log(f"  {label}: {done}/{total} documents added")
        if done == total:
            log(f"  {label}: committing")

    return on_batch


def reindex(n: int, folder: Path, engine, single_proc_max: int) -> dict:
    index = SearchIndex(folder / "index")
    result: dict = {"reindex_rate_1": None}
    runs = ([1] if n <= single_proc_max and DEFAULT_PROCS != 1 else []) + [DEFAULT_PROCS]
    for procs in runs:
        started = time.perf_counter()
        count = sync.rebuild(engine, index, on_batch=_progress(f"reindex procs={procs}", n), procs=procs)
        elapsed = time.perf_counter() - started
        rate = count / elapsed
        log(f"  reindex procs={procs}: {count} cases in {elapsed:.1f} s: {rate:.0f} cases/s")
        result["reindex_rate_1" if procs == 1 else "reindex_rate"] = rate
        if procs == 1 and DEFAULT_PROCS == 1:
            result["reindex_rate"] = rate
    result["index_mb"] = index.size_bytes() / 1e6
    result["docs"] = index.doc_count()
    segments = len(list(index.searcher().reader().leaf_readers())) if not index.searcher().reader().is_atomic() else 1
    log(f"  index: {result['docs']} documents, {result['index_mb']:.1f} MB on disk, {segments} segment(s)")
    if result["docs"] != n:
        log(f"  WARNING: the index holds {result['docs']} documents, the database {n} approved cases")
    return result


def warn_empty_pages(where: str, queries: set) -> None:
    if queries:
        shown = ", ".join(sorted(getattr(query, "label", lambda q=query: str(q))() for query in queries)[:5])
        log(f"  WARNING ({where}): {len(queries)} queries had a total but no hits on page 1, e.g. {shown}")


def cache_description(engine) -> str:
    """What the engine's private cache holds (a diagnostic: its shape differs between versions)."""
    cache = getattr(engine, "_cache", None)
    items = getattr(cache, "_items", None)
    if items is None:
        return "not found"
    counted = getattr(cache, "_bytes", None)
    if counted is None:
        counted = sum(sys.getsizeof(value) for value in items.values())
    budget = getattr(cache, "_budget", None)
    return f"{len(items)} entries, {counted / 1e6:.0f} MB" + (f" (budget {budget / 1e6:.0f} MB)" if budget else "")


def embed(n: int, settings: Settings, engine) -> dict:
    """First-time embedding with a process per core, then loading the stored vectors as a server does."""
    result: dict = {}
    progress = _progress("embedding", n)
    started = time.perf_counter()
    count = fill_in_processes(settings, DEFAULT_PROCS, on_batch=progress)
    elapsed = time.perf_counter() - started
    result["embed_rate"] = count / elapsed
    log(
        f"  embedded {count} cases in {elapsed:.1f} s with {DEFAULT_PROCS} processes:"
        f" {result['embed_rate']:.1f} cases/s"
    )
    embedder = Embedder()
    left = embedding_progress(engine, embedder.name)
    log(f"  {left.embedded} of {left.listed} approved cases have vectors")
    store = VectorStore(engine, embedder)
    started = time.perf_counter()
    store.load()
    elapsed = time.perf_counter() - started
    result["vector_load_rate"] = store.size / elapsed
    log(
        f"  loaded {store.size} case vectors from the database in {elapsed:.1f} s:"
        f" {result['vector_load_rate']:.0f} cases/s"
    )
    return result


def in_process(settings: Settings, engine, queries: list[BenchQuery], warmup: list[BenchQuery]) -> dict:
    search = SearchService(settings, engine)  # not started: no background thread
    if settings.semantic_search:
        search.vectors.load()
        search.vectors._build_graph()  # as a server does in the background after loading
    empty_pages: set[BenchQuery] = set()  # a total but no hits on page 1: something is wrong
    with Session(engine, expire_on_commit=False) as session:
        reader = accounts.get_user(session, READER)

    def via_service(query: BenchQuery) -> tuple[float, int]:
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            page = search_cases(session, search, reader, query.params())
            ms = (time.perf_counter() - started) * 1000
        if page.total and not page.hits:
            empty_pages.add(query)
        return ms, page.total

    def via_engine(query: BenchQuery) -> float:
        started = time.perf_counter()
        params = query.params()
        search.engine.search(parse_query(params.q), params.filters, sort=params.sort, offset=0, limit=10)
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    first_ms, _total = via_service(warmup[0])
    log(f"  first search (opens the index, fills the engine's caches): {first_ms:.0f} ms")
    for query in warmup[1:]:
        via_service(query)
    log(f"  warm-up: {len(warmup)} queries in {time.perf_counter() - started:.1f} s")

    seen = set(warmup)
    service_ms, engine_ms, first_seen, repeated = [], [], [], []
    by_query: dict[BenchQuery, list[float]] = {}
    totals: dict[BenchQuery, int] = {}
    with GcClock() as service_gc:
        for query in queries:
            ms, totals[query] = via_service(query)
            service_ms.append(ms)
            by_query.setdefault(query, []).append(ms)
            (repeated if query in seen else first_seen).append(ms)
            seen.add(query)
    with GcClock() as engine_gc:
        for query in queries:
            engine_ms.append(via_engine(query))
    log(f"  service (index + snippets + database + logs): {spread(service_ms)}")
    log(f"  engine only (index):                          {spread(engine_ms)}")
    log(f"  garbage collector during them: service {service_gc.describe()}; engine {engine_gc.describe()}")
    if first_seen:
        log(
            f"  service, first time a query is seen: p50 {percentile(first_seen, 50):.1f}, max {max(first_seen):.1f} ms"
            f" (n={len(first_seen)}); repeats: p50 {percentile(repeated, 50):.1f} ms"
        )
    slowest = sorted(by_query, key=lambda q: max(by_query[q]), reverse=True)[:8]
    log("  slowest queries (service, max / median ms, total hits):")
    for query in slowest:
        times = by_query[query]
        log(f"    {max(times):7.1f} / {percentile(times, 50):7.1f}  {totals[query]:>7}  {query.label()}")

    # Every index commit (an approval, an edit, a batch of view counts) starts a new index state:
    # searchers are reopened and what the engine caches per state is rebuilt. Time that search.
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.status == "approved").order_by(Case.id)).unique().first()
    document = documents.documents_for(engine, [case.id])[0]
    commit_ms, after_commit_ms = [], []
    mid = list(QUERY_MIX["mid"][1])
    for number in range(20):
        started = time.perf_counter()
        with search.index.updating(timeout=5) as update:
            update.put(document)
        commit_ms.append((time.perf_counter() - started) * 1000)
        after_commit_ms.append(via_service(mid[number % len(mid)])[0])
    log(f"  one-document index commit:         {spread(commit_ms)}")
    log(f"  first search after a commit:       {spread(after_commit_ms)}")

    started = time.perf_counter()
    report = search.syncer.drain()
    log(f"  empty queue drain (the background thread's 2 s poll): {(time.perf_counter() - started) * 1000:.1f} ms"
        f" ({report.tasks} tasks)")  # fmt: skip

    log(f"  engine cache: {cache_description(search.engine)}")
    warn_empty_pages("in-process", empty_pages)
    started = time.perf_counter()
    gc.collect()
    log(f"  one full gc.collect() in this process now: {(time.perf_counter() - started) * 1000:.0f} ms")
    return {
        "svc": service_ms,
        "eng": engine_ms,
        "after_commit": after_commit_ms,
        "commit": commit_ms,
    }


class Server:
    """``heatcases serve`` on a free port, with its output in the data folder."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(HEATCASES), "serve", "--port", str(self.port)], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, client: httpx.Client, timeout: float = 120) -> float:
        return serverproc.wait_ready(self.process, self.base, self.log_path, client, timeout)

    def memory(self) -> tuple[dict[str, float], str]:
        """Memory of the server and any child processes, summed, and a line describing it."""
        tree = serverproc.process_tree(self.process.pid)
        total = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0, "Threads": 0.0}
        for pid in tree:
            for name, value in memory_mb(pid).items():
                total[name] += value
        line = (
            f"RSS {total['VmRSS']:.0f} MB (anonymous {total['RssAnon']:.0f} MB,"
            f" mapped files {total['RssFile']:.0f} MB);"
            f" {len(tree)} process(es), {total['Threads']:.0f} threads"
        )
        return total, line

    def largest_worker_rss(self) -> float:
        """The RSS of the largest process (a worker, with its vectors and the model)."""
        return max(memory_mb(pid)["VmRSS"] for pid in serverproc.process_tree(self.process.pid))

    def stop(self) -> None:
        serverproc.stop(self.process, self._log)


def token(client: httpx.Client, base: str, username: str) -> dict[str, str]:
    response = client.post(f"{base}/api/auth/token", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def unique_word(rng: random.Random) -> str:
    return "zq" + "".join(rng.choice("bcdfghjkmnpqrtvwz") for _ in range(7)) + "x"


def over_http(folder: Path, env: dict[str, str], queries: list[BenchQuery], warmup: list[BenchQuery], seed: int):
    server = Server(folder, env)
    result: dict = {}
    try:
        with httpx.Client(timeout=60) as client:
            ready = server.wait_ready(client)
            log(f"  server pid {server.process.pid} on port {server.port}, answering after {ready:.1f} s")
            headers = {username: token(client, server.base, username) for username, _role in USERS}
            base, reader = server.base, headers[READER]
            started, ready_in_a_row = time.perf_counter(), 0
            while ready_in_a_row < 10 and time.perf_counter() - started < 600:  # every worker, most likely
                status = client.get(f"{base}/api/search/status", headers=headers[SUPERVISOR]).json()["meaning"]
                done = status["ready"] and (status["graph"] or status["vectors"] < GRAPH_FROM)
                ready_in_a_row = ready_in_a_row + 1 if done else 0
                time.sleep(0.05 if done else 0.5)
            log(f"  search by meaning ready after {time.perf_counter() - started:.1f} s more: {status}")

            empty_pages: set[str] = set()

            def get_search(pairs) -> tuple[float, dict]:
                started = time.perf_counter()
                response = client.get(f"{base}/api/search", params=pairs, headers=reader)
                ms = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"GET /api/search {pairs} -> {response.status_code}: {response.text[:300]}")
                body = response.json()
                if body["total"] and not body["hits"]:
                    empty_pages.add(str(pairs))
                return ms, body

            def poll_until_found(pairs, case_id: int, started: float, what: str) -> int:
                """Search until the case is among the hits (or POLL_GIVE_UP); returns the searches made."""
                polls = 0
                while True:
                    polls += 1
                    _ms, body = get_search(pairs)
                    if any(hit["id"] == case_id for hit in body["hits"]):
                        return polls
                    if time.perf_counter() - started > POLL_GIVE_UP:
                        log(f"  {what}: not found after {POLL_GIVE_UP:.0f} s")
                        return polls
                    time.sleep(POLL_SECONDS)

            first_ms, _body = get_search(warmup[0].http_params())
            log(f"  first HTTP search after start: {first_ms:.0f} ms")
            for query in warmup[1:]:
                get_search(query.http_params())
            http_ms = [get_search(query.http_params())[0] for query in queries]
            log(f"  HTTP GET /api/search:              {spread(http_ms)}")
            result["http"] = http_ms
            warn_empty_pages("HTTP", empty_pages)
            memory, line = server.memory()
            log(f"  server memory after the searches: {line}")
            result["rss"], result["rss_anon"] = memory["VmRSS"], memory["RssAnon"]
            result["rss_worker"] = server.largest_worker_rss()
            log(f"  largest worker: {result['rss_worker']:.0f} MB")

            rng = random.Random(f"words-{seed}")
            approve_ms, searchable_ms, polls_needed, after_ms, meaning_ms = [], [], [], [], []
            mid = list(QUERY_MIX["mid"][1])
            for number in range(ROUND_TRIPS):
                word = unique_word(rng)
                payload = {
                    "title": f"测评锦囊 {word} 航班改签",
                    "body": f"客人的航班临时取消，我帮他改签到第二天的早班机。这是测评用的案例 {word}，请勿参考。",
                    "tags": ["effortless"],
                    "business_line": "flight",
                }
                created = client.post(f"{base}/api/cases", json=payload, headers=headers[AGENT])
                if created.status_code != 201:
                    raise SystemExit(f"POST /api/cases -> {created.status_code}: {created.text[:300]}")
                case_id = created.json()["id"]
                started = time.perf_counter()
                approved = client.post(
                    f"{base}/api/cases/{case_id}/review",
                    json={"decision": "approve", "comment": "ok"},
                    headers=headers[SUPERVISOR],
                )
                approve_ms.append((time.perf_counter() - started) * 1000)
                if approved.status_code != 200:
                    raise SystemExit(f"POST /api/cases/{case_id}/review -> {approved.status_code}: {approved.text}")
                polls = poll_until_found([("q", word)], case_id, started, f"case {case_id} ({word}) by its word")
                searchable_ms.append((time.perf_counter() - started) * 1000)
                polls_needed.append(polls)
                # found by meaning alone: the story's own sentences, no word matching
                poll_until_found([("q", payload["body"]), ("mode", "meaning")], case_id, started,
                                 f"case {case_id} by meaning")  # fmt: skip
                meaning_ms.append((time.perf_counter() - started) * 1000)
                # The approval committed a new index state: what does the next ordinary search cost?
                after_ms.append(get_search(mid[number % len(mid)].http_params())[0])
            log(f"  approve request:                   {spread(approve_ms)}")
            log(f"  approve -> searchable:             {spread(searchable_ms)}; polls needed: max {max(polls_needed)}")
            log(f"  approve -> found by meaning:       {spread(meaning_ms)}")
            log(f"  next mix search after an approval: {spread(after_ms)}")
            result.update(approve=approve_ms, searchable=searchable_ms, http_after=after_ms, meaning=meaning_ms)
            memory, line = server.memory()
            log(f"  server memory at the end: {line}")
            result["rss_end"] = memory["VmRSS"]
    finally:
        server.stop()
        log(f"  server stopped (exit {server.process.returncode}); its log: {server.log_path}")
    return result


def run_size(n: int, args) -> dict:
    folder = args.data_root / f"n{n}"
    reuse = args.reuse and (folder / "heatcases.db").exists()
    if not reuse:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    env = subprocess_env(folder)
    step(
        f"=== N = {n} in {folder}"
        + (" (reused: its import, index and vectors are not measured again)" if reuse else "")
    )
    settings = Settings(data_dir=folder, database_url="")
    engine = db.make_engine(settings)
    result: dict = {"n": n, "import_rate": None, "reindex_rate_1": None, "reindex_rate": None, "embed_rate": None}
    try:
        if not reuse:
            step("1. users")
            create_users(env)
            step("2. generate and import")
            result.update(generate_and_import(n, folder, engine, args.seed))
            step(f"3. full reindex (default procs = {DEFAULT_PROCS})")
            result.update(reindex(n, folder, engine, args.single_proc_max))
        else:
            index = SearchIndex(folder / "index")
            result.update(index_mb=index.size_bytes() / 1e6, docs=index.doc_count())
        step("3b. search by meaning: first-time embedding, then loading the stored vectors")
        result.update(embed(n, settings, engine))
        if reuse:
            result["embed_rate"] = None
        queries = query_stream(args.queries, args.seed)
        step(f"4. in-process search, {len(queries)} queries ({len(set(queries))} distinct)")
        result.update(in_process(settings, engine, queries, query_stream(10, args.seed + 1)))
    finally:
        engine.dispose()
    step(f"5-7. over HTTP ({len(queries)} queries after 20 warm-up, then {ROUND_TRIPS} submit/approve/search)")
    result.update(over_http(folder, env, queries, query_stream(20, args.seed + 2), args.seed))
    log(f"  data folder: {folder_mb(folder):.0f} MB")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


# --- the summary -------------------------------------------------------------------------------


def summary(results: list[dict]) -> None:
    def num(value, digits=0):
        return "-" if value is None else f"{value:,.{digits}f}"

    rows = [
        ("import, cases/s", lambda r: num(r["import_rate"]), ""),
        ("reindex procs=1, cases/s", lambda r: num(r["reindex_rate_1"]), ""),
        (f"reindex procs={DEFAULT_PROCS}, cases/s", lambda r: num(r["reindex_rate"]), f">= {TARGET_REINDEX}"),
        ("index size, MB", lambda r: num(r["index_mb"], 1), ""),
        ("indexed documents", lambda r: num(r["docs"]), ""),
        ("in-process service p50, ms", lambda r: num(percentile(r["svc"], 50), 1), ""),
        ("in-process service p95, ms", lambda r: num(percentile(r["svc"], 95), 1), ""),
        ("in-process engine p50, ms", lambda r: num(percentile(r["eng"], 50), 1), ""),
        ("in-process engine p95, ms", lambda r: num(percentile(r["eng"], 95), 1), ""),
        ("first search after a commit p50, ms", lambda r: num(percentile(r["after_commit"], 50), 1), ""),
        ("HTTP p50, ms", lambda r: num(percentile(r["http"], 50), 1), ""),
        ("HTTP p95, ms", lambda r: num(percentile(r["http"], 95), 1), f"<= {TARGET_HTTP_P95}"),
        ("HTTP p99, ms", lambda r: num(percentile(r["http"], 99), 1), ""),
        ("embedding (first time), cases/s", lambda r: num(r["embed_rate"], 1), ""),
        ("stored vectors loaded, cases/s", lambda r: num(r["vector_load_rate"]), f">= {TARGET_VECTOR_LOAD}"),
        ("server RSS (all workers), MB", lambda r: num(r["rss"]), ""),
        ("server RSS per worker, MB", lambda r: num(r["rss_worker"]), f"<= {TARGET_RSS}"),
        ("  of which anonymous (heap), MB", lambda r: num(r["rss_anon"]), ""),
        ("approve -> searchable p50, ms", lambda r: num(percentile(r["searchable"], 50)), ""),
        ("approve -> searchable max, ms", lambda r: num(max(r["searchable"])), f"<= {TARGET_SEARCHABLE}"),
        ("approve -> found by meaning p50, ms", lambda r: num(percentile(r["meaning"], 50)), ""),
        ("approve -> found by meaning max, ms", lambda r: num(max(r["meaning"])), f"<= {TARGET_SEARCHABLE}"),
    ]
    checks = {
        f"reindex procs={DEFAULT_PROCS}, cases/s": lambda r: (r["reindex_rate"] or TARGET_REINDEX) >= TARGET_REINDEX,
        "HTTP p95, ms": lambda r: percentile(r["http"], 95) <= TARGET_HTTP_P95,
        "approve -> searchable max, ms": lambda r: max(r["searchable"]) <= TARGET_SEARCHABLE,
        "approve -> found by meaning max, ms": lambda r: max(r["meaning"]) <= TARGET_SEARCHABLE,
        "stored vectors loaded, cases/s": lambda r: r["vector_load_rate"] >= TARGET_VECTOR_LOAD,
        "server RSS per worker, MB": lambda r: r["rss_worker"] <= TARGET_RSS,
    }
    print()
    print("Summary")
    header = f"{'':<38}" + "".join(f"{'N = ' + format(r['n'], ','):>16}" for r in results) + f"{'target':>10}"
    print(header)
    print("-" * len(header))
    for label, value, target in rows:
        cells = ""
        for result in results:
            cell = value(result)
            if label in checks:
                cell += " ok" if checks[label](result) else " MISS"
            cells += f"{cell:>16}"
        print(f"{label:<38}{cells}{target:>10}")


def code_version() -> str:
    """The commit measured, and whether the app's code differs from it (results are per version)."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else "?"

    sources = hashlib.sha256()
    for path in sorted((ROOT / "heatcases").rglob("*.py")):
        sources.update(path.read_bytes())
    commit = git("log", "-1", "--format=%h %ad %s", "--date=iso")[:100]
    changed = ", uncommitted changes" if git("status", "--porcelain", "--", "heatcases") else ""
    return f"{commit}{changed}; heatcases/*.py sha256 {sources.hexdigest()[:12]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of cases")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/heat-search-bench"))
    parser.add_argument("--queries", type=int, default=200, help="timed queries per measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--single-proc-max", type=int, default=10000, help="also time a procs=1 reindex up to this many cases"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folders")
    parser.add_argument("--reuse", action="store_true",
                        help="use a kept data folder as it is (search, memory, approvals measured again)")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    log(f"search bench: sizes {sizes}, {args.queries} queries, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    version = code_version()
    log(f"code: {version}")
    results = [run_size(n, args) for n in sizes]
    summary(results)
    if code_version() != version:
        print(f"\nWARNING: the app's code changed during the run (now {code_version()}): figures mix versions")


if __name__ == "__main__":
    main()
