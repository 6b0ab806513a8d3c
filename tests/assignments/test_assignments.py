"""Reading assignments end to end: a supervisor makes a list, assigns it to a class and a person, they read, the
supervisor sees completion per person and team, who is late, and reminds them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from heatcases import db
from heatcases.models import CaseViewer, ReadingList
from heatcases.notifications.worker import NotificationWorker
from tests.conftest import csrf_from

SOON = (date.today() + timedelta(days=7)).isoformat()


def _approve(supervisor, case_id):
    response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": ""})
    assert response.status_code == 200, response.text


@pytest.fixture
def library(agent, supervisor, submit, submit_lesson):
    """An approved exemplar and an approved lesson."""
    exemplar = submit(agent)
    lesson = submit_lesson(agent)
    for case in (exemplar, lesson):
        _approve(supervisor, case["id"])
    return [exemplar["id"], lesson["id"]]


@pytest.fixture
def reading_list(supervisor, library) -> dict:
    body = {"title": "新人第一周", "note": "先读案例，再读教训", "due_on": SOON, "items": library}
    response = supervisor.post("/api/reading-lists", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def klass(make_actor):
    """A class of two trainees (team 新人一班) and a supervisor-less agent elsewhere."""
    return [make_actor("trainee", team="新人一班") for _ in range(2)]


def _progress(supervisor, list_id) -> dict:
    response = supervisor.get(f"/api/reading-lists/{list_id}")
    assert response.status_code == 200, response.text
    return response.json()


def _make_late(app, list_id):
    with db.session_scope(app.state.engine) as session:
        session.execute(update(ReadingList).where(ReadingList.id == list_id).values(due_on=date(2020, 1, 1)))
        session.commit()


class TestEndToEnd:
    def test_assign_to_a_class_read_and_see_completion(self, supervisor, klass, trainee, reading_list, library):
        assert reading_list["cases"][0]["case_id"] == library[0]
        assert [c["kind"] for c in reading_list["cases"]] == ["exemplar", "lesson"]
        response = supervisor.post(
            f"/api/reading-lists/{reading_list['id']}/assign",
            json={"teams": ["新人一班"], "usernames": [trainee.username]},
        )
        assert response.json() == {"added": 3, "assignees": 3}
        first, second = klass
        for case_id in library:
            assert first.get(f"/api/cases/{case_id}").status_code == 200
        second.get(f"/api/cases/{library[1]}")
        progress = _progress(supervisor, reading_list["id"])
        people = {p["username"]: p for p in progress["people"]}
        assert (people[first.username]["read"], people[first.username]["done"]) == (2, True)
        assert (people[second.username]["read"], people[second.username]["done"]) == (1, False)
        assert people[second.username]["read_case_ids"] == [library[1]]
        assert people[trainee.username]["read"] == 0
        teams = {t["team"]: t for t in progress["teams"]}
        assert teams["新人一班"] == {
            "team": "新人一班", "people": 2, "done": 1, "late": 0, "read": 3, "total": 4, "completion": 0.75,
        }  # fmt: skip
        assert teams["一组"]["completion"] == 0
        assert (progress["assignees"], progress["done"], progress["late"]) == (3, 1, 0)

    def test_a_case_read_before_the_assignment_must_be_read_again(self, app, supervisor, trainee, library):
        trainee.get(f"/api/cases/{library[0]}")
        with db.session_scope(app.state.engine) as session:  # read two hours ago: outside the view window
            session.execute(update(CaseViewer).values(last_counted_at=db.utcnow() - timedelta(hours=2)))
            session.commit()
        body = {"title": "复习", "due_on": SOON, "items": library[:1]}
        list_id = supervisor.post("/api/reading-lists", json=body).json()["id"]
        supervisor.post(f"/api/reading-lists/{list_id}/assign", json={"usernames": [trainee.username]})
        assert _progress(supervisor, list_id)["people"][0]["read"] == 0
        trainee.get(f"/api/cases/{library[0]}")
        assert _progress(supervisor, list_id)["people"][0]["done"] is True

    def test_the_trainee_sees_what_is_due_first_and_is_notified(self, supervisor, trainee, library):
        later = {"title": "第二周", "due_on": (date.today() + timedelta(days=14)).isoformat(), "items": library}
        sooner = {"title": "第一周", "due_on": SOON, "items": library[:1]}
        for body in (later, sooner):
            list_id = supervisor.post("/api/reading-lists", json=body).json()["id"]
            supervisor.post(f"/api/reading-lists/{list_id}/assign", json={"usernames": [trainee.username]})
        mine = trainee.get("/api/me/reading").json()["items"]
        assert [m["title"] for m in mine] == ["第一周", "第二周"]
        assert mine[1]["items"][1]["kind"] == "lesson" and mine[1]["total"] == 2
        notes = trainee.get("/api/me/notifications").json()["items"]
        assert [n["kind"] for n in notes] == ["assignment", "assignment"]
        assert SOON in notes[0]["text"] and "第一周" in notes[0]["text"]
        trainee.get(f"/api/cases/{library[0]}")
        mine = trainee.get("/api/me/reading").json()["items"]
        assert [m["title"] for m in mine] == ["第二周", "第一周"]  # the finished one goes last
        assert mine[1]["done"] is True

    def test_late_people_and_reminders(self, app, supervisor, klass, reading_list, library):
        supervisor.post(f"/api/reading-lists/{reading_list['id']}/assign", json={"teams": ["新人一班"]})
        first, second = klass
        for case_id in library:
            first.get(f"/api/cases/{case_id}")
        _make_late(app, reading_list["id"])
        progress = _progress(supervisor, reading_list["id"])
        late = [p["username"] for p in progress["people"] if p["late"]]
        assert late == [second.username]
        summary = supervisor.get("/api/reading-lists").json()["items"][0]
        assert (summary["assignees"], summary["done"], summary["late"]) == (2, 1, 1)
        remind = f"/api/reading-lists/{reading_list['id']}/remind"
        assert supervisor.post(remind).json() == {"reminded": 1}
        assert supervisor.post(remind).json() == {"reminded": 0}  # once a day
        [reminder, _assigned] = second.get("/api/me/notifications").json()["items"]
        assert reminder["kind"] == "assignment" and reminder["data"]["reminder"] is True
        assert [n["kind"] for n in first.get("/api/me/notifications").json()["items"]] == ["assignment"]
        assert _progress(supervisor, reading_list["id"])["people"][1]["reminded_at"] is not None
        assert second.get("/api/me/reading").json()["items"][0]["late"] is True

    def test_assigning_again_adds_only_the_new_and_tells_only_them(self, supervisor, klass, trainee, reading_list):
        url = f"/api/reading-lists/{reading_list['id']}/assign"
        supervisor.post(url, json={"teams": ["新人一班"]})
        assert supervisor.post(url, json={"teams": ["新人一班"], "usernames": [trainee.username]}).json() == {
            "added": 1, "assignees": 3,
        }  # fmt: skip
        assert len(klass[0].get("/api/me/notifications").json()["items"]) == 1

    def test_unassign_and_delete(self, supervisor, trainee, reading_list):
        url = f"/api/reading-lists/{reading_list['id']}"
        supervisor.post(f"{url}/assign", json={"usernames": [trainee.username]})
        assert supervisor.delete(f"{url}/assignees/{trainee.username}").status_code == 204
        assert supervisor.delete(f"{url}/assignees/{trainee.username}").status_code == 404
        assert trainee.get("/api/me/reading").json()["items"] == []
        supervisor.post(f"{url}/assign", json={"usernames": [trainee.username]})
        assert supervisor.delete(url).status_code == 204
        assert supervisor.get(url).status_code == 404
        assert trainee.get("/api/me/reading").json()["items"] == []
        assert trainee.get("/api/me/notifications").json()["items"] == []  # they went with the list


class TestRefusals:
    def test_only_supervisors_and_admins_manage_lists(self, trainee, agent, admin, reading_list, library):
        body = {"title": "x", "due_on": SOON, "items": library}
        for actor in (trainee, agent):
            assert actor.post("/api/reading-lists", json=body).status_code == 403
            assert actor.get("/api/reading-lists").status_code == 403
            assert actor.get(f"/api/reading-lists/{reading_list['id']}").status_code == 403
            assert actor.post(f"/api/reading-lists/{reading_list['id']}/remind").status_code == 403
        assert admin.get(f"/api/reading-lists/{reading_list['id']}").status_code == 200

    def test_bad_lists_are_refused_and_nothing_is_left(self, supervisor, agent, submit, library):
        pending = submit(agent)["id"]
        cases = [
            ({"title": "x", "due_on": SOON, "items": [pending]}, "items"),
            ({"title": "x", "due_on": SOON, "items": [999999]}, "items"),
            ({"title": "x", "due_on": "2020-01-01", "items": library}, "due_on"),
            ({"title": "", "due_on": SOON, "items": library}, "title"),
            ({"title": "x", "due_on": SOON, "items": []}, "items"),
            ({"title": "x", "due_on": "soon", "items": library}, "due_on"),
        ]
        for body, field in cases:
            response = supervisor.post("/api/reading-lists", json=body)
            assert response.status_code == 422, body
            assert response.json()["detail"][0]["loc"][:2] == ["body", field]
        assert supervisor.get("/api/reading-lists").json()["items"] == []

    def test_control_characters_are_dropped_not_stored(self, supervisor, reading_list, library):
        body = {"title": "第一\x00周", "due_on": SOON, "items": library}
        assert supervisor.post("/api/reading-lists", json=body).json()["title"] == "第一周"
        url = f"/api/reading-lists/{reading_list['id']}"
        assert supervisor.post(f"{url}/assign", json={"usernames": ["no\x00body"]}).status_code == 422
        assert supervisor.delete(f"{url}/assignees/no%00body").status_code == 404

    def test_personal_data_in_a_list_is_masked(self, supervisor, library):
        body = {"title": "回访 13812345678", "note": "客人邮箱 a.b@example.com", "due_on": SOON, "items": library}
        made = supervisor.post("/api/reading-lists", json=body).json()
        assert "13812345678" not in made["title"] and "a.b@example.com" not in made["note"]

    def test_bad_assignees_are_refused(self, supervisor, agent, reading_list):
        url = f"/api/reading-lists/{reading_list['id']}/assign"
        assert supervisor.post(url, json={}).status_code == 422
        assert supervisor.post(url, json={"usernames": ["nobody_here"]}).status_code == 422
        assert supervisor.post(url, json={"usernames": [supervisor.username]}).status_code == 422  # not a trainee
        assert supervisor.post(url, json={"teams": ["没有这个班"]}).status_code == 422
        unknown = supervisor.post("/api/reading-lists/999999/assign", json={"usernames": [agent.username]})
        assert unknown.status_code == 404
        assert _progress(supervisor, reading_list["id"])["people"] == []


class TestPages:
    def test_a_supervisor_makes_and_assigns_a_list_through_the_pages(self, browser, supervisor, klass, library):
        web = browser(supervisor.username)
        token = csrf_from(web.get("/reading").text)
        made = web.post("/reading", data={
            "csrftoken": token, "title": "<b>第一周</b>", "due_on": SOON, "note": "",
            "items": f"{library[0]}, http://heat.example.com:8000/cases/{library[1]}",
        })  # fmt: skip
        assert made.status_code == 303, made.text
        page = web.get(made.headers["location"].split("?")[0])
        assert "&lt;b&gt;第一周&lt;/b&gt;" in page.text
        assigned = web.post(made.headers["location"].split("?")[0] + "/assign",
                            data={"csrftoken": token, "teams": ["新人一班"]})  # fmt: skip
        assert assigned.status_code == 303
        klass[0].get(f"/api/cases/{library[0]}")
        page = BeautifulSoup(web.get(assigned.headers["location"]).text, "html.parser")
        rows = {row["data-username"]: row for row in page.select("#person-progress tbody tr")}
        assert "1 / 2" in rows[klass[0].username].get_text()
        assert "25%" in page.select_one("#team-progress").get_text()  # 1 of 2 people × 2 cases
        assert page.select_one("#remind-all") is not None

    def test_the_form_says_what_is_wrong(self, browser, supervisor, library):
        web = browser(supervisor.username)
        token = csrf_from(web.get("/reading").text)
        refused = web.post("/reading", data={"csrftoken": token, "title": "x", "due_on": SOON, "items": "abc"})
        assert refused.status_code == 422
        assert BeautifulSoup(refused.text, "html.parser").select_one('[role="alert"]') is not None

    def test_the_trainee_home_page_shows_what_to_read(self, browser, supervisor, trainee, reading_list, library):
        supervisor.post(f"/api/reading-lists/{reading_list['id']}/assign", json={"usernames": [trainee.username]})
        web = browser(trainee.username)
        home = BeautifulSoup(web.get("/").text, "html.parser")
        section = home.select_one("section.to-read")
        assert section is not None and "新人第一周" in section.get_text()
        assert [a["href"] for a in section.select(".reading-items a")] == [f"/cases/{i}" for i in library]
        web.get(f"/cases/{library[0]}")
        web.get(f"/cases/{library[1]}")
        assert BeautifulSoup(web.get("/").text, "html.parser").select_one("section.to-read") is None
        mine = BeautifulSoup(web.get("/me/reading").text, "html.parser")
        assert len(mine.select(".reading-items .read-mark")) == 2

    def test_trainees_cannot_open_the_supervisors_pages(self, browser, trainee, reading_list):
        web = browser(trainee.username)
        assert web.get("/reading").status_code == 403
        assert web.get(f"/reading/{reading_list['id']}").status_code == 403


class TestDueTomorrow:
    def test_those_not_finished_hear_the_day_before_once(self, app, supervisor, klass, reading_list, library):
        supervisor.post(f"/api/reading-lists/{reading_list['id']}/assign", json={"teams": ["新人一班"]})
        first, second = klass
        for case_id in library:
            first.get(f"/api/cases/{case_id}")
        worker = app.state.notifications
        worker.run_once()
        assert len(second.get("/api/me/notifications").json()["items"]) == 1  # not due tomorrow yet
        tomorrow = db.utcnow().astimezone(app.state.settings.tz).date() + timedelta(days=1)
        with db.session_scope(app.state.engine) as session:
            session.execute(update(ReadingList).values(due_on=tomorrow))
            session.commit()
        worker.run_once()
        NotificationWorker(app.state.settings, app.state.engine, jobs=worker.jobs).run_once()
        [due, _assigned] = second.get("/api/me/notifications").json()["items"]
        assert due["data"]["due_soon"] is True and "明天截止" in due["text"] and "2 篇" in due["text"]
        assert len(first.get("/api/me/notifications").json()["items"]) == 1  # finished: not told
