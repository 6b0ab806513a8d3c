"""The default server (one process, as ``heatcases serve`` starts it) at the start of a shift.

Hundreds of people act at the same moment: every one gets an answer, nothing is lost or counted twice,
and when the server is truly saturated it says so with 503 and Retry-After, never with a 500. Figures
(how fast, at what load) come from bench/load/run.py; these tests prove behaviour, not speed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseCreate
from heatcases.models import Case, CaseView, Impression, SearchQuery, User
from tests.conftest import PASSWORD, case_payload
from tests.hardening import ServerProcess

PEOPLE = 100  # distinct users for each kind of request
LOG_PROBLEMS = ("Traceback", "QueuePool limit", "database is locked")


def add_people(session, prefix: str, role: str, count: int) -> list[str]:
    """``count`` users of ``role`` named prefix_N (one password hash for all: creating them is not tested)."""
    hashed = accounts.hash_password(PASSWORD)
    team = accounts.get_or_create_team(session, "一组")
    names = [f"{prefix}_{number}" for number in range(count)]
    session.add_all(User(username=name, display_name=name, role=role, team_id=team.id, password_hash=hashed)
                    for name in names)  # fmt: skip
    session.commit()
    return names


def all_at_once(calls) -> list:
    """Run every call on its own thread, released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except httpx.HTTPError as error:  # no answer at all: the test reports it
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(answers) -> Counter:
    return Counter(answer.status_code if isinstance(answer, httpx.Response) else type(answer).__name__
                   for answer in answers)  # fmt: skip


def start(settings, tmp_path, **env) -> ServerProcess:
    server = ServerProcess(settings, tmp_path / "server.log", env={"HEATCASES_AUTO_MIGRATE": "false", **env})
    server.wait_ready()
    return server


def stop(server: ServerProcess) -> None:
    server.stop()
    log = server.log_text()
    assert not [problem for problem in LOG_PROBLEMS if problem in log], log[-5000:]


def count(engine, statement) -> int:
    return rows(engine, statement)[0][0]


def rows(engine, statement) -> list:
    with db.reader(engine).connect() as connection:
        return connection.execute(statement).all()


def test_a_crowd_submitting_reading_and_searching_at_once_is_answered_and_counted_exactly(settings, tmp_path):
    engine = db.make_engine(settings)
    with db.session_scope(engine) as session:
        author = accounts.get_user(session, add_people(session, "author", "agent", 1)[0])
        reviewer = accounts.get_user(session, add_people(session, "sup", "supervisor", 1)[0])
        library = []
        for number in range(5):
            case = cases.submit_case(session, author, CaseCreate(**case_payload(title=f"行李找回 第{number}次")))
            library.append(cases.review_case(session, case.id, reviewer, decision="approve", comment="").id)
        agents = add_people(session, "agent", "agent", PEOPLE)
        trainees = add_people(session, "trainee", "trainee", PEOPLE)
    server = start(settings, tmp_path)  # it indexes the library as it starts
    try:
        with ThreadPoolExecutor(8) as pool:
            agent_tokens = list(pool.map(server.token, agents))
            trainee_tokens = list(pool.map(server.token, trainees))
        clients = [server.client(token) for token in agent_tokens + trainee_tokens]
        agent_clients, trainee_clients = clients[:PEOPLE], clients[PEOPLE:]
        deadline = time.monotonic() + 30
        while trainee_clients[0].get("/api/search", params={"q": "行李找回"}).json()["total"] < 5:
            assert time.monotonic() < deadline, "the library never became searchable"
            time.sleep(0.1)
        read = library[0]
        logged = select(func.count()).select_from(SearchQuery)
        searched = select(func.count()).select_from(Impression).where(Impression.source == "search")
        logged_before, searched_before = count(engine, logged), count(engine, searched)

        def submit(client, number):
            return lambda: client.post("/api/cases", json=case_payload(title=f"早班提交 第{number}件"))

        calls = [submit(client, number) for number, client in enumerate(agent_clients)]
        calls += [lambda client=client: client.get(f"/api/cases/{read}") for client in trainee_clients]
        calls += [
            lambda client=client: client.get("/api/search", params={"q": "行李找回"}) for client in trainee_clients
        ]
        answers = all_at_once(calls)
        submitted, reads, searches = answers[:PEOPLE], answers[PEOPLE : 2 * PEOPLE], answers[2 * PEOPLE :]

        assert statuses(submitted) == {201: PEOPLE}
        assert statuses(reads) == {200: PEOPLE}
        assert statuses(searches) == {200: PEOPLE}
        titles = Counter(title for (title,) in rows(engine, select(Case.title).where(Case.title.like("早班提交%"))))
        assert titles == Counter(f"早班提交 第{number}件" for number in range(PEOPLE))  # each stored once

        [(views, unique)] = rows(engine, select(Case.views, Case.unique_viewers).where(Case.id == read))
        assert (views, unique) == (PEOPLE, PEOPLE)
        assert count(engine, select(func.count()).select_from(CaseView).where(CaseView.case_id == read)) == PEOPLE
        shown = sum(len(answer.json()["hits"]) for answer in searches)
        assert shown == 5 * PEOPLE
        assert count(engine, logged) - logged_before == PEOPLE
        assert count(engine, searched) - searched_before == shown
        for client in clients:
            client.close()
    finally:
        stop(server)
        engine.dispose()


def hold_the_only_slot(server: ServerProcess) -> socket.socket:
    """A request that has begun and is not finished: its body is still on its way."""
    holder = socket.create_connection(("127.0.0.1", server.port))
    holder.sendall(
        b"POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
    )
    return holder


def test_a_saturated_server_answers_503_with_retry_after_and_recovers(settings, tmp_path):
    engine = db.make_engine(settings)
    with db.session_scope(engine) as session:
        trainee = add_people(session, "trainee", "trainee", 1)[0]
    engine.dispose()
    server = start(settings, tmp_path, HEATCASES_MAX_ACTIVE_REQUESTS="1", HEATCASES_MAX_QUEUED_REQUESTS="0",
                   HEATCASES_QUEUE_TIMEOUT_SECONDS="1")  # fmt: skip
    try:
        token = server.token(trainee)
        with server.client(token) as client:
            holder = hold_the_only_slot(server)
            time.sleep(0.2)  # (the server has to read the held request's headers first)
            try:
                busy_api = client.get("/api/search", params={"q": "行李"})
                busy_page = client.get("/login")
            finally:
                holder.close()
            assert busy_api.status_code == 503 and int(busy_api.headers["retry-after"]) > 0
            assert busy_api.json() == {"detail": "the server is busy; try again in a few seconds"}
            assert busy_page.status_code == 503 and busy_page.headers["retry-after"]
            assert "请几秒钟后再试" in busy_page.text
            assert busy_page.headers["x-frame-options"] == "DENY"
            deadline = time.monotonic() + 10
            while (answer := client.get("/api/search", params={"q": "行李"})).status_code == 503:
                assert time.monotonic() < deadline, "the server did not recover"
                time.sleep(0.1)
            assert answer.status_code == 200
    finally:
        stop(server)


def test_a_request_that_waited_too_long_for_its_turn_gets_503_not_a_hung_connection(settings, tmp_path):
    engine = db.make_engine(settings)
    with db.session_scope(engine) as session:
        trainee = add_people(session, "trainee", "trainee", 1)[0]
    engine.dispose()
    server = start(settings, tmp_path, HEATCASES_MAX_ACTIVE_REQUESTS="1", HEATCASES_QUEUE_TIMEOUT_SECONDS="0.5")
    try:
        token = server.token(trainee)
        holder = hold_the_only_slot(server)
        try:
            with server.client(token) as client:
                waited = client.get("/api/me")
        finally:
            holder.close()
        assert waited.status_code == 503 and waited.headers["retry-after"]
    finally:
        stop(server)
