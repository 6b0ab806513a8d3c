"""Login, logout and user management pages."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, csrf_from


class TestLogin:
    def test_anonymous_visitor_is_sent_to_login_and_back(self, app, agent):
        web = TestClient(app, follow_redirects=False)
        response = web.get("/cases/mine?page=1")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/cases/mine%3Fpage%3D1"
        form = web.get(response.headers["location"])
        login = web.post(
            "/login",
            data={
                "username": "agent_li",
                "password": PASSWORD,
                "next": "/cases/mine?page=1",
                "csrftoken": csrf_from(form.text),
            },
        )
        assert login.status_code == 303 and login.headers["location"] == "/cases/mine?page=1"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert web.get("/cases/mine").status_code == 200

    def test_wrong_password_shows_a_message_in_chinese(self, app, agent):
        web = TestClient(app)
        form = web.get("/login")
        response = web.post(
            "/login", data={"username": "agent_li", "password": "wrong", "csrftoken": csrf_from(form.text)}
        )
        assert response.status_code == 401
        assert "用户名或密码不正确" in BeautifulSoup(response.text, "html.parser").select_one(".error").get_text()

    def test_login_without_csrf_is_refused(self, app, agent):
        web = TestClient(app)
        response = web.post("/login", data={"username": "agent_li", "password": PASSWORD})
        assert response.status_code == 403

    def test_next_never_leaves_the_site(self, app, agent):
        web = TestClient(app, follow_redirects=False)
        form = web.get("/login")
        response = web.post(
            "/login",
            data={
                "username": "agent_li",
                "password": PASSWORD,
                "next": "https://evil.example.com",
                "csrftoken": csrf_from(form.text),
            },
        )
        assert response.headers["location"] == "/"

    def test_logout_ends_the_session_on_the_server(self, agent, browser):
        web = browser("agent_li")
        cookie = web.cookies.get("heat_session")
        page = web.get("/")
        assert web.post("/logout", data={"csrftoken": csrf_from(page.text)}).status_code == 303
        web.cookies.set("heat_session", cookie)  # a stolen copy of the old cookie no longer works
        assert web.get("/").status_code == 303


def add_user(web, **fields):
    """Post the users page's add form as an admin would."""
    page = web.get("/admin/users")
    data = {"csrftoken": csrf_from(page.text), "password": "secret-123", "role": "agent", **fields}
    return web.post("/admin/users", data=data)


class TestUserAdmin:
    def test_admin_adds_a_user_who_can_log_in(self, admin, browser, client):
        response = add_user(browser("admin1"), username="new_agent", team="三组", display_name="新同事")
        assert response.status_code == 303
        token = client.post("/api/auth/token", json={"username": "new_agent", "password": "secret-123"})
        assert token.status_code == 200 and token.json()["role"] == "agent"

    def test_duplicate_user_is_refused_with_a_message(self, admin, agent, browser):
        response = add_user(browser("admin1"), username="agent_li")
        assert response.status_code == 409
        assert "已存在" in BeautifulSoup(response.text, "html.parser").select_one(".error").get_text()

    def test_short_password_and_control_characters_are_refused(self, admin, browser, client):
        web = browser("admin1")
        assert add_user(web, username="short_pw", password="123").status_code == 422
        assert add_user(web, username="ctl_user", display_name="坏\x00名字").status_code == 422
        assert (
            client.post("/api/auth/token", json={"username": "ctl_user", "password": "secret-123"}).status_code == 401
        )

    def test_admin_disables_a_user(self, admin, agent, browser):
        web = browser("admin1")
        page = web.get("/admin/users")
        web.post("/admin/users/agent_li", data={"csrftoken": csrf_from(page.text), "active": "0"})
        assert agent.get("/api/me").status_code == 401

    def test_admin_changes_role_and_team(self, admin, agent, browser, client):
        web = browser("admin1")
        page = web.get("/admin/users")
        response = web.post(
            "/admin/users/agent_li", data={"csrftoken": csrf_from(page.text), "role": "supervisor", "team": "质检组"}
        )
        assert response.status_code == 303
        token = client.post("/api/auth/token", json={"username": "agent_li", "password": PASSWORD}).json()
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        assert (me["role"], me["team"]) == ("supervisor", "质检组")

    def test_admin_cannot_lock_themselves_out(self, admin, browser):
        web = browser("admin1")
        page = web.get("/admin/users")
        assert (
            web.post("/admin/users/admin1", data={"csrftoken": csrf_from(page.text), "active": "0"}).status_code == 409
        )
        assert (
            web.post("/admin/users/admin1", data={"csrftoken": csrf_from(page.text), "role": "agent"}).status_code
            == 409
        )
        assert web.get("/admin/users").status_code == 200

    def test_unknown_user_is_404(self, admin, browser):
        web = browser("admin1")
        page = web.get("/admin/users")
        assert (
            web.post("/admin/users/ghost", data={"csrftoken": csrf_from(page.text), "active": "0"}).status_code == 404
        )

    def test_supervisor_cannot_manage_users(self, supervisor, browser):
        assert browser("sup_zhang").get("/admin/users").status_code == 403
