"""Crash safety: kill -9 in the middle of a bulk import and in the middle of index writes.

Afterwards no case is half-written, every committed case is there, a re-run of the import adds only
what is missing, and a (re)started server brings the index up to date by itself, no reindex by hand.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from contextlib import contextmanager

from sqlalchemy import func, select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.cases import service as case_service
from heatcases.cases.importer import import_cases
from heatcases.models import Case, CaseEvent
from heatcases.search import sync
from heatcases.search.index import SearchIndex
from heatcases.search.sync import IndexSyncer
from tests.conftest import ROOT, case_payload
from tests.hardening import (
    ServerProcess,
    add_user,
    approved_ids,
    half_written,
    heatcases_command,
    indexed_ids,
    process_env,
    reader_engine,
    running_server,
    wait_for_search_total,
)

ROWS = 2000  # 4 transactions of 500
KILL_AFTER = 500  # committed rows seen before the import is killed
TAGS = [(["heartwarming"], ["empathy"]), (["effortless", "trust"], ["closure"]), (["active"], [])]
CATCH_UP_SECONDS = 10  # "within a few seconds"


def archive_record(number: int) -> dict:
    tags, behaviors = TAGS[number % len(TAGS)]
    record = {
        "title": f"崩溃演练第{number}号：台风取消航班后改签",
        "body": f"客人的航班因台风取消，我帮客人改签到次日的航班并安排了酒店，这是演练记录{number}。客人很满意。",
        "tags": tags,
        "behaviors": behaviors,
        "business_line": "flight",
        "status": "pending" if number % 4 == 3 else "approved",
    }
    if number % 10 != 9:  # the others are recognised by author, title and story
        record["external_id"] = f"OLD-{number}"
    return record


def write_jsonl(path, records: list[dict]):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def count_cases(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Case)).scalar_one()


def test_an_import_killed_mid_way_keeps_whole_batches_and_a_rerun_adds_only_the_rest(settings, tmp_path, report):
    add_user(settings, "agent_li", "agent")
    add_user(settings, "trainee_xu", "trainee")
    records = [archive_record(number) for number in range(ROWS)]
    archive = write_jsonl(tmp_path / "archive.jsonl", records)
    engine = reader_engine(settings)
    env = process_env(settings)
    with running_server(settings, tmp_path / "server.log") as server, server.client(server.token("trainee_xu")) as web:
        output = (tmp_path / "import.log").open("wb")
        importing = subprocess.Popen(
            heatcases_command("import", archive, "--as", "agent_li"), cwd=ROOT, env=env, stdout=output, stderr=output
        )
        seen = 0
        while seen < KILL_AFTER and importing.poll() is None:
            seen = count_cases(engine)
            time.sleep(0.005)
        importing.send_signal(signal.SIGKILL)
        importing.wait(timeout=10)
        killed_at = time.monotonic()
        output.close()
        log = (tmp_path / "import.log").read_text(errors="replace")
        assert importing.returncode == -signal.SIGKILL, f"the import ended before it could be killed:\n{log}"

        committed = count_cases(engine)
        report(f"import killed after {seen} rows were seen committed; {committed} of {ROWS} rows in the database")
        assert seen <= committed < ROWS
        assert committed % 500 == 0, "a transaction of 500 rows was half-written"
        assert half_written(engine) == []
        with engine.connect() as connection:
            titles = set(connection.execute(select(Case.title)).scalars())
            events = connection.execute(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)).all()
        assert titles == {record["title"] for record in records[:committed]}  # the file's first batches, whole
        assert events == [("import", committed)]

        # The running server applies what the killed import had queued for the index.
        expected = len(approved_ids(engine))
        wait_for_search_total(web, expected, timeout=CATCH_UP_SECONDS)
        caught_up = time.monotonic() - killed_at
        report(f"the running server indexed the {expected} approved cases committed before the kill "
               f"{caught_up:.1f} s after it")  # fmt: skip

        rerun = subprocess.run(
            heatcases_command("import", archive, "--as", "agent_li"),
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        counts = re.search(r"(\d+) imported, (\d+) already in the library, (\d+) rejected", rerun.stdout)
        assert counts and counts.groups() == (str(ROWS - committed), str(committed), "0"), rerun.stdout
        report(f"re-run: {rerun.stdout.strip().splitlines()[0]}")
        with engine.connect() as connection:
            assert connection.execute(select(func.count(func.distinct(Case.title)))).scalar_one() == ROWS
        assert count_cases(engine) == ROWS
        assert half_written(engine) == []
        approved = approved_ids(engine)
        assert len(approved) == sum(record["status"] == "approved" for record in records)
        wait_for_search_total(web, len(approved), timeout=CATCH_UP_SECONDS)
    indexed = indexed_ids(settings.data_dir / "index")
    assert len(indexed) == len(set(indexed)) and set(indexed) == approved
    engine.dispose()


PENDING = 200
QUEUED = 1200  # approved cases imported while the server runs: their index tasks are drained 500 at a time
APPROVERS = 3
APPROVALS_BEFORE_BULK = 40


def test_a_server_killed_while_writing_the_index_catches_up_when_it_starts_again(settings, tmp_path, report):
    """Approvals over HTTP and a bulk of queued index tasks are being applied when the server is killed.

    The kill comes when the queue has shrunk by at least one batch but still holds more than one: the
    syncer is between two index commits or inside one, and approvals are in flight (waiting for the
    index's write lock, or writing).
    """
    add_user(settings, "agent_li", "agent")
    add_user(settings, "sup_zhang", "supervisor")
    add_user(settings, "trainee_xu", "trainee")
    pending = write_jsonl(
        tmp_path / "pending.jsonl", [archive_record(n) | {"status": "pending"} for n in range(PENDING)]
    )
    bulk = write_jsonl(
        tmp_path / "bulk.jsonl", [archive_record(n) | {"status": "approved"} for n in range(PENDING, PENDING + QUEUED)]
    )
    writer = db.make_engine(settings)
    _import(writer, pending)
    engine = reader_engine(settings)
    with engine.connect() as connection:
        waiting = list(connection.execute(select(Case.id).order_by(Case.id)).scalars())

    server = ServerProcess(settings, tmp_path / "server-1.log")
    acknowledged: list[int] = []
    submitted: list[int] = []
    unexpected: list[str] = []
    try:
        server.wait_ready()
        supervisor, agent = server.token("sup_zhang"), server.token("agent_li")
        stop = threading.Event()
        lock = threading.Lock()

        def approve() -> None:
            with server.client(supervisor) as web:
                while not stop.is_set():
                    with lock:
                        if not waiting:
                            return
                        case_id = waiting.pop(0)
                    try:
                        response = web.post(f"/api/cases/{case_id}/review", json={"decision": "approve"})
                    except Exception:  # the server is gone
                        return
                    if response.status_code != 200:
                        unexpected.append(f"approve {case_id}: {response.status_code} {response.text}")
                        return
                    with lock:
                        acknowledged.append(case_id)

        def submit() -> None:
            with server.client(agent) as web:
                number = 0
                while not stop.is_set():
                    number += 1
                    try:
                        response = web.post("/api/cases", json=case_payload(title=f"崩溃时提交的第{number}个案例"))
                    except Exception:
                        return
                    if response.status_code != 201:
                        unexpected.append(f"submit: {response.status_code} {response.text}")
                        return
                    submitted.append(response.json()["id"])

        def guarded(work):
            def run() -> None:
                try:
                    work()
                except BaseException as error:  # reported by the test, not lost in a thread
                    unexpected.append(f"{work.__name__}: {error!r}")

            return threading.Thread(target=run)

        threads = [guarded(approve) for _ in range(APPROVERS)] + [guarded(submit)]
        for thread in threads:
            thread.start()
        _wait_until(lambda: len(acknowledged) >= APPROVALS_BEFORE_BULK, "approvals")
        # Another process (this one) imports while holding the index's write lock, so the whole bulk is
        # queued at once; once the lock is released the server drains it 500 at a time.
        index_path = settings.data_dir / "index"
        index_lock = SearchIndex(index_path).index().lock("WRITELOCK")
        _wait_until(index_lock.acquire, "the index's write lock")
        try:
            _import(writer, bulk)
            peak = _queued(engine, index_path)
        finally:
            index_lock.release()
        _wait_until(lambda: 500 < _queued(engine, index_path) <= peak - 400, "the server reading the log", pause=0.002)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.stop()
        writer.dispose()

    assert unexpected == []
    approved = approved_ids(engine)
    assert set(acknowledged) <= approved  # every acknowledged approval survived the kill
    assert set(submitted) <= set(_all_ids(engine))
    assert half_written(engine) == []
    index_path = settings.data_dir / "index"
    behind = len(approved - set(indexed_ids(index_path)))
    queued = _queued(engine, index_path)
    assert queued > 0
    report(
        f"server killed during index writes, after {len(acknowledged)} acknowledged approvals and "
        f"{len(submitted)} submissions: {len(approved)} approved cases in the database, {behind} of them not in "
        f"the index, {queued} changes of the log not applied"
    )

    restarted = ServerProcess(settings, tmp_path / "server-2.log")
    try:
        ready = restarted.wait_ready()
        with restarted.client(restarted.token("trainee_xu")) as web:
            caught_up = wait_for_search_total(web, len(approved), timeout=CATCH_UP_SECONDS)
        report(f"restart: answering after {ready:.1f} s; search lists every approved case {caught_up:.1f} s later")
        _wait_until(lambda: _queued(engine, index_path) == 0, "the replica to read the log to its end")
        indexed = indexed_ids(index_path)
        assert len(indexed) == len(set(indexed)) and set(indexed) == approved
    finally:
        restarted.stop()
    engine.dispose()


def _import(engine, path) -> None:
    with db.session_scope(engine) as session:
        author = accounts.get_user(session, "agent_li")
        assert import_cases(session, path, default_author=author).ok


def _queued(engine, index_path) -> int:
    """Changes of the log that the replica in ``index_path`` has not applied yet."""
    return IndexSyncer(engine, SearchIndex(index_path)).pending()


def _wait_until(condition, what: str, *, timeout: float = 60, pause: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(pause)


def _all_ids(engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(Case.id).order_by(Case.id)).scalars())


def test_two_processes_following_one_replica_lose_no_change(settings, tmp_path):
    """Two syncers (two processes sharing a data folder) take turns on one replica: the second one, coming
    right after the first's commit, must read on from the first's cursor, and a change committed meanwhile
    must not be skipped by either."""
    add_user(settings, "agent_li", "agent")
    add_user(settings, "sup_zhang", "supervisor")
    archive = write_jsonl(tmp_path / "two.jsonl", [archive_record(n) | {"status": "pending"} for n in range(2)])
    engine = db.make_engine(settings)  # no syncer attached: changes made here wait in the log
    _import(engine, archive)
    first, second = _all_ids(engine)
    sync.rebuild(engine, SearchIndex(tmp_path / "index"))  # (a replica starts from a rebuild: it then has a cursor)
    with db.session_scope(engine) as session:
        reviewer = accounts.get_user(session, "sup_zhang")
        case_service.review_case(session, first, reviewer, decision="approve", comment="")
    other_process = IndexSyncer(engine, SearchIndex(tmp_path / "index"))

    class Interleaved(SearchIndex):
        @contextmanager
        def updating(self, *, timeout: float):
            with super().updating(timeout=timeout) as update:
                yield update
            # Committed to the index with its cursor: another process reads on from there...
            other_process.drain()
            # ...and then a supervisor approves another case.
            with db.session_scope(engine) as session:
                reviewer = accounts.get_user(session, "sup_zhang")
                case_service.review_case(session, second, reviewer, decision="approve", comment="")

    IndexSyncer(engine, Interleaved(tmp_path / "index")).drain()
    IndexSyncer(engine, SearchIndex(tmp_path / "index")).drain()
    assert sorted(indexed_ids(tmp_path / "index")) == [first, second], "the approval of a case was lost by the index"
    engine.dispose()
