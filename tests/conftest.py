"""Test fixtures: the real app and database (SQLite by default, PostgreSQL when
HEATCASES_DATABASE_URL points at one), schema built by the migrations, every table emptied after
each test, and HTTP clients per role."""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.app import create_app
from heatcases.config import Settings

TEST_SECRET = "test-secret-0123456789-0123456789-abcdef"
PASSWORD = "test-password"
_names = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Real argon2, with the smallest cost: a default hash takes ~0.2 s here, and tests make hundreds."""
    strong = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = strong


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("HEATCASES_DATABASE_URL", "")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return url


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    settings = Settings(database_url=database_url, data_dir=tmp_path_factory.mktemp("data"), secret_key=TEST_SECRET)
    engine = db.make_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate(settings, engine)
    engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def cleaning_engine(migrated):
    engine = db.make_engine(Settings(database_url=migrated, secret_key=TEST_SECRET))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(migrated, tmp_path, cleaning_engine):
    """Settings on the migrated test database; every table is emptied after the test."""
    yield Settings(
        database_url=migrated, data_dir=tmp_path / "data", secret_key=TEST_SECRET, auto_migrate=False,
        views_refresh_seconds=0.5,  # the tests wait for views to reach the most-viewed order: not 10 s
        # Word search is what most tests pin down, exactly and at once; search by meaning (on by default)
        # is tested with the real model in tests/search/test_meaning.py.
        semantic_search=False,
        # The notification worker (e-mail, queue alerts, digest) runs where a test starts it (tests/notifications).
        notifications_worker=False,
    )  # fmt: skip
    _empty_tables(cleaning_engine)


@pytest.fixture
def app(settings):
    application = create_app(settings)
    yield application
    application.state.read_engine.dispose()
    application.state.engine.dispose()


def _empty_tables(engine) -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Actor:
    """A user with a bearer token, calling the API through the test client."""

    client: TestClient
    username: str
    role: str
    token: str
    team: str | None = None

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, url: str, headers: dict | None = None, **kwargs):
        return self.client.request(method, url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def make_actor(app, client):
    """make_actor(role, username=None, team="一组") -> Actor, created in the database and logged in over the API."""

    def make(role: str, username: str | None = None, team: str | None = "一组", name: str | None = None) -> Actor:
        username = username or f"{role}{next(_names)}"
        with db.session_scope(app.state.engine) as session:
            accounts.create_user(session, username=username, password=PASSWORD, role=role, team=team, display_name=name)
        response = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return Actor(client, username, role, response.json()["access_token"], team)

    return make


@pytest.fixture
def agent(make_actor) -> Actor:
    return make_actor("agent", "agent_li", name="李客服")


@pytest.fixture
def other_agent(make_actor) -> Actor:
    return make_actor("agent", "agent_wang", team="二组", name="王客服")


@pytest.fixture
def trainee(make_actor) -> Actor:
    return make_actor("trainee", "trainee_xu", name="徐学员")


@pytest.fixture
def supervisor(make_actor) -> Actor:
    return make_actor("supervisor", "sup_zhang", name="张主管")


@pytest.fixture
def admin(make_actor) -> Actor:
    return make_actor("admin", "admin1", team=None, name="管理员")


STORY = (
    "【情况】客人的航班因台风取消，带着两位老人滞留在机场，非常着急。\n\n"
    "【我的做法】我第一时间帮客人改签到次日最早的航班，并联系机场酒店安排了住宿。\n\n"
    "【结果】客人顺利出行，来信表扬。\n\n【心得】先安顿好人，再解决票。"
)


def case_payload(**overrides) -> dict:
    payload = {
        "title": "台风取消航班，帮老人改签并安排住宿",
        "body": STORY,
        "tags": ["heartwarming", "active"],
        "behaviors": ["empathy", "anticipation"],
        "business_line": "flight",
        "channel": "phone",
        "occurred_on": "2026-10-01",
        "praise": "letter",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def submit():
    """submit(actor, **fields) -> the created case as JSON."""

    def do(actor: Actor, **overrides) -> dict:
        response = actor.post("/api/cases", json=case_payload(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return do


@pytest.fixture
def approved_case(agent, supervisor, submit) -> dict:
    case = submit(agent)
    response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好案例"})
    assert response.status_code == 200, response.text
    return response.json()


# --- pages --------------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrftoken" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def browser(app):
    """browser(actor_or_username) -> a separate TestClient logged in through the login form."""
    clients = []

    def login(username: str, password: str = PASSWORD) -> TestClient:
        web = TestClient(app, follow_redirects=False)
        web.__enter__()
        clients.append(web)
        token = csrf_from(web.get("/login").text)
        response = web.post("/login", data={"username": username, "password": password, "csrftoken": token})
        assert response.status_code == 303, response.text
        return web

    yield login
    for web in clients:
        web.__exit__(None, None, None)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def live_server(app):
    """The app served by uvicorn on a free local port, for tests that need real concurrency."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- figures a test saw, printed at the end of the run -------------------------------------------

_FIGURES: list[str] = []


@pytest.fixture
def report(request):
    """report("12 workers, 480 requests in 3.2 s"): kept and printed in the run's summary, pass or fail."""

    def add(line: str) -> None:
        _FIGURES.append(f"{request.node.nodeid}: {line}")

    return add


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("figures the tests saw")
        for line in _FIGURES:
            terminalreporter.write_line(line)
