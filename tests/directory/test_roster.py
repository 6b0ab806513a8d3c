"""Roster import: CSV and Excel, through the command, the API and the admin page; good, bad and repeated rows;
nothing half-written; new people sign in with a one-time password and must choose their own."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from openpyxl import Workbook
from sqlmodel import func, select
from typer.testing import CliRunner

from heatcases import db
from heatcases.cli import app as cli
from heatcases.models import Team, User
from tests.conftest import csrf_from

GOOD = (
    "username,display_name,role,team\nagent_a,李一,agent,机票一组\ntrainee_b,王二,学员,新人班\nsup_c,张三,supervisor,\n"
)


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def counts(app) -> tuple[int, int]:
    with db.session_scope(app.state.engine) as session:
        return session.exec(select(func.count()).select_from(User)).one(), session.exec(
            select(func.count()).select_from(Team)
        ).one()


def stored(app, username: str) -> User:
    with db.session_scope(app.state.engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


@pytest.fixture
def run(settings, monkeypatch, tmp_path):
    """run(filename, content) -> result of `heatcases user import` on that file."""
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()

    def do(name: str, content: str | bytes):
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return runner.invoke(cli, ["user", "import", str(path)])

    return do


class TestImportCommand:
    def test_good_rows_create_people_with_one_time_passwords(self, app, client, run):
        result = run("roster.csv", GOOD)
        assert result.exit_code == 0, result.output
        assert "3 created, 0 updated, 0 unchanged" in result.output
        agent = stored(app, "agent_a")
        assert (agent.role, agent.team.name, agent.display_name, agent.must_change_password) == (
            "agent",
            "机票一组",
            "李一",
            True,
        )
        assert stored(app, "trainee_b").role == "trainee"  # a role's Chinese label works too
        assert stored(app, "sup_c").team is None
        password = next(line.split("│")[2].strip() for line in result.output.splitlines() if "agent_a" in line)
        response = client.post("/api/auth/token", json={"username": "agent_a", "password": password})
        assert response.status_code == 200

    def test_the_same_file_again_changes_nothing(self, app, run):
        assert run("roster.csv", GOOD).exit_code == 0
        before = stored(app, "agent_a").password_hash
        result = run("roster.csv", GOOD)
        assert result.exit_code == 0 and "0 created, 0 updated, 3 unchanged" in result.output
        assert "one-time password" not in result.output
        assert stored(app, "agent_a").password_hash == before and counts(app) == (3, 2)

    def test_a_changed_row_updates_the_person(self, app, run):
        assert run("roster.csv", GOOD).exit_code == 0
        changed = GOOD.replace("agent_a,李一,agent,机票一组", "agent_a,李一一,supervisor,酒店组")
        result = run("roster.csv", changed)
        assert result.exit_code == 0 and "0 created, 1 updated, 2 unchanged" in result.output
        agent = stored(app, "agent_a")
        assert (agent.role, agent.team.name, agent.display_name) == ("supervisor", "酒店组", "李一一")

    def test_bad_rows_are_each_reported_and_nothing_is_written(self, app, run):
        bad = (
            "username,display_name,role,team\n"
            "agent_a,李一,agent,机票一组\n"
            "x,短,agent,\n"
            "agent_d,赵四,boss,\n"
            "agent_a,重复,agent,\n"
        )
        result = run("roster.csv", bad)
        assert result.exit_code == 1
        assert "line 3: username:" in result.output
        assert "line 4: role: must be one of agent, trainee, supervisor, admin" in result.output
        assert "line 5: username: repeats line 2" in result.output
        assert counts(app) == (0, 0)  # not even agent_a, nor the team of line 2

    def test_a_header_without_the_needed_columns_is_refused(self, app, run):
        result = run("roster.csv", "name,team\n李一,一组\n")
        assert result.exit_code == 1 and "line 1: the header needs the columns role, username" in result.output

    def test_an_excel_file_with_chinese_headers_imports(self, app, run):
        content = xlsx([
            ["用户名", "姓名", "角色", "班组"],
            ["agent_x", "钱七", "客服", "机票二组"],
            [None, None, None, None],
            ["agent_y", "孙八", "agent", 1001],
        ])  # fmt: skip
        result = run("roster.xlsx", content)
        assert result.exit_code == 0, result.output
        assert stored(app, "agent_y").team.name == "1001"  # a number typed in Excel is still a team's name
        assert run("roster.xlsx", content).output.count("unchanged") == 1

    def test_a_file_that_is_not_a_roster_is_refused(self, app, run):
        assert run("roster.xlsx", b"not a zip file").exit_code == 1
        assert run("roster.txt", GOOD).exit_code == 1
        assert counts(app) == (0, 0)

    def test_a_directory_account_is_not_overwritten(self, app, run):
        from heatcases.accounts import service as accounts

        with db.session_scope(app.state.engine) as session:
            accounts.create_user(session, username="agent_a", password="", password_hash="!directory", role="agent",
                                 source="directory")  # fmt: skip
        result = run("roster.csv", GOOD)
        assert result.exit_code == 1 and "line 2: username: a directory account" in result.output


class TestImportFromTheAdmin:
    def test_the_api_imports_and_answers_the_passwords_once(self, app, admin, agent):
        response = admin.post("/api/admin/users/import", files={"file": ("roster.csv", GOOD.encode(), "text/csv")})
        assert response.status_code == 200, response.text
        body = response.json()
        assert [item["username"] for item in body["created"]] == ["agent_a", "trainee_b", "sup_c"]
        assert all(len(item["one_time_password"]) >= 16 for item in body["created"])
        again = admin.post("/api/admin/users/import", files={"file": ("roster.csv", GOOD.encode(), "text/csv")})
        assert again.json() == {"created": [], "updated": [], "unchanged": 3}
        bad = admin.post(
            "/api/admin/users/import", files={"file": ("r.csv", b"username,role\nagent_z,king\n", "text/csv")}
        )
        assert bad.status_code == 422 and bad.json()["detail"] == [
            "line 2: role: must be one of agent, trainee, supervisor, admin"
        ]
        assert (
            agent.post("/api/admin/users/import", files={"file": ("r.csv", GOOD.encode(), "text/csv")}).status_code
            == 403
        )

    def test_the_page_uploads_a_roster_and_shows_the_passwords(self, app, admin, browser):
        web = browser(admin.username)
        page = web.get("/admin/users")
        response = web.post(
            "/admin/users/import",
            data={"csrftoken": csrf_from(page.text)},
            files={
                "file": ("roster.xlsx", xlsx([["username", "role"], ["agent_p", "agent"]]), "application/octet-stream")
            },
        )
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        cells = BeautifulSoup(response.text, "html.parser").select("tbody td")
        assert cells[0].text == "agent_p" and len(cells[1].text) >= 16
        bad = web.post("/admin/users/import", data={"csrftoken": csrf_from(page.text)},
                       files={"file": ("r.csv", b"username,role\n<b>x</b>,agent\n", "text/csv")})  # fmt: skip
        assert bad.status_code == 422
        problem = BeautifulSoup(bad.text, "html.parser").select_one("ul.errors li").text
        assert problem.startswith("第 2 行，用户名：") and "<b>" not in bad.text
        web.cookies.set("heat_lang", "en")
        roster = {"file": ("r.csv", b"username,role\nagent_q,king\nagent_q,agent\n", "text/csv")}
        english = web.post("/admin/users/import", data={"csrftoken": csrf_from(page.text)}, files=roster)
        problems = [item.text for item in BeautifulSoup(english.text, "html.parser").select("ul.errors li")]
        assert problems == [
            "Line 2, role: must be one of agent, trainee, supervisor, admin, or its Chinese name.",
            "Line 3, username: repeats line 2.",
        ]


class TestFirstLogin:
    def test_a_one_time_password_must_be_replaced_before_anything_else(self, app, admin, client, browser):
        created = admin.post("/api/admin/users/import", files={"file": ("r.csv", GOOD.encode(), "text/csv")}).json()
        password = created["created"][0]["one_time_password"]
        access = client.post("/api/auth/token", json={"username": "agent_a", "password": password}).json()[
            "access_token"
        ]
        headers = {"Authorization": f"Bearer {access}"}
        assert client.get("/api/cases", headers=headers).status_code == 403
        assert client.get("/api/me", headers=headers).status_code == 200
        web = browser("agent_a", password)
        assert web.get("/cases").headers["location"] == "/me/profile?msg=flash.choose_password"
        profile = web.get("/me/profile")
        assert profile.status_code == 200
        form = {"current_password": password, "new_password": "Blue-harbour-lantern"}
        changed = web.post(
            "/me/password",
            data={**form, "csrftoken": csrf_from(profile.text), "confirm_password": "Blue-harbour-lantern"},
        )
        assert changed.status_code == 303
        assert web.get("/cases").status_code == 200
        assert client.get("/api/cases", headers=headers).status_code == 401  # the other token ended
        assert not stored(app, "agent_a").must_change_password
