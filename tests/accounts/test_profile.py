"""One's own profile: role and team, language, display name, password change (current one first, rules, other
sessions and tokens end), through the page and the API."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.conftest import PASSWORD, csrf_from

NEW = "Harbour-lantern-42"


class TestPasswordApi:
    def test_a_change_ends_the_other_sessions_and_tokens_but_not_this_one(self, agent, client, browser):
        web = browser("agent_li")
        other = client.post("/api/auth/token", json={"username": "agent_li", "password": PASSWORD}).json()[
            "access_token"
        ]
        response = agent.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW})
        assert response.status_code == 204, response.text
        assert agent.get("/api/me").status_code == 200
        assert client.get("/api/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
        assert web.get("/cases").status_code == 303  # the page session ended: back to the login page
        assert client.post("/api/auth/token", json={"username": "agent_li", "password": PASSWORD}).status_code == 401
        assert client.post("/api/auth/token", json={"username": "agent_li", "password": NEW}).status_code == 200

    @pytest.mark.parametrize(
        ("current", "new", "field"),
        [
            ("wrong-password", NEW, "current_password"),
            (PASSWORD, "Ab1-xyz", "new_password"),  # too short
            (PASSWORD, "password123", "new_password"),  # common
            (PASSWORD, "qwertyuiop", "new_password"),  # a keyboard row
            (PASSWORD, "agent_li2026", "new_password"),  # one's own username
            (PASSWORD, PASSWORD, "new_password"),  # the same
        ],
    )
    def test_refused_changes_name_the_field_and_change_nothing(self, agent, client, current, new, field):
        response = agent.post("/api/me/password", json={"current_password": current, "new_password": new})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == field
        assert client.post("/api/auth/token", json={"username": "agent_li", "password": PASSWORD}).status_code == 200


class TestProfileApi:
    def test_patch_sets_the_language_and_the_display_name(self, agent):
        response = agent.patch("/api/me", json={"language": "en", "display_name": "Li Kefu"})
        assert response.status_code == 200
        assert response.json() == {"username": "agent_li", "role": "agent", "team": "一组", "display_name": "Li Kefu",
                                   "language": "en", "source": "local", "must_change_password": False}  # fmt: skip
        assert agent.get("/api/me").json()["display_name"] == "Li Kefu"

    def test_patch_refuses_an_unknown_language(self, agent):
        assert agent.patch("/api/me", json={"language": "fr"}).status_code == 422

    def test_a_role_cannot_be_changed_through_the_profile(self, agent):
        assert agent.patch("/api/me", json={"role": "admin"}).status_code == 200
        assert agent.get("/api/me").json()["role"] == "agent"


class TestProfilePage:
    def test_shows_role_and_team(self, agent, browser):
        page = browser("agent_li").get("/me/profile")
        facts = BeautifulSoup(page.text, "html.parser").select_one("dl.facts").get_text()
        assert "客服" in facts and "一组" in facts and "本地账号" in facts

    def test_the_language_chosen_is_kept_for_the_next_login(self, agent, browser, app):
        web = browser("agent_li")
        page = web.get("/me/profile")
        saved = web.post(
            "/me/profile", data={"csrftoken": csrf_from(page.text), "language": "en", "display_name": "李客服"}
        )
        assert saved.status_code == 303 and "heat_lang=en" in saved.headers["set-cookie"]
        again = browser("agent_li")  # a new browser: no language cookie yet
        assert again.cookies.get("heat_lang") == "en"
        assert BeautifulSoup(again.get("/me/profile").text, "html.parser").h1.text == "Profile"

    def test_a_password_change_on_the_page(self, agent, browser):
        web, other = browser("agent_li"), browser("agent_li")
        page = web.get("/me/profile")
        form = {"csrftoken": csrf_from(page.text), "current_password": PASSWORD, "new_password": NEW}
        mismatch = web.post("/me/password", data={**form, "confirm_password": "something-else"})
        assert mismatch.status_code == 422
        assert "不一致" in BeautifulSoup(mismatch.text, "html.parser").select_one(".error").text
        common = web.post("/me/password", data={**form, "new_password": "iloveyou1", "confirm_password": "iloveyou1"})
        assert common.status_code == 422 and "太常见" in common.text
        done = web.post("/me/password", data={**form, "confirm_password": NEW})
        assert done.status_code == 303 and done.headers["location"] == "/me/profile?msg=flash.password_changed"
        assert web.get("/cases").status_code == 200
        assert other.get("/cases").status_code == 303  # the other browser's session ended

    def test_the_profile_needs_a_login(self, client):
        response = client.get("/me/profile", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
