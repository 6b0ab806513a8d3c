"""Hardening tests: personal data at rest, crash safety, backup. Shared helpers live here.

They run real processes (``uvicorn main:app``, ``python -m heatcases ...``) on the test database and
a per-test data folder, so what is proven is what production does, kill -9 included.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.config import Settings
from heatcases.models import Case, CaseEvent, CaseTag
from heatcases.search.index import SearchIndex
from tests.conftest import PASSWORD, ROOT, TEST_SECRET


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_env(settings: Settings) -> dict[str, str]:
    """This environment with the test's database and data folder, and nothing else of HEATCASES_*."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEATCASES_")}
    env.update(
        HEATCASES_DATABASE_URL=settings.sqlalchemy_url,
        HEATCASES_DATA_DIR=str(settings.data_dir),
        HEATCASES_SECRET_KEY=TEST_SECRET,
        PYTHONUNBUFFERED="1",
    )
    return env


def heatcases_command(*args) -> list[str]:
    return [sys.executable, "-m", "heatcases", *(str(arg) for arg in args)]


class ServerProcess:
    """``uvicorn main:app`` in its own process on a free port, its output in ``log_path``."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        *,
        log_config: Path | None = None,
        options: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        serve: bool = False,
        port: int | None = None,
    ):
        """``serve``: start it as the README and docs/deploy.md do (``heatcases serve``), not uvicorn itself."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(self.port)]
        if serve:
            command = heatcases_command("serve", "--host", "127.0.0.1", "--port", self.port, "--workers", "1")
        if log_config:
            command += ["--log-config", str(log_config)]
        command += options
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop/kill)
        self.spawned_at = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**process_env(settings), **(env or {})}, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60, path: str = "/login") -> float:
        """Wait until ``path`` answers 200 (its start-up, migrations included, is done); seconds since it was
        spawned."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=2).status_code == 200:
                    return time.monotonic() - self.spawned_at
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer within {timeout} s:\n{self.log_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown handler, no flush, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def token(self, username: str) -> str:
        credentials = {"username": username, "password": PASSWORD}
        response = httpx.post(f"{self.url}/api/auth/token", json=credentials, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@contextmanager
def running_server(settings: Settings, log_path: Path, **kwargs):
    server = ServerProcess(settings, log_path, **kwargs)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def reader_engine(settings: Settings) -> Engine:
    """A plain engine for looking at the database from the test (no BEGIN IMMEDIATE: reads never wait)."""
    return create_engine(settings.sqlalchemy_url)


def add_user(settings: Settings, username: str, role: str, team: str | None = "一组") -> None:
    engine = db.make_engine(settings)
    try:
        with db.session_scope(engine) as session:
            accounts.create_user(session, username=username, password=PASSWORD, role=role, team=team)
    finally:
        engine.dispose()


def half_written(engine: Engine) -> list[str]:
    """Cases that are not whole: without tags, without the event that created them, or whose status is not
    where their recorded transitions lead. Empty when every case is whole."""
    problems = []
    with engine.connect() as connection:
        cases = {row.id: row for row in connection.execute(select(Case.id, Case.status, Case.reviewed_at))}
        tagged = {
            row[0]: row[1]
            for row in connection.execute(select(CaseTag.case_id, func.count()).group_by(CaseTag.case_id))
        }
        events: dict[int, list] = {}
        for row in connection.execute(
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.to_status).order_by(CaseEvent.id)
        ):
            events.setdefault(row.case_id, []).append(row)
    for case_id, case in cases.items():
        history = events.get(case_id, [])
        if not tagged.get(case_id):
            problems.append(f"case {case_id}: no tags")
        if not history or history[0].action not in ("submit", "import"):
            problems.append(f"case {case_id}: no submit or import event ({[event.action for event in history]})")
        elif history[-1].to_status != case.status:
            problems.append(f"case {case_id}: status {case.status}, but its events lead to {history[-1].to_status}")
        if case.status == "approved" and case.reviewed_at is None:
            problems.append(f"case {case_id}: approved without a review time")
    orphans = set(tagged) - set(cases) | set(events) - set(cases)
    problems += [f"tags or events of a missing case {case_id}" for case_id in sorted(orphans)]
    return problems


def approved_ids(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        rows = connection.execute(select(Case.id).where(Case.status == "approved", Case.archived.is_(False)))
        return {row[0] for row in rows}


def indexed_ids(index_path: Path) -> list[int]:
    """Every case id in the index on disk, as a list (a case indexed twice shows twice)."""
    index = SearchIndex(index_path)
    return [int(fields["id"]) for fields in index.searcher().reader().all_stored_fields()]


def search_total(client: httpx.Client) -> int:
    response = client.get("/api/search", params={"q": "", "per_page": 1})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def wait_for_search_total(client: httpx.Client, expected: int, timeout: float = 30) -> float:
    """Seconds until a search lists ``expected`` cases; fails after ``timeout``."""
    started = time.monotonic()
    total = None
    while time.monotonic() - started < timeout:
        total = search_total(client)
        if total == expected:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"search lists {total} cases after {timeout} s, the database has {expected} approved")


# --- a second PostgreSQL database, named after the test's -------------------------------------


@contextmanager
def scratch_database(database_url: str, suffix: str):
    """A new empty database on the same PostgreSQL server (``<name>_<suffix>_<pid>``), dropped afterwards."""
    url = make_url(database_url)
    name = f"{url.database}_{suffix}_{os.getpid()}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
