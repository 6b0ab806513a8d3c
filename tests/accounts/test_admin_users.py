"""User administration at scale: search, filters, pages, bulk actions, teams with counts, the change log."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from heatcases import db
from heatcases.accounts import service as accounts
from tests.conftest import csrf_from


@pytest.fixture
def crowd(app):
    """120 agents in three teams (every fourth disabled), 10 trainees without a team."""
    with db.session_scope(app.state.engine) as session:
        for number in range(120):
            accounts.create_user(
                session, username=f"agent{number:03d}", password="", password_hash="!", role="agent",
                team=("机票一组", "酒店二组", "火车三组")[number % 3], display_name=f"客服{number:03d}号", commit=False,
            )  # fmt: skip
        for number in range(10):
            accounts.create_user(session, username=f"trainee{number}", password="", password_hash="!", role="trainee",
                                 display_name=f"Trainee {number}", commit=False)  # fmt: skip
        session.commit()
        for number in range(0, 120, 4):
            accounts.change_user(session, accounts.get_user(session, f"agent{number:03d}"), active=False)
        session.commit()


def usernames(page) -> list[str]:
    return [
        row.select("td")[1].contents[0].strip() for row in BeautifulSoup(page.text, "html.parser").select("tbody tr")
    ]


class TestUsersApi:
    def test_search_filters_and_pages(self, admin, crowd):
        first = admin.get("/api/admin/users?role=agent&per_page=50").json()
        assert first["total"] == 120 and len(first["items"]) == 50 and first["items"][0]["username"] == "agent000"
        last = admin.get("/api/admin/users?role=agent&per_page=50&page=3").json()
        assert [item["username"] for item in last["items"]][-1] == "agent119" and len(last["items"]) == 20
        assert admin.get("/api/admin/users?q=客服01").json()["total"] == 10  # by display name
        assert admin.get("/api/admin/users?q=TRAINEE").json()["total"] == 10  # any case
        assert admin.get("/api/admin/users?team=酒店二组&status=disabled").json()["total"] == 10
        assert admin.get("/api/admin/users?team=-&role=trainee").json()["total"] == 10
        assert admin.get("/api/admin/users?q=%25").json()["total"] == 0  # % is a character, not a wildcard

    def test_bulk_actions_change_many_and_record_each(self, admin, crowd):
        response = admin.post(
            "/api/admin/users/bulk", json={"usernames": ["trainee1", "trainee2"], "action": "team", "value": "新人班"}
        )
        assert response.json() == {"changed": 2}
        assert admin.post(
            "/api/admin/users/bulk", json={"usernames": ["trainee1"], "action": "role", "value": "agent"}
        ).json() == {"changed": 1}
        assert admin.post(
            "/api/admin/users/bulk", json={"usernames": ["trainee1", "trainee2"], "action": "disable"}
        ).json() == {"changed": 2}
        rows = {item["username"]: item for item in admin.get("/api/admin/users?team=新人班").json()["items"]}
        assert rows["trainee1"]["role"] == "agent" and not rows["trainee1"]["active"] and not rows["trainee2"]["active"]
        log = admin.get("/api/admin/changes?target=trainee1").json()
        assert [item["action"] for item in log["items"]] == ["bulk_disable", "bulk_role", "bulk_team", "user_created"]
        assert log["items"][1] == {**log["items"][1], "actor": "admin1", "detail": {"role": ["trainee", "agent"]}}

    def test_bulk_refuses_bad_requests_and_writes_nothing(self, admin, crowd):
        assert (
            admin.post(
                "/api/admin/users/bulk", json={"usernames": ["trainee1", "nobody"], "action": "disable"}
            ).status_code
            == 422
        )
        assert (
            admin.post(
                "/api/admin/users/bulk", json={"usernames": ["trainee1"], "action": "role", "value": "king"}
            ).status_code
            == 422
        )
        assert (
            admin.post(
                "/api/admin/users/bulk", json={"usernames": ["admin1", "trainee1"], "action": "disable"}
            ).status_code
            == 403
        )
        assert all(item["active"] for item in admin.get("/api/admin/users?role=trainee").json()["items"])

    def test_teams_with_counts(self, admin, crowd):
        teams = admin.get("/api/admin/teams").json()
        hotel = next(team for team in teams["items"] if team["name"] == "酒店二组")
        assert hotel == {"name": "酒店二组", "members": 40, "active": 30,
                         "by_role": {"agent": 40, "trainee": 0, "supervisor": 0, "admin": 0}}  # fmt: skip
        assert teams["no_team"] == 11  # the trainees and the admin

    def test_only_admins(self, agent, supervisor):
        for actor in (agent, supervisor):
            assert actor.get("/api/admin/users").status_code == 403
            assert (
                actor.post("/api/admin/users/bulk", json={"usernames": ["x"], "action": "disable"}).status_code == 403
            )


class TestUsersPage:
    def test_pages_of_fifty_with_filters_kept(self, admin, crowd, browser):
        web = browser("admin1")
        page = web.get("/admin/users?role=agent&status=active")
        assert usernames(page)[:2] == ["agent001", "agent002"] and len(usernames(page)) == 50
        soup = BeautifulSoup(page.text, "html.parser")
        assert "找到 90 个用户" in soup.select_one("main").text
        assert soup.select_one('a[rel="next"]')["href"] == "?role=agent&status=active&page=2"
        assert len(usernames(web.get("/admin/users?role=agent&status=active&page=2"))) == 40
        assert usernames(web.get("/admin/users?q=客服119")) == ["agent119"]

    def test_bulk_form_moves_the_ticked_users_and_comes_back_to_the_same_list(self, admin, crowd, browser):
        web = browser("admin1")
        page = web.get("/admin/users?team=火车三组")
        response = web.post("/admin/users/bulk", data={
            "csrftoken": csrf_from(page.text), "action": "team", "value": "新班组", "user": ["agent002", "agent005"],
            "back": "/admin/users?team=火车三组"})  # fmt: skip
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == "/admin/users?team=火车三组&msg=flash.users_changed"
        assert usernames(web.get("/admin/users?team=新班组")) == ["agent002", "agent005"]
        nobody = web.post("/admin/users/bulk", data={"csrftoken": csrf_from(page.text), "action": "disable"})
        assert nobody.status_code == 422 and "请至少勾选一个用户" in nobody.text

    def test_user_text_is_escaped(self, admin, browser, app):
        with db.session_scope(app.state.engine) as session:
            accounts.create_user(session, username="evil", password="", password_hash="!", role="agent",
                                 team="<script>t</script>", display_name="<img src=x onerror=alert(1)>")  # fmt: skip
        web = browser("admin1")
        for path in ("/admin/users", "/admin/teams", "/admin/changes"):
            text = web.get(path).text
            assert "<img src=x" not in text and "<script>t" not in text, path

    def test_teams_and_change_log_pages(self, admin, crowd, browser):
        web = browser("admin1")
        rows = BeautifulSoup(web.get("/admin/teams").text, "html.parser").select("tbody tr")
        assert [row.td.text for row in rows][:3] == ["机票一组", "火车三组", "酒店二组"] or len(rows) == 4
        changes = BeautifulSoup(web.get("/admin/changes?target=agent000").text, "html.parser").select("tbody tr")
        assert [row.select("td")[2].text for row in changes] == ["修改账号", "创建账号"]
