"""`heatcases backup DEST`: a consistent copy while the server runs and writes; restored (SQLite: the file
copied into place; PostgreSQL: pg_restore into an empty database) plus `heatcases reindex`, it gives back
the same library."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from heatcases import db
from heatcases.app import create_app
from heatcases.backup import libpq_url
from heatcases.cli import app as cli
from heatcases.config import Settings
from heatcases.models import Case
from tests.conftest import ROOT, TEST_SECRET, case_payload
from tests.hardening import approved_ids, half_written, heatcases_command, process_env, scratch_database

PG_RESTORE = "/usr/bin/pg_restore"
DERIVED = {"search_change", "search_replica", "search_log_state"}  # the index replicas' log and cursors


def run_cli(monkeypatch, database_url: str, data_dir: Path, *args):
    monkeypatch.setenv("HEATCASES_DATABASE_URL", database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(data_dir))
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def written_path(output: str) -> Path:
    match = re.search(r"backup written: (\S+) \(", output)
    assert match, output
    return Path(match.group(1))


@contextmanager
def restored(backup: Path, settings: Settings, folder: Path):
    """The backup restored as the README says; yields the restored database's URL."""
    if settings.is_sqlite:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup, folder / "heatcases.db")
        yield f"sqlite:///{folder / 'heatcases.db'}"
        return
    with scratch_database(settings.sqlalchemy_url, "restore") as url:
        uri, env = libpq_url(url)
        done = subprocess.run(
            [PG_RESTORE, "--no-owner", "--exit-on-error", f"--dbname={uri}", str(backup)],
            capture_output=True, text=True, timeout=120, env={**process_env(settings), **env},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        yield url


def table_rows(database_url: str) -> dict[str, list[tuple]]:
    engine = create_engine(database_url)
    rows = {}
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name not in DERIVED:
                ordered = select(table).order_by(*table.primary_key.columns)
                rows[table.name] = [tuple(row) for row in connection.execute(ordered)]
        rows["alembic_version"] = list(connection.execute(text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    return rows


QUERIES = [
    {"q": "航班 改签"},
    {"q": "酒店"},
    {"q": "客人", "tag": "heartwarming"},
    {"q": "", "featured": "true"},
    {"q": "", "sort": "views"},
    {"q": "", "business_line": "hotel"},
    {"q": "航斑"},  # did you mean
]


def search_results(client: TestClient, headers: dict) -> list[dict]:
    results = []
    for params in QUERIES:
        body = client.get("/api/search", params={**params, "per_page": 50}, headers=headers).json()
        ids = [hit["id"] for hit in body["hits"]]
        ordered = params.get("sort") in ("views", "newest") or not params["q"]
        results.append({
            "total": body["total"], "facets": body["facets"], "suggestion": body["suggestion"],
            "ids": ids if ordered else sorted(ids),
        })  # fmt: skip
    return results


STORIES = [
    ("台风取消航班，帮老人改签并安排住宿", "flight", ["heartwarming", "active"], ["empathy"]),
    ("酒店超售，连夜协调同级酒店", "hotel", ["active", "trust"], ["ownership"]),
    ("高铁改签，客人赶上了婚礼", "train", ["effortless"], ["plain_talk"]),
    ("租车划痕纠纷，查清责任退还押金", "car", ["trust"], ["customer_first"]),
    ("景区门票改期，客人一家玩得开心", "attraction", ["heartwarming"], []),
    ("航班延误，主动提醒客人转机", "flight", ["active"], ["anticipation"]),
    ("酒店入住时发现房型不对", "hotel", ["effortless", "trust"], []),
]


def build_library(agent, other_agent, supervisor, trainee, submit) -> None:
    """Cases in every state, with tags, behaviours, reviews, features, an archive, views and searches."""
    ids = []
    for number, (title, line, tags, behaviors) in enumerate(STORIES):
        author = agent if number % 2 == 0 else other_agent
        ids.append(submit(author, title=title, business_line=line, tags=tags, behaviors=behaviors)["id"])
    calls = [(supervisor, "post", f"/api/cases/{case_id}/review", {"decision": "approve"}) for case_id in ids[:5]]
    calls += [
        (supervisor, "post", f"/api/cases/{ids[5]}/review", {"decision": "reject", "comment": "再具体些"}),
        (supervisor, "post", f"/api/cases/{ids[0]}/feature", None),
        (supervisor, "post", f"/api/cases/{ids[4]}/archive", None),
        (other_agent, "patch", f"/api/cases/{ids[5]}", {"title": "航班延误，主动提醒客人改签转机"}),
        (supervisor, "get", f"/api/cases/{ids[1]}", None),
    ]
    calls += [(trainee, "get", f"/api/cases/{case_id}", None) for case_id in ids[:4]]  # views
    for actor, method, url, body in calls:
        response = actor.request(method.upper(), url, json=body)
        assert response.status_code == 200, response.text
    for words in ("航班", "酒店 超售", "没有这种案例"):
        assert trainee.get("/api/search", params={"q": words}).status_code == 200


def test_a_restored_backup_plus_reindex_is_the_same_library(
    app, settings, agent, other_agent, supervisor, trainee, submit, tmp_path, monkeypatch, report
):
    build_library(agent, other_agent, supervisor, trainee, submit)
    app.state.search.syncer.drain()  # the view counts, so both indexes agree on "most viewed"
    backups = tmp_path / "backups"
    backups.mkdir()
    result = run_cli(monkeypatch, settings.sqlalchemy_url, settings.data_dir, "backup", backups)
    assert result.exit_code == 0, result.output
    backup = written_path(result.output)
    assert backup.parent == backups and backup.stat().st_size > 0
    assert list(backups.iterdir()) == [backup]  # nothing partial beside it
    report(result.output.strip())

    folder = tmp_path / "restored"
    with restored(backup, settings, folder) as restored_url:
        assert table_rows(restored_url) == table_rows(settings.sqlalchemy_url)
        reindexed = run_cli(monkeypatch, restored_url, folder, "reindex", "--procs", "1")
        assert reindexed.exit_code == 0, reindexed.output
        assert "indexed 4 cases" in reindexed.output
        copy = create_app(Settings(database_url=restored_url, data_dir=folder, secret_key=TEST_SECRET))
        with TestClient(copy) as restored_client:  # the trainee's token is in the backup too
            assert search_results(restored_client, trainee.headers) == search_results(trainee.client, trainee.headers)
        for engine in {copy.state.engine, getattr(copy.state, "read_engine", copy.state.engine)}:
            engine.dispose()


def test_a_backup_taken_while_cases_are_submitted_is_consistent(
    settings, make_actor, live_server, tmp_path, monkeypatch, report
):
    agent, supervisor = make_actor("agent", "agent_li"), make_actor("supervisor", "sup_zhang")
    engine = create_engine(settings.sqlalchemy_url)
    stop = threading.Event()
    written: list[tuple[float, int]] = []
    problems: list[str] = []

    def write() -> None:
        try:
            submit_and_approve()
        except BaseException as error:  # reported by the test, not lost in a thread
            problems.append(repr(error))

    def submit_and_approve() -> None:
        """Submit cases without pause; approve every other one (an index write too)."""
        with httpx.Client(base_url=live_server, timeout=30) as web:
            number = 0
            while not stop.is_set():
                number += 1
                payload = case_payload(title=f"备份演练第{number}号：航班取消后改签")
                response = web.post("/api/cases", json=payload, headers=agent.headers)
                if response.status_code != 201:
                    problems.append(f"{response.status_code} {response.text}")
                    return
                case_id = response.json()["id"]
                if number % 2:
                    review = {"decision": "approve"}
                    response = web.post(f"/api/cases/{case_id}/review", json=review, headers=supervisor.headers)
                    if response.status_code != 200:
                        problems.append(f"{response.status_code} {response.text}")
                        return
                written.append((time.monotonic(), case_id))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 10 and not problems:
            time.sleep(0.01)
        started = time.monotonic()
        before = _count(engine)
        dest = tmp_path / "during-writes.backup"
        done = subprocess.run(
            heatcases_command("backup", dest), cwd=ROOT, env=process_env(settings), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        ended = time.monotonic()
        after = _count(engine)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert problems == []
    assert done.returncode == 0, done.stderr
    assert written_path(done.stdout) == dest
    during = sum(1 for moment, _case_id in written if started <= moment <= ended)
    assert during > 0, "no case was submitted while the backup ran"

    with restored(dest, settings, tmp_path / "restored") as restored_url:
        copy = create_engine(restored_url)
        if settings.is_sqlite:
            with closing(sqlite3.connect(tmp_path / "restored" / "heatcases.db")) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        in_copy = _count(copy)
        assert before <= in_copy <= after
        assert half_written(copy) == []  # every case in the copy has its tags and events
        with copy.connect() as connection, engine.connect() as live:
            copied = dict(connection.execute(select(Case.id, Case.title)).all())
            originals = dict(live.execute(select(Case.id, Case.title).where(Case.id.in_(list(copied)))).all())
        assert copied == originals
        reindexed = run_cli(monkeypatch, restored_url, tmp_path / "restored", "reindex", "--procs", "1")
        assert reindexed.exit_code == 0, reindexed.output
        assert f"indexed {len(approved_ids(copy))} cases" in reindexed.output
        copy.dispose()
    engine.dispose()
    report(
        f"{during} cases submitted while `heatcases backup` ran ({ended - started:.1f} s, process start included); "
        f"the copy holds {in_copy} cases (between {before} and {after}), all whole"
    )


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Case)).scalar_one()


class TestFailures:
    @pytest.mark.parametrize("dest", ["missing/x.db", "missing/"])
    def test_a_missing_folder_exits_1_with_a_message(self, settings, tmp_path, monkeypatch, dest):
        result = run_cli(monkeypatch, settings.sqlalchemy_url, settings.data_dir, "backup", f"{tmp_path}/{dest}")
        assert result.exit_code == 1
        assert "backup failed" in result.output and "does not exist" in result.output
        assert list(tmp_path.iterdir()) == []

    def test_an_existing_file_is_kept_unless_forced(self, app, settings, tmp_path, monkeypatch):
        dest = tmp_path / "nightly.backup"
        dest.write_bytes(b"yesterday")
        result = run_cli(monkeypatch, settings.sqlalchemy_url, settings.data_dir, "backup", dest)
        assert result.exit_code == 1 and "--force" in result.output
        assert dest.read_bytes() == b"yesterday"
        forced = run_cli(monkeypatch, settings.sqlalchemy_url, settings.data_dir, "backup", dest, "--force")
        assert forced.exit_code == 0, forced.output
        assert dest.stat().st_size > len(b"yesterday") and written_path(forced.output) == dest

    def test_a_database_that_is_not_there(self, settings, tmp_path, monkeypatch):
        if settings.is_sqlite:
            url = f"sqlite:///{tmp_path / 'missing.db'}"
        else:
            url = settings.sqlalchemy_url.rsplit("/", 1)[0] + "/heatcases_no_such_database"
        result = run_cli(monkeypatch, url, tmp_path / "data", "backup", tmp_path)
        assert result.exit_code == 1, result.output
        assert "backup failed" in result.output and "does not exist" in result.output
        assert not (tmp_path / "missing.db").exists()  # no empty database made where the real one was expected
        assert [path.name for path in tmp_path.iterdir() if path.name != "data"] == []

    def test_pg_dump_missing(self, settings, tmp_path, monkeypatch):
        if settings.is_sqlite:
            pytest.skip("PostgreSQL only")
        result = run_cli(monkeypatch, settings.sqlalchemy_url, settings.data_dir, "backup", tmp_path, "--pg-dump",
                         "/nowhere/pg_dump")  # fmt: skip
        assert result.exit_code == 1 and "/nowhere/pg_dump not found" in result.output


def test_libpq_url_keeps_the_password_off_the_command_line():
    uri, env = libpq_url("postgresql+psycopg://heat:s3cr%40t@db.example:5433/heat?sslmode=require")
    assert uri == "postgresql://heat@db.example:5433/heat?sslmode=require"
    assert env == {"PGPASSWORD": "s3cr@t"}
    assert libpq_url("postgresql+psycopg://postgres@127.0.0.1:5432/test") == (
        "postgresql://postgres@127.0.0.1:5432/test",
        {},
    )


def test_the_readme_documents_backup_and_both_restores():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Backup and restore", 1)[1]
    assert "heatcases backup DEST" in readme
    for step in ("heatcases reindex", "pg_restore --no-owner --exit-on-error", "cp /srv/backups/", "createdb"):
        assert step in section
