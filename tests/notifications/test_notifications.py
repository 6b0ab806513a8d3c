"""In-app notifications: each event reaches the right person once, the bell counts them, people mark them read
and choose what they are told."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import select

from heatcases import db
from heatcases.models import Case, User
from tests.conftest import csrf_from


def _review(supervisor, case_id, decision, comment="") -> None:
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": decision, "comment": comment})
    assert response.status_code == 200, response.text


def _mine(actor, **params) -> dict:
    response = actor.get("/api/me/notifications", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestEvents:
    def test_the_author_hears_their_case_was_approved(self, agent, supervisor, submit):
        case = submit(agent)
        _review(supervisor, case["id"], "approve", "写得很好")
        page = _mine(agent)
        assert page["unread"] == 1
        [item] = page["items"]
        assert item["kind"] == "approved"
        assert item["case_id"] == case["id"]
        assert case["title"] in item["text"]
        assert item["detail"] == "写得很好"
        assert item["link"] == f"/cases/{case['id']}"

    def test_a_rejection_carries_the_comment_and_masks_a_number_in_it(self, agent, supervisor, submit):
        case = submit(agent)
        _review(supervisor, case["id"], "reject", "请去掉客人手机号 13812345678 再提交")
        [item] = _mine(agent)["items"]
        assert item["kind"] == "rejected"
        assert "13812345678" not in item["detail"]
        assert "再提交" in item["detail"]

    def test_featuring_tells_the_author(self, agent, supervisor, approved_case):
        assert supervisor.post(f"/api/cases/{approved_case['id']}/feature").status_code == 200
        kinds = [item["kind"] for item in _mine(agent)["items"]]
        assert kinds == ["featured", "approved"]

    def test_nobody_is_told_of_what_they_did_to_their_own_case(self, supervisor, submit):
        case = submit(supervisor)
        _review(supervisor, case["id"], "approve")
        assert _mine(supervisor)["total"] == 0

    def test_the_tenth_reader_is_a_milestone_told_once(self, app, agent, make_actor, approved_case):
        readers = [make_actor("trainee") for _ in range(11)]
        for reader in readers[:9]:
            assert reader.get(f"/api/cases/{approved_case['id']}").status_code == 200
        assert [i["kind"] for i in _mine(agent)["items"]] == ["approved"]
        readers[9].get(f"/api/cases/{approved_case['id']}")
        readers[10].get(f"/api/cases/{approved_case['id']}")
        readers[9].get(f"/api/cases/{approved_case['id']}")  # a repeat view is no new reader
        items = _mine(agent)["items"]
        assert [i["kind"] for i in items] == ["milestone", "approved"]
        assert items[0]["data"]["readers"] == 10
        assert "10" in items[0]["text"]

    def test_a_milestone_counted_again_is_not_told_twice(self, app, agent, make_actor, approved_case):
        """The count is repaired by hand and crosses 10 again: the dedupe key keeps it one notification."""
        reader = make_actor("trainee")
        with db.session_scope(app.state.engine) as session:
            case = session.get(Case, approved_case["id"])
            case.unique_viewers = 9
            session.add(case)
            session.commit()
        reader.get(f"/api/cases/{approved_case['id']}")
        with db.session_scope(app.state.engine) as session:
            case = session.get(Case, approved_case["id"])
            case.unique_viewers = 9
            session.add(case)
            session.commit()
        make_actor("trainee").get(f"/api/cases/{approved_case['id']}")
        assert [i["kind"] for i in _mine(agent)["items"]].count("milestone") == 1


class TestReading:
    def test_mark_one_then_all_read(self, agent, supervisor, submit):
        first, second = submit(agent), submit(agent, title="第二个案例：耐心解释退改规则")
        _review(supervisor, first["id"], "approve")
        _review(supervisor, second["id"], "reject", "再补充结果")
        items = _mine(agent)["items"]
        response = agent.post("/api/me/notifications/read", json={"ids": [items[0]["id"]]})
        assert response.json() == {"marked": 1, "unread": 1}
        assert agent.get("/api/me/notifications/unread").json() == {"unread": 1}
        assert [i["id"] for i in _mine(agent, unread="true")["items"]] == [items[1]["id"]]
        assert agent.post("/api/me/notifications/read").json() == {"marked": 1, "unread": 0}

    def test_another_persons_notification_cannot_be_marked(self, agent, other_agent, supervisor, submit):
        case = submit(agent)
        _review(supervisor, case["id"], "approve")
        [item] = _mine(agent)["items"]
        assert other_agent.post("/api/me/notifications/read", json={"ids": [item["id"]]}).json()["marked"] == 0
        assert _mine(agent)["unread"] == 1
        assert _mine(other_agent)["items"] == []

    def test_the_api_needs_a_token(self, client):
        assert client.get("/api/me/notifications").status_code == 401
        assert client.post("/api/me/notifications/read").status_code == 401
        assert client.get("/api/me/notification-settings").status_code == 401

    def test_text_follows_the_readers_language(self, agent, supervisor, submit, app):
        _review(supervisor, submit(agent)["id"], "approve")
        assert _mine(agent)["items"][0]["text"].startswith("你的案例")
        with db.session_scope(app.state.engine) as session:
            user = session.exec(select(User).where(User.username == agent.username)).one()
            user.language = "en"
            session.add(user)
            session.commit()
        assert _mine(agent)["items"][0]["text"].startswith("Your case")


class TestSettings:
    def test_defaults_are_everything_in_the_app_nothing_by_mail(self, agent, trainee, supervisor):
        mine = agent.get("/api/me/notification-settings").json()
        assert mine == {
            "kinds": ["approved", "rejected", "featured", "milestone", "assignment", "digest"],
            "muted": [], "emailed": [], "email": None, "mail_enabled": False,
        }  # fmt: skip
        assert trainee.get("/api/me/notification-settings").json()["kinds"] == ["assignment", "digest"]
        assert "queue" in supervisor.get("/api/me/notification-settings").json()["kinds"]

    def test_a_muted_kind_leaves_the_list_and_the_count(self, agent, supervisor, approved_case):
        response = agent.put("/api/me/notification-settings", json={"muted": ["approved"]})
        assert response.status_code == 200, response.text
        assert response.json()["muted"] == ["approved"]
        page = _mine(agent)
        assert (page["total"], page["unread"]) == (0, 0)
        agent.put("/api/me/notification-settings", json={"muted": []})
        assert _mine(agent)["unread"] == 1

    def test_bad_choices_are_refused_and_change_nothing(self, agent, trainee):
        response = trainee.put("/api/me/notification-settings", json={"muted": ["queue"]})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "muted"]
        response = agent.put("/api/me/notification-settings", json={"emailed": ["approved"], "email": "li@example.com"})
        assert response.status_code == 422  # no SMTP server configured
        assert response.json()["detail"][0]["loc"] == ["body", "emailed"]
        assert agent.put("/api/me/notification-settings", json={"email": "not an address"}).status_code == 422
        assert agent.put("/api/me/notification-settings", json={"email": "l\x00i@example.com"}).status_code == 422
        assert agent.put("/api/me/notification-settings", json={"muted": ["nonsense"]}).status_code == 422
        assert agent.get("/api/me/notification-settings").json()["email"] is None


class TestPages:
    def test_the_bell_counts_unread_and_the_list_marks_read(self, browser, agent, supervisor, submit):
        case = submit(agent, title="标题里有<script>的案例")
        _review(supervisor, case["id"], "reject", "请补充<b>结果</b>")
        web = browser(agent.username)
        home = web.get("/")
        assert 'id="bell"' in home.text and 'class="bell-count" aria-hidden="true">1<' in home.text
        page = web.get("/me/notifications")
        assert page.status_code == 200
        assert "&lt;script&gt;" in page.text and "<script>的" not in page.text
        assert "请补充&lt;b&gt;结果&lt;/b&gt;" in page.text
        token = csrf_from(page.text)
        [item] = _mine(agent)["items"]
        opened = web.post("/me/notifications/read", data={"csrftoken": token, "id": item["id"], "go": "1"})
        assert opened.status_code == 303 and opened.headers["location"] == f"/cases/{case['id']}"
        assert "bell-count" not in web.get("/").text

    def test_a_page_with_the_bell_holds_one_connection_at_a_time(self, app, browser, agent, supervisor, submit):
        """The bell's count is read in the page's own session: a crowd of readers never needs two connections each
        (the pool is sized for the request threads)."""
        _review(supervisor, submit(agent)["id"], "reject", "请补充结果")
        web = browser(agent.username)
        out, most = 0, 0

        def checked_out(*_args):
            nonlocal out, most
            out += 1
            most = max(most, out)

        def checked_in(*_args):
            nonlocal out
            out -= 1

        engine = app.state.engine
        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "checkin", checked_in)
        try:
            for path in ("/", "/cases", "/me/notifications"):
                page = web.get(path)
                assert 'class="bell-count" aria-hidden="true">1<' in page.text
        finally:
            event.remove(engine, "checkout", checked_out)
            event.remove(engine, "checkin", checked_in)
        assert most == 1

    def test_mark_all_read_from_the_page(self, browser, agent, supervisor, submit):
        for title in ("第一个案例：台风天改签", "第二个案例：耐心解释退改"):
            _review(supervisor, submit(agent, title=title)["id"], "approve")
        web = browser(agent.username)
        token = csrf_from(web.get("/me/notifications").text)
        response = web.post("/me/notifications/read", data={"csrftoken": token})
        assert response.status_code == 303
        assert _mine(agent)["unread"] == 0

    def test_the_settings_page_saves_and_refuses(self, browser, trainee):
        web = browser(trainee.username)
        page = web.get("/me/notifications/settings")
        assert page.status_code == 200 and 'value="assignment"' in page.text and 'value="queue"' not in page.text
        token = csrf_from(page.text)
        saved = web.post("/me/notifications/settings", data={"csrftoken": token, "in_app": ["assignment"]})
        assert saved.status_code == 303
        assert trainee.get("/api/me/notification-settings").json()["muted"] == ["digest"]
        refused = web.post("/me/notifications/settings", data={"csrftoken": token, "email_kind": ["assignment"]})
        assert refused.status_code == 422 and 'role="alert"' in refused.text  # this server sends no e-mail
        assert trainee.get("/api/me/notification-settings").json()["emailed"] == []

    def test_pages_need_a_login(self, client):
        response = client.get("/me/notifications", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
