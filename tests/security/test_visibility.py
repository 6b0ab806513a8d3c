"""Who sees a case that is not in the library (PRODUCT.md: "Nobody reads a case that is not approved
unless they wrote it or are a supervisor or admin"; archived cases are hidden from search and listings).

Agent A writes a pending, a rejected and an archived case, each with a word of its own in the title
and the story, and an approved, featured case like them (the control: what everyone does see). A
trainee and another agent find the three nowhere: not by id, not in any listing, search, related
cases, featured or home page, progress or history. A sees them among "my cases"; supervisors and admins
see them everywhere a case in that state belongs. Metrics are for supervisors, and count the pending
case as a submission.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.conftest import STORY, case_payload

HIDDEN = ("pending", "rejected", "archived")
WORDS = {state: f"wombat{state}" for state in (*HIDDEN, "approved")}


@pytest.fixture
def library(make_actor, browser):
    """Agent A's four cases and the people who look for them (API actors and logged-in browsers)."""
    people = {
        "author": make_actor("agent", "agent_a", name="甲客服"),
        "other_agent": make_actor("agent", "agent_b", team="二组", name="乙客服"),
        "trainee": make_actor("trainee", "trainee_t", name="丙学员"),
        "supervisor": make_actor("supervisor", "sup_s", name="丁主管"),
        "admin": make_actor("admin", "admin_x", team=None, name="管理员"),
    }
    author, supervisor = people["author"], people["supervisor"]

    def write(state: str) -> int:
        word = WORDS[state]
        payload = case_payload(title=f"台风改签 {word} 安排住宿", body=f"{STORY}\n\n关键词 {word}。")
        response = author.post("/api/cases", json=payload)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def act(case_id: int, action: str, body: dict | None = None) -> None:
        response = supervisor.post(f"/api/cases/{case_id}/{action}", json=body)
        assert response.status_code == 200, response.text

    ids = {state: write(state) for state in WORDS}
    act(ids["rejected"], "review", {"decision": "reject", "comment": "请补充结果"})
    for state in ("archived", "approved"):
        act(ids[state], "review", {"decision": "approve", "comment": "好案例"})
        act(ids[state], "feature")
    act(ids["archived"], "archive")
    webs = {role: browser(actor.username) for role, actor in people.items()}
    return people, webs, ids


def page_text(response) -> str:
    """The page's visible text and the paths its links lead to."""
    soup = BeautifulSoup(response.text, "html.parser")
    paths = " ".join(urlsplit(anchor.get("href", "")).path for anchor in soup.select("a"))
    return f"{soup.get_text(' ')} {paths}"


def shows(text: str, ids: dict, state: str) -> bool:
    """Whether the page shows the case of ``state``: its word, or a link to it."""
    return WORDS[state] in text or re.search(rf"/cases/{ids[state]}(?![0-9])", text) is not None


def linked_cases(response) -> set[int]:
    """The cases a page links to (a search page repeats the query, so its words prove nothing)."""
    soup = BeautifulSoup(response.text, "html.parser")
    paths = (urlsplit(anchor.get("href", "")).path for anchor in soup.select("a"))
    return {int(match[1]) for path in paths if (match := re.fullmatch(r"/cases/(\d+)", path))}


def api_ids(actor, url: str) -> set[int]:
    response = actor.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    return {item["id"] for item in body.get("items", body.get("hits", []))}


OUTSIDERS = ("trainee", "other_agent")
LISTINGS = ("", "?status=pending", "?status=rejected", "?status=approved", "?archived=true", "?archived=false",
            "?mine=true", "?featured=true", "?featured=false", "?per_page=100")  # fmt: skip
REVIEWERS = ("supervisor", "admin")


@pytest.mark.parametrize("role", OUTSIDERS)
class TestOutsidersSeeNothing:
    """A trainee and another agent: the three cases do not exist for them."""

    def test_by_id_in_the_api_and_on_the_page(self, library, role):
        people, webs, ids = library
        for state in HIDDEN:
            case_id = ids[state]
            assert people[role].get(f"/api/cases/{case_id}").status_code == 404
            assert people[role].get(f"/api/cases/{case_id}/history").status_code == 404
            assert people[role].get(f"/api/cases/{case_id}/related").status_code == 404
            page = webs[role].get(f"/cases/{case_id}")
            assert page.status_code == 404
            assert not shows(page_text(page), ids, state)
        assert people[role].get(f"/api/cases/{ids['approved']}").status_code == 200

    def test_in_every_api_listing(self, library, role):
        people, _, ids = library
        hidden = {ids[state] for state in HIDDEN}
        for query in LISTINGS:
            seen = api_ids(people[role], f"/api/cases{query}")
            assert not seen & hidden, query
        everything = people[role].get("/api/cases?per_page=100").json()
        assert {item["id"] for item in everything["items"]} == {ids["approved"]}
        assert everything["total"] == 1

    def test_in_search_by_their_words_and_without_words(self, library, role):
        people, _, ids = library
        for state in HIDDEN:
            assert api_ids(people[role], f"/api/search?q={WORDS[state]}") == set()
            assert people[role].get(f"/api/search?q={WORDS[state]}").json()["total"] == 0
        assert api_ids(people[role], f"/api/search?q={WORDS['approved']}") == {ids["approved"]}
        assert api_ids(people[role], "/api/search?q=台风&per_page=50") == {ids["approved"]}
        assert api_ids(people[role], "/api/search?per_page=50") == {ids["approved"]}

    def test_in_related_cases_of_a_similar_approved_case(self, library, role):
        people, webs, ids = library
        related = people[role].get(f"/api/cases/{ids['approved']}/related?limit=20")
        assert related.status_code == 200
        assert {hit["id"] for hit in related.json()["items"]}.isdisjoint(ids[state] for state in HIDDEN)
        page = page_text(webs[role].get(f"/cases/{ids['approved']}"))
        assert WORDS["approved"] in page
        assert not any(shows(page, ids, state) for state in HIDDEN)

    @pytest.mark.parametrize("path", ["/", "/cases", "/cases?featured=1", "/featured", "/me/progress"])
    def test_on_the_pages_that_list_cases(self, library, role, path):
        people, webs, ids = library
        response = webs[role].get(path)
        assert response.status_code == 200
        text = page_text(response)
        assert not [state for state in HIDDEN if shows(text, ids, state)]
        if path != "/me/progress":  # the control: the approved, featured case is there
            assert shows(text, ids, "approved")

    def test_on_the_search_page(self, library, role):
        _, webs, ids = library
        hidden = {ids[state] for state in HIDDEN}
        for state in HIDDEN:
            assert linked_cases(webs[role].get(f"/search?q={WORDS[state]}")) == set()
        assert linked_cases(webs[role].get(f"/search?q={WORDS['approved']}")) == {ids["approved"]}
        assert not linked_cases(webs[role].get("/search?q=台风")) & hidden
        assert not linked_cases(webs[role].get("/search")) & hidden

    def test_in_my_progress(self, library, role):
        people, _, ids = library
        progress = people[role].get("/api/me/progress").json()
        assert progress["featured"] == 1  # the approved one; archiving unfeatured the other


class TestDidYouMean:
    def test_never_suggests_a_word_only_an_archived_case_has(self, make_actor):
        """The index keeps an archived case's words until its segment is merged; suggestions must not."""
        author, supervisor, trainee = make_actor("agent"), make_actor("supervisor"), make_actor("trainee")
        payload = case_payload(title="帮客人找回走失的鸭嘴兽玩偶", body=f"{STORY}\n\n客人的鸭嘴兽玩偶找到了。")
        case_id = author.post("/api/cases", json=payload).json()["id"]
        supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve"})
        typo = {"q": "压嘴兽"}  # a pinyin-keyboard typo of 鸭嘴兽
        assert trainee.get("/api/search", params=typo).json()["suggestion"] == "鸭嘴兽"  # while it is in the library
        assert supervisor.post(f"/api/cases/{case_id}/archive").status_code == 200
        assert trainee.get("/api/search", params=typo).json()["suggestion"] is None
        assert trainee.get("/api/search", params={"q": "鸭嘴兽"}).json()["total"] == 0


class TestTheAuthor:
    """Agent A sees their own cases among "my cases", by id and with their history; not in search."""

    def test_sees_all_own_cases_in_my_cases(self, library):
        people, webs, ids = library
        assert api_ids(people["author"], "/api/cases?mine=true&per_page=100") == set(ids.values())
        text = page_text(webs["author"].get("/cases/mine"))
        assert all(shows(text, ids, state) for state in ids)
        assert api_ids(people["author"], "/api/cases?status=rejected") == {ids["rejected"]}

    def test_opens_each_with_its_history(self, library):
        people, webs, ids = library
        for state in HIDDEN:
            case = people["author"].get(f"/api/cases/{ids[state]}")
            assert case.status_code == 200
            assert case.json()["status"] == ("approved" if state == "archived" else state)
            history = people["author"].get(f"/api/cases/{ids[state]}/history")
            assert history.status_code == 200
            assert history.json()[0]["action"] == "submit"
            assert webs["author"].get(f"/cases/{ids[state]}").status_code == 200
        assert people["author"].get(f"/api/cases/{ids['rejected']}").json()["review_comment"] == "请补充结果"

    def test_does_not_find_them_in_search_or_the_library(self, library):
        people, webs, ids = library
        for state in HIDDEN:
            assert api_ids(people["author"], f"/api/search?q={WORDS[state]}") == set()
        text = page_text(webs["author"].get("/cases"))
        assert not [state for state in HIDDEN if shows(text, ids, state)]


@pytest.mark.parametrize("role", REVIEWERS)
class TestReviewersSeeEveryState:
    def test_open_each_case_and_its_history(self, library, role):
        people, webs, ids = library
        for state in HIDDEN:
            assert people[role].get(f"/api/cases/{ids[state]}").status_code == 200
            assert people[role].get(f"/api/cases/{ids[state]}/history").status_code == 200
            assert people[role].get(f"/api/cases/{ids[state]}/readers").status_code == 200
            page = webs[role].get(f"/cases/{ids[state]}")
            assert page.status_code == 200
            assert WORDS[state] in page_text(page)

    def test_list_them_by_state(self, library, role):
        people, _, ids = library
        assert api_ids(people[role], "/api/cases?per_page=100") == set(ids.values())
        assert api_ids(people[role], "/api/cases?status=pending") == {ids["pending"]}
        assert api_ids(people[role], "/api/cases?status=rejected") == {ids["rejected"]}
        assert api_ids(people[role], "/api/cases?archived=true") == {ids["archived"]}

    def test_the_review_queue_holds_the_pending_case_only(self, library, role):
        _, webs, ids = library
        text = page_text(webs[role].get("/review"))
        assert shows(text, ids, "pending")
        assert not shows(text, ids, "rejected") and not shows(text, ids, "archived")

    def test_search_still_shows_only_the_library(self, library, role):
        people, _, ids = library
        for state in HIDDEN:
            assert api_ids(people[role], f"/api/search?q={WORDS[state]}") == set()
        assert api_ids(people[role], f"/api/search?q={WORDS['approved']}") == {ids["approved"]}


class TestMetrics:
    API = ("/api/metrics/summary", "/api/metrics/summary.csv", "/api/metrics/export/agents.csv",
           "/api/metrics/trend", "/api/metrics/top-cases", "/api/metrics/progress")  # fmt: skip
    PAGES = ("/dashboard", "/dashboard/export/agents.csv", "/dashboard/export/teams.csv")

    @pytest.mark.parametrize("role", ("trainee", "author", "other_agent"))
    def test_are_refused_to_trainees_and_agents(self, library, role):
        people, webs, ids = library
        for url in self.API:
            assert people[role].get(url).status_code == 403, url
        for url in self.PAGES:
            response = webs[role].get(url)
            assert response.status_code == 403, url
            assert "wombat" not in response.text and "agent_a" not in response.text

    @pytest.mark.parametrize("role", REVIEWERS)
    def test_count_the_pending_case_as_a_submission(self, library, role):
        people, webs, _ = library
        summary = people[role].get("/api/metrics/summary").json()
        assert summary["current"]["submissions"] == 4  # pending, rejected, archived and approved
        assert summary["current"]["approved"] == 2
        assert summary["current"]["rejected"] == 1
        (row,) = [row for row in summary["by_agent"] if row["author"] == "agent_a"]
        assert (row["submissions"], row["approved"], row["rejected"], row["featured"]) == (4, 2, 1, 2)

        # The API's file names its columns by code, the dashboard's download in the page's language.
        files = (
            (people[role].get("/api/metrics/summary.csv"), "author", "submissions", "rejected"),
            (webs[role].get("/dashboard/export/agents.csv"), "用户名", "提交案例", "退回"),
        )
        for response, author, submissions, rejected in files:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            rows = {row[author]: row for row in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}
            assert rows["agent_a"][submissions] == "4"
            assert rows["agent_a"][rejected] == "1"
