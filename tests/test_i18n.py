"""The language switch covers everything: with English chosen no page shows Chinese, with Chinese chosen no page
shows English words of the interface, the scripts carry no text of their own, and every message key exists in
both languages' catalogs (heatcases/locale/), which the server compiles when their .mo is missing or older.

The pages are crawled as each role sees them (every GET page route of the app, filled with real ids, plus the
pages a POST answers with: invalid forms, failed logins, error pages, the CSRF failure), over a library whose user
content is in the page's language only, so any text of the other language is the interface's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
from dataclasses import dataclass, field
from pathlib import Path

import fastapi.routing
import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup, NavigableString
from fastapi.testclient import TestClient

from heatcases import i18n, vocab
from heatcases.cases import pages as case_pages
from heatcases.middleware import is_api_path
from heatcases.search import pages as search_pages
from heatcases.templating import FLASH_KEYS, environment
from tests.conftest import PASSWORD, ROOT, csrf_from
from tests.praise import files as praise_files

# Han, kana, bopomofo, CJK punctuation (、。【】「」) and full-width forms (：，（）).
CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
    "\uff00-\uffef]"
)
# Words of the interface that must not be left in English on a Chinese page (whole words, any case).
ENGLISH_UI_WORDS = (
    "Submit", "Search", "Cancel", "Views", "Page", "Pages", "Previous", "Next", "Save", "Edit", "Approve",
    "Reject", "Log in", "Log out", "Home", "Library", "Featured", "Status", "Title", "Team", "Role", "Menu",
    "Filters", "Read", "Back", "Error", "Loading", "Close", "Show", "Hide", "Delete", "Apply", "None", "Total",
)  # fmt: skip
ENGLISH_UI = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in ENGLISH_UI_WORDS) + r")\b", re.IGNORECASE)

# Attributes whose text a user meets: read out by a screen reader, shown on hover or in an empty field.
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "label")
BUTTON_INPUTS = {"submit", "button", "reset"}

NO_TEMPLATE = "(no template)"  # a page written by the code: the CSRF failure, 400 and 413
# GET routes outside /api that are not pages a user reads.
NOT_PAGES = {
    "/openapi.json": "the API's description",
    "/lang/{code}": "sets the language cookie and redirects",
    "/dashboard/export/{table}.csv": "a CSV download, not a page",
    "/attachments/{attachment_id}": "praise evidence: a picture, PDF or video, not a page",
    "/attachments/{attachment_id}/thumbnail": "praise evidence's thumbnail, a JPEG",
}


# --- what a page shows ---------------------------------------------------------------------------


@dataclass
class Shown:
    """The text of a page a user meets, as (where, text) pairs."""

    text: list[tuple[str, str]] = field(default_factory=list)  # text nodes and shown attributes
    data: list[tuple[str, str]] = field(default_factory=list)  # data-* attributes and JSON: what scripts show


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def shown(html: str) -> Shown:
    """What a page shows, less the elements marked as written in another language (the language switch);
    of a JSON answer to a page's script, its strings."""
    if html.startswith(("{", "[")):
        return Shown(data=[("JSON answer", text) for text in _strings(json.loads(html))])
    page = BeautifulSoup(html, "html.parser")
    root = page.find("html")
    page_lang = root.get("lang") if root else None
    result = Shown()
    for block in page.select('script[type="application/json"]'):
        result.data.extend((f"#{block.get('id', '')} JSON", text) for text in _strings(json.loads(block.string or "")))
    for element in page.select("script, style, template"):
        element.decompose()
    if page_lang:
        for element in page.select("[lang]"):
            if element.name != "html" and not element.decomposed and element["lang"] != page_lang:
                element.decompose()
    for node in page.find_all(string=True):
        if type(node) is NavigableString and node.strip():
            result.text.append((node.parent.name, node.strip()))
    for tag in page.find_all(True):
        for name in SHOWN_ATTRIBUTES:
            if tag.get(name):
                result.text.append((f"{tag.name}[{name}]", tag[name]))
        if tag.name == "input" and tag.get("type") in BUTTON_INPUTS and tag.get("value"):
            result.text.append(("input[value]", tag["value"]))
        for name, value in tag.attrs.items():
            if name.startswith("data-") and isinstance(value, str) and value:
                result.data.append((f"{tag.name}[{name}]", value))
    return result


def chinese_in(page: Shown) -> list[str]:
    return [f"{where}: {text[:80]!r}" for where, text in page.text + page.data if CJK.search(text)]


CODES = re.compile(r"[a-z0-9_.-]+(?: [a-z0-9_.-]+)*")  # "views", "error.404", "heartwarming active"


def english_in(page: Shown) -> list[str]:
    data = [(where, text) for where, text in page.data if not CODES.fullmatch(text)]
    return [f"{where}: {text[:80]!r}" for where, text in page.text + data if ENGLISH_UI.search(text)]


# --- a library whose user content is in one language ---------------------------------------------


CONTENT = {
    "en": {
        "names": {"agent": "Alice Walker", "other": "Bob Baker", "trainee": "Tina Brown", "supervisor": "Sam Stone",
                  "admin": "Ada Lovelace"},
        "teams": ("North Desk", "South Desk"),
        "cases": [
            ("Typhoon cancelled the flight: rebooked and found a hotel",
             "A typhoon cancelled the customer's flight and she was stuck at the airport with her two elderly "
             "parents. I rebooked them on the first flight next morning and booked an airport hotel room."),
            ("Lost passport before a hotel check-in",
             "The customer lost his passport on the way to the hotel. I called the hotel, explained, and the "
             "front desk kept the room. He called back from 13812345678 and wrote to li.ming@example.com to say "
             "thanks."),
            ("Refund for a train ticket after a medical emergency",
             "The customer had to go to hospital and missed her train. I explained the refund rules simply and "
             "asked the station to waive the fee; she got the full refund in two days."),
        ],
        "approve": "Clear story, well told",
        "reject": "Please add what the customer said at the end",
        "search": {"hits": "hotel", "none": "zebra", "typo": "hotal"},
        "new_user": ("carol", "Carol King", "East Desk"),
        "synonyms": "hotel inn",
        "reading": ("First week on the desk", "Read the typhoon story before the lesson."),
        "lesson": ("Ticket issued for the wrong date",
                   "The customer booked a flight for 20 October but the record said 19 October, and the desk issued "
                   "it without checking. She could not board and complained.",
                   "Before issuing a ticket, check it against the order, every time.", "Changchun ticket desk"),
    },
    "zh": {
        "names": {"agent": "李客服", "other": "王客服", "trainee": "徐学员", "supervisor": "张主管", "admin": "赵管理"},
        "teams": ("一组", "二组"),
        "cases": [
            ("台风取消航班，帮老人改签并安排酒店",
             "客人的航班因台风取消，带着两位老人滞留在机场，非常着急。我第一时间帮客人改签到次日最早的航班，"
             "并联系机场酒店安排了住宿。"),
            ("入住前护照丢失，协调酒店保留房间",
             "客人在去酒店的路上丢了护照。我联系酒店说明情况，前台为他保留了房间。他后来用 13812345678 来电，"
             "并发邮件到 li.ming@example.com 致谢。"),
            ("突发疾病错过火车，协助全额退票",
             "客人突发疾病住院，错过了火车。我用简单的话讲清退票规则，并请车站免收手续费，两天后客人收到全额退款。"),
        ],
        "approve": "好案例，写得清楚",
        "reject": "请补充客人最后的反馈",
        "search": {"hits": "酒店", "none": "鸭嘴兽", "typo": "航斑"},
        "new_user": ("chen", "陈新人", "三组"),
        "synonyms": "酒店 宾馆",
        "reading": ("新人第一周", "先读台风那篇，再读教训。"),
        "lesson": ("机票日期订错，客人无法登机",
                   "客人订了10月20日的机票，但记录编号订成10月19日，出票员也未核对就直接出票送票。客人无法登机，投诉至客服。",
                   "出票员在出票时应先核对机票和订单内容是否相符，再将机票送出。", "长春票台"),
    },
}  # fmt: skip


@dataclass
class World:
    lang: str
    users: dict[str, str]  # role -> username
    cases: dict[str, int]  # featured, approved, pending, rejected, archived -> id
    rounds: list[int] = field(default_factory=list)  # calibration rounds: one scored by all, one open
    reading_list: int = 0  # assigned to the first team (the trainee and the agent)


@pytest.fixture
def build_world(make_actor, submit):
    """build_world(lang) -> a library with a case in each state, views, searches and a featured case."""

    def build(lang: str) -> World:
        content = CONTENT[lang]
        names, (team, other_team) = content["names"], content["teams"]
        agent = make_actor("agent", "alice", team=team, name=names["agent"])
        other = make_actor("agent", "bob", team=other_team, name=names["other"])
        trainee = make_actor("trainee", "tina", team=team, name=names["trainee"])
        supervisor = make_actor("supervisor", "sam", team=team, name=names["supervisor"])
        admin = make_actor("admin", "ada", team=None, name=names["admin"])
        (title1, body1), (title2, body2), (title3, body3) = content["cases"]
        featured = submit(agent, title=title1, body=body1, praise="letter")["id"]
        approved = submit(other, title=title2, body=body2, business_line="hotel", tags=["effortless", "trust"],
                          behaviors=["plain_talk"], praise=None, channel="chat")["id"]  # fmt: skip
        pending = submit(agent, title=title3, body=body3, business_line="train", tags=["active"], behaviors=[])["id"]
        rejected = submit(agent, title=title2, body=body2, business_line="hotel", tags=["trust"], behaviors=[])["id"]
        archived = submit(other, title=title3, body=body3, business_line="train", occurred_on=None)["id"]
        for case_id in (featured, approved, archived):
            review = {"decision": "approve", "comment": content["approve"]}
            assert supervisor.post(f"/api/cases/{case_id}/review", json=review).status_code == 200
        review = {"decision": "reject", "comment": content["reject"]}
        assert supervisor.post(f"/api/cases/{rejected}/review", json=review).status_code == 200
        assert supervisor.post(f"/api/cases/{featured}/feature").status_code == 200
        assert supervisor.post(f"/api/cases/{archived}/archive").status_code == 200
        for case_id in (featured, approved):
            assert trainee.get(f"/api/cases/{case_id}").status_code == 200
        for query in content["search"].values():
            assert trainee.get("/api/search", params={"q": query}).status_code == 200
        lesson_title, lesson_body, lesson_text, partner = content["lesson"]
        lesson_fields = {"kind": "lesson", "title": lesson_title, "body": lesson_body, "lesson": lesson_text,
                         "defect_class": "A", "defect_kind": "fault", "servqual": ["reliability", "assurance"],
                         "found_by": "complaint", "partner": partner, "tags": ["trust"], "behaviors": [],
                         "praise": None}  # fmt: skip
        lesson = submit(agent, **lesson_fields)["id"]
        review = {"decision": "approve", "comment": content["approve"]}
        assert supervisor.post(f"/api/cases/{lesson}/review", json=review).status_code == 200
        assert trainee.get(f"/api/cases/{lesson}").status_code == 200
        lesson_pending = submit(agent, **{**lesson_fields, "defect_class": "C", "tags": []})["id"]
        # praise evidence: a supervisor's video and the author's picture waiting for approval (the review queue)
        for actor, name, data in ((supervisor, "thanks.webm", praise_files.video_bytes("webm")),
                                  (agent, "letter.png", praise_files.image_bytes("PNG"))):  # fmt: skip
            answer = actor.post(f"/api/cases/{featured}/attachments", files={"file": (name, data)})
            assert answer.status_code == 201, answer.text
        users = {"agent": agent.username, "trainee": trainee.username, "supervisor": supervisor.username,
                 "admin": "ada"}  # fmt: skip
        cases = {"featured": featured, "approved": approved, "pending": pending, "rejected": rejected,
                 "archived": archived, "lesson": lesson, "lesson_pending": lesson_pending}  # fmt: skip
        rounds = []
        for scored in (True, False):
            body = {"title": content["approve"], "case_ids": [pending, approved], "supervisors": ["sam", "ada"]}
            created = supervisor.post("/api/calibration/rounds", json=body).json()
            rounds.append(created["id"])
            for actor in (supervisor, admin) if scored else ():
                marks = [{"case_id": case["id"], "item_id": item["id"], "met": actor is admin or index == 0}
                         for index, case in enumerate(created["cases"]) for item in created["items"]]  # fmt: skip
                answer = actor.put(f"/api/calibration/rounds/{created['id']}/scores", json={"scores": marks})
                assert answer.status_code == 200, answer.text
        list_title, list_note = content["reading"]
        made = supervisor.post("/api/reading-lists", json={
            "title": list_title, "note": list_note, "due_on": "2999-12-31", "items": [featured, lesson],
        })  # fmt: skip
        assert made.status_code == 201, made.text
        assign = {"teams": [team]}
        assert supervisor.post(f"/api/reading-lists/{made.json()['id']}/assign", json=assign).status_code == 200
        return World(lang, users, cases, rounds, made.json()["id"])

    return build


# --- the crawl -----------------------------------------------------------------------------------


@dataclass
class Visit:
    label: str  # "GET /cases/3 as agent"
    template: str  # the template that drew the page, or where the page comes from
    status: int
    html: str


def page_routes(app) -> list[str]:
    """The path of every GET route that answers with a page (FastAPI keeps included routers nested)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = flatten(app.routes) if flatten else app.routes
    paths = {
        route.path
        for route in routes
        if "GET" in (getattr(route, "methods", None) or ())
        and not is_api_path(route.path)
        and route.path not in NOT_PAGES
    }
    assert {"/", "/login", "/search"} <= paths
    return sorted(paths)


class Crawler:
    def __init__(self, app, browser, world: World):
        self.app, self.world, self.visits = app, world, []
        self.pages_seen: set[str] = set()  # routes that answered with a page (200) for someone
        self.clients: dict[str, TestClient] = {}
        for role, username in world.users.items():
            web = browser(username)
            web.cookies.set("heat_lang", world.lang)
            self.clients[role] = web
        self.anonymous = TestClient(app, follow_redirects=False)
        self.anonymous.__enter__()
        self.anonymous.cookies.set("heat_lang", world.lang)
        self.clients["anonymous"] = self.anonymous

    def close(self) -> None:
        self.anonymous.__exit__(None, None, None)

    def visit(
        self, role: str, method: str, url: str, *, expect: set[int] | None = None, source: str = "", **kwargs
    ) -> Visit:
        """Request a page (source: the code that draws it, when no template does)."""
        response = self.clients[role].request(method, url, **kwargs)
        label = f"{method} {url} as {role}"
        assert response.status_code in (expect or {200}), f"{label}: {response.status_code}"
        template = response.template.name if getattr(response, "template", None) else source or NO_TEMPLATE
        visit = Visit(label, template, response.status_code, response.text)
        self.visits.append(visit)
        return visit

    def post_form(self, role: str, url: str, data: dict, *, expect: set[int], page: str = "", **kwargs) -> Visit:
        """POST a form the way a browser does: with the CSRF token of the page it is on."""
        token = csrf_from(self.clients[role].get(page or url).text)
        return self.visit(role, "POST", url, data={**data, "csrftoken": token}, expect=expect, **kwargs)

    def fill(self, path: str) -> list[str]:
        if "{case_id}" in path:
            return [path.format(case_id=case_id) for case_id in self.world.cases.values()]
        if "{round_id}" in path:
            return [path.format(round_id=round_id) for round_id in self.world.rounds]
        if "{list_id}" in path:
            return [path.format(list_id=self.world.reading_list)]
        assert "{" not in path, f"{path}: teach the crawl which values to give its parameters"
        return [path]

    def crawl(self) -> None:
        """Every page as every role sees it, then the pages that answer a POST or an error."""
        cases, content = self.world.cases, CONTENT[self.world.lang]
        for role in ("trainee", "agent", "supervisor", "admin"):
            for path in page_routes(self.app):
                for url in self.fill(path):
                    visit = self.visit(role, "GET", url, expect={200, 303, 403, 404, 409})  # 303: /login, logged in
                    if visit.status == 200:
                        self.pages_seen.add(path)
        # the login page, for a visitor and after a logout, a failed and a throttled login
        self.visit("anonymous", "GET", "/login")
        self.pages_seen.add("/login")
        self.visit("anonymous", "GET", "/login?msg=flash.logged_out")
        self.post_form("anonymous", "/login", {"username": "alice", "password": "wrong"}, expect={401})
        for _ in range(5):
            self.post_form("anonymous", "/login", {"username": "nobody", "password": "wrong"}, expect={401, 429})
        self.post_form("anonymous", "/login", {"username": "nobody", "password": "wrong"}, expect={429})
        # every flash message
        for key in sorted(FLASH_KEYS):
            self.visit("agent", "GET", f"/cases?msg={key}")
        # lists with filters and more than one page (PER_PAGE is made small by the test)
        self.visit("trainee", "GET", "/cases?tag=heartwarming&business_line=flight&featured=true")
        self.visit("trainee", "GET", "/cases?page=2")
        self.visit("agent", "GET", "/cases/mine?page=2")
        # search: hits, nothing found, did you mean, filters, a second page
        for query in content["search"].values():
            self.visit("trainee", "GET", f"/search?q={query}")
        self.visit("trainee", "GET", "/search?tag=trust&behavior=plain_talk&business_line=hotel&from=2020-01-01")
        self.visit("trainee", "GET", f"/search?q={content['search']['hits']}&page=2&sort=views")
        self.visit("trainee", "GET", "/search?kind=lesson&defect_class=A&servqual=reliability")
        self.visit("trainee", "GET", "/lessons?defect_class=A&servqual=assurance")
        # the dashboard and my impact with each period, and with input it refuses
        for preset in ("7d", "month", "quarter"):
            self.visit("supervisor", "GET", f"/dashboard?preset={preset}&interval=week")
            self.visit("agent", "GET", f"/me/impact?preset={preset}")
        self.visit("supervisor", "GET", f"/dashboard?team={content['teams'][0]}&interval=month")
        self.visit("supervisor", "GET", "/dashboard?from=2020-01-01&to=2020-01-31")  # nothing in the period
        self.visit("supervisor", "GET", "/review?tag=active")
        for query in ("from=yesterday", "from=2026-05-01&to=2026-04-01", "from=2000-01-01&to=2026-01-01",
                      "team=Nowhere"):  # fmt: skip
            self.visit("supervisor", "GET", f"/dashboard?{query}", expect={422})
        # forms answered with their problems
        self.post_form("agent", "/cases/new", {"title": "", "body": "short"}, expect={422})
        self.post_form("agent", f"/cases/{cases['rejected']}/edit", {"title": "", "tags": ["trust"]}, expect={422})
        self.post_form("agent", "/lessons/new", {"title": "", "happened": "short", "partner": "x" * 121}, expect={422})
        self.post_form("agent", "/lessons/new", {"title": "t", "body": "x" * 30, "team": "Nowhere"}, expect={422})
        self.post_form("admin", "/settings/customer-value", {"car-years": "-1"}, expect={422})
        self.post_form(
            "agent", f"/cases/{cases['featured']}/attachments", {}, expect={422},
            page=f"/cases/{cases['featured']}/attachments/new", files={"file": ("photo.jpg", b"<html>", "image/jpeg")},
        )  # fmt: skip
        self.post_form("admin", "/admin/checklist", {"label_zh": "", "label_en": ""}, expect={422})
        self.post_form("supervisor", "/calibration", {"title": "x"}, expect={422})
        self.post_form("supervisor", f"/calibration/{self.world.rounds[1]}/scores", {}, expect={422},
                       page=f"/calibration/{self.world.rounds[1]}")  # fmt: skip
        self.visit("admin", "GET", "/settings/customer-value?msg=flash.lesson_value_saved")
        for decision in ("reject", ""):
            self.post_form(
                "supervisor", f"/cases/{cases['pending']}/review", {"decision": decision, "comment": ""},
                expect={422}, page=f"/cases/{cases['pending']}",
            )  # fmt: skip
        self.post_form("supervisor", "/review", {}, expect={405})
        # a draft saved as the author types (its answer is what the form's script shows), then the form restoring it
        title, story = content["cases"][1]
        self.post_form(
            "agent", "/cases/new/draft", {"title": title, "situation": story}, expect={200}, page="/cases/new",
            source="heatcases/cases/pages.py",
        )  # fmt: skip
        self.visit("agent", "GET", "/cases/new")
        username, name, team = content["new_user"]
        new_user = {"username": username, "password": PASSWORD, "role": "agent", "team": team, "display_name": name}
        for data, status in (
            ({**new_user, "username": "alice"}, 409),
            ({**new_user, "username": "x"}, 422),
            ({**new_user, "password": "123"}, 422),
        ):
            self.post_form("admin", "/admin/users", data, expect={status})
        self.post_form("admin", "/admin/users/ada", {"active": "0"}, expect={409}, page="/admin/users")
        self.post_form("admin", "/admin/users/alice", {"password": "123"}, expect={422}, page="/admin/users")
        # the synonyms page with a group, a pin and their history, and a form it refuses
        self.post_form("supervisor", "/synonyms/groups", {"words": content["synonyms"]}, expect={303}, page="/synonyms")
        self.post_form(
            "supervisor", "/synonyms/pins", {"query": content["search"]["hits"], "case": str(cases["featured"])},
            expect={303}, page="/synonyms",
        )  # fmt: skip
        self.visit("supervisor", "GET", "/synonyms?msg=flash.synonyms_added")
        self.post_form("supervisor", "/synonyms/groups", {"words": content["synonyms"]}, expect={409}, page="/synonyms")
        self.post_form("admin", "/synonyms/pins", {"query": "", "case": "0"}, expect={422}, page="/synonyms")
        # notifications and reading lists: the unread ones, forms refused
        self.visit("agent", "GET", "/me/notifications?unread=1")
        self.post_form("agent", "/me/notifications/settings", {"email_kind": "approved"}, expect={422})
        self.post_form("supervisor", "/reading", {"title": "", "items": "x", "due_on": ""}, expect={422})
        self.post_form("supervisor", "/reading", {"title": "t", "items": "999999", "due_on": "2999-01-01"},
                       expect={422})  # fmt: skip
        list_page = f"/reading/{self.world.reading_list}"
        self.post_form("supervisor", f"{list_page}/assign", {"usernames": "nobody"}, expect={422}, page=list_page)
        self.visit("supervisor", "GET", "/reading/999999", expect={404})
        # error pages
        self.visit("trainee", "GET", "/cases/999999", expect={404})
        self.visit("trainee", "GET", "/nowhere", expect={404})
        self.visit("trainee", "GET", "/cases/new", expect={403})
        self.visit("agent", "GET", f"/cases/{cases['approved']}/edit", expect={403})
        self.visit("agent", "GET", f"/cases/{cases['featured']}/edit", expect={409})
        self.visit("trainee", "GET", "/cases?page=0", expect={422})
        self.visit("trainee", "GET", "/logout", expect={405})
        self.visit("agent", "POST", "/logout", expect={403})  # no CSRF token: the CSRF failure page
        too_large = b"x" * (self.app.state.settings.max_body_bytes + 1)
        self.visit("trainee", "POST", "/search", content=too_large, expect={413})
        self.visit("trainee", "POST", "/search", headers={"content-type": "multipart/form-data"}, expect={400})
        self.visit_failing_page()
        # what a page's script asks for in the background: the message it shows comes in the answer
        as_script = {"headers": {"accept": "application/json"}}
        self.visit("trainee", "GET", "/cases/999999", expect={404}, source="heatcases/app.py", **as_script)
        self.post_form(
            "supervisor", f"/cases/{cases['pending']}/review", {"decision": "reject", "comment": ""}, expect={422},
            page=f"/cases/{cases['pending']}", source="heatcases/cases/pages.py", **as_script,
        )  # fmt: skip

    def visit_failing_page(self) -> None:
        """The page of an unexpected error (500)."""

        def fail(*args, **kwargs):
            raise RuntimeError("a bug")

        trainee = self.clients["trainee"]
        with (
            TestClient(self.app, raise_server_exceptions=False, cookies=trainee.cookies) as web,
            pytest.MonkeyPatch.context() as patch,
        ):
            patch.setattr(search_pages.service, "search_cases", fail)
            self.clients["trainee (a bug)"] = web
            self.visit("trainee (a bug)", "GET", "/search", expect={500})


@pytest.fixture
def crawl(app, browser, build_world, monkeypatch):
    """crawl(lang) -> every page visited, over a library in that language."""
    monkeypatch.setattr(case_pages, "PER_PAGE", 1)
    monkeypatch.setattr(search_pages, "PER_PAGE", 1)
    crawlers = []

    def run(lang: str) -> list[Visit]:
        crawler = Crawler(app, browser, build_world(lang))
        crawlers.append(crawler)
        crawler.crawl()
        assert crawler.pages_seen == set(page_routes(app)), "every page route answered someone with a page"
        return crawler.visits

    yield run
    for crawler in crawlers:
        crawler.close()


def findings(visits: list[Visit], check) -> dict[str, dict[str, list[str]]]:
    """What check() finds, as {template: {text: [pages]}}."""
    found: dict[str, dict[str, list[str]]] = {}
    for visit in visits:
        for text in check(shown(visit.html)):
            found.setdefault(visit.template, {}).setdefault(text, []).append(visit.label)
    return found


def listing(found: dict) -> str:
    lines = []
    for template, texts in sorted(found.items()):
        lines.append(template)
        for text, pages in sorted(texts.items()):
            more = f" and {len(pages) - 2} more" if len(pages) > 2 else ""
            lines.append(f"    {text}  (on {', '.join(pages[:2])}{more})")
    return "\n".join(lines)


def test_english_pages_show_no_chinese(crawl):
    visits = crawl("en")
    assert all('lang="en"' in visit.html for visit in visits if visit.html.startswith("<"))
    found = findings(visits, chinese_in)
    assert not found, "Chinese on English pages:\n" + listing(found)


def test_the_page_check_finds_text_a_user_meets():
    html = """<!doctype html><html lang="en"><head><title>案例</title></head><body>
      <a href="/lang/zh" lang="zh-CN">中文</a> <input placeholder="搜索"> <nav aria-label="分页"></nav>
      <input type="submit" value="提交"> <button value="approve">Approve</button> <p data-saved="已保存">Fine</p>
      <script type="application/json" id="data">{"names": {"views": "浏览"}}</script><script>var x = "脚本";</script>
    </body></html>"""
    assert [text.split(": ", 1)[1] for text in chinese_in(shown(html))] == [
        "'案例'", "'搜索'", "'分页'", "'提交'", "'浏览'", "'已保存'"
    ]  # fmt: skip
    assert english_in(shown(html.replace('lang="en"', 'lang="zh-CN"', 1))) == ["button: 'Approve'"]


def test_chinese_pages_leave_no_interface_word_in_english(crawl):
    visits = crawl("zh")
    found = findings(visits, english_in)
    assert not found, "English words on Chinese pages:\n" + listing(found)


# --- the scripts ---------------------------------------------------------------------------------


JS_TOKENS = re.compile(r"""/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`""", re.S)
# Where a script would put text in front of a user.
JS_SINKS = re.compile(
    r"""(?:\.(?:textContent|innerText|innerHTML|outerHTML|title|placeholder|ariaLabel)\s*\+?=\s*"""
    r"""|\b(?:alert|confirm|prompt)\s*\(\s*"""
    r"""|setAttribute\(\s*["'](?:title|aria-label|placeholder|alt)["']\s*,\s*"""
    r"""|\b(?:text|label|title|message)\s*:\s*)$"""
)
PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")  # two words: "Try again", not "input, textarea" (a selector)
JS_CODE_STRINGS = {"use strict"}


def script_texts(source: str) -> list[str]:
    """The string literals of a script that look like text for people."""
    found = []
    for match in JS_TOKENS.finditer(source):
        token = match.group()
        if token.startswith(("//", "/*")):
            continue
        literal = token[1:-1]
        before = source[max(0, match.start() - 80) : match.start()]
        prose = PROSE.search(literal) and not literal.startswith((".", "#", "["))  # not a CSS selector
        shown = JS_SINKS.search(before) and any(char in string.ascii_letters for char in literal)
        if literal not in JS_CODE_STRINGS and (CJK.search(literal) or prose or shown):
            found.append(literal)
    return found


@pytest.mark.parametrize("script", sorted((ROOT / "static" / "js").glob("*.js")), ids=lambda path: path.name)
def test_scripts_carry_no_text_of_their_own(script: Path):
    """What a script shows comes from its page (a data attribute or a JSON block drawn through t())."""
    assert script_texts(script.read_text(encoding="utf-8")) == []


def test_the_script_check_finds_text():
    source = """
      "use strict";
      el.textContent = "Saved";
      alert('出错了');
      var options = { title: { text: "Views" } };
      var hint = "Try again later";
      var ok = document.querySelector("#chart-trend"); var css = "--brand"; el.textContent = data.saved;
    """
    assert script_texts(source) == ["Saved", "出错了", "Views", "Try again later"]


# --- message keys --------------------------------------------------------------------------------


PLACEHOLDER = re.compile(r"{(\w*)}")
TEMPLATE_KEY = re.compile(r"""\b(?:t|_|gettext)\(\s*(['"])([^'"]+)\1\s*(\)|,|~)""")


def read_catalog(path: Path) -> dict[str, Message]:
    """A catalog's messages by key, as translators' tools read the .po (or .pot)."""
    with path.open("rb") as source:
        return {message.id: message for message in read_po(source) if message.id}


CATALOGS = {lang: read_catalog(i18n.catalog_path(lang)) for lang in i18n.LANGUAGES}
KEYS = CATALOGS[i18n.DEFAULT_LANGUAGE].keys()


def template_keys() -> dict[str, set[str]]:
    """Message keys the templates name: {'full': keys, 'prefix': prefixes of keys built with ~}."""
    keys: dict[str, set[str]] = {"full": set(), "prefix": set()}
    for path in (ROOT / "templates").rglob("*.html"):
        for _, key, after in TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            keys["prefix" if after == "~" else "full"].add(key)
    return keys


def missing_keys(keys: dict[str, set[str]]) -> list[str]:
    prefixes = [prefix for prefix in keys["prefix"] if not any(key.startswith(prefix) for key in KEYS)]
    return sorted(keys["full"] - KEYS) + sorted(f"{prefix}*" for prefix in prefixes)


def test_every_key_the_templates_use_exists():
    keys = template_keys()
    assert keys["full"], "the templates call t('...')"
    assert missing_keys(keys) == []


def test_every_key_built_from_a_code_exists():
    """Keys put together from codes: each code of each family has its message."""
    from heatcases.cases.service import TRANSITIONS
    from heatcases.metrics import periods
    from heatcases.metrics import trend as metrics_trend
    from heatcases.metrics.schemas import HEADLINE_KEYS
    from heatcases.search import service as search

    expected = {
        *(f"invalid.{name}" for name in (*case_pages.CASE_FIELDS, "decision", "comment")),
        *(f"metrics.{name}" for name in (*HEADLINE_KEYS, "opened", "members", "unique_viewers", "open_rate")),
        *(f"metrics.preset.{name}" for name in periods.PRESETS),
        *(f"metrics.interval.{name}" for name in metrics_trend.INTERVALS),
        *(f"search.sort.{name}" for name in search.SORTS),
        *(f"transition.{action}" for action, current in TRANSITIONS if current is not None),
        *(f"event.{action}" for action, _ in TRANSITIONS),
        "event.import",
        *(f"error.{status}" for status in (401, 403, 404, 409, 413, 422, 500)),
    }
    assert sorted(expected - KEYS) == []


def test_every_key_the_code_names_exists():
    """Message keys written in the Python code (message_key=..., ?msg=flash..., error=...) exist."""
    prefixes = {key.split(".", 1)[0] for key in KEYS}
    literal = re.compile(r"""["']((?:""" + "|".join(sorted(prefixes)) + r""")\.[a-z0-9_.]*[a-z0-9_])["']""")
    named = set()
    for path in (ROOT / "heatcases").rglob("*.py"):
        named |= set(literal.findall(path.read_text(encoding="utf-8")))
    assert named, "the code names message keys"
    assert sorted(named - KEYS) == []


def test_every_message_has_both_languages_with_the_same_placeholders():
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    template = read_catalog(i18n.LOCALE_DIR / "messages.pot")
    assert sorted(zh.keys() ^ en.keys()) == [], "the same keys in both catalogs"
    assert sorted(zh.keys() ^ template.keys()) == [], "the template (messages.pot) has the catalogs' keys"
    for key in zh:
        texts = (zh[key].string, en[key].string)
        assert all(isinstance(text, str) and text.strip() for text in texts), key
        assert not zh[key].fuzzy and not en[key].fuzzy, key  # a fuzzy text is left out of the .mo
        assert sorted(PLACEHOLDER.findall(texts[0])) == sorted(PLACEHOLDER.findall(texts[1])), key
        assert key == "lang.switch" or not CJK.search(texts[1]), key  # the switch names the other language


def test_the_server_says_what_the_catalogs_say():
    for lang, catalog in CATALOGS.items():
        for key, message in catalog.items():
            assert i18n.translate(key, lang) == message.string, (lang, key)
    assert i18n.translate("home.hello", "en", name="Ada") == "Hello, Ada"
    assert i18n.translate("home.hello", "fr", name="Ada") == "您好，Ada"  # any other language: Chinese
    assert i18n.translate("no.such.key", "en") == i18n.translate("no.such.key", "zh") == "no.such.key"
    assert i18n.translate("", "en") == ""  # not the catalog's header
    assert FLASH_KEYS and all(key.startswith("flash.") for key in FLASH_KEYS) and FLASH_KEYS <= KEYS


def test_templates_can_use_gettext_in_the_page_language():
    page = environment.from_string(
        "{{ _('nav.home') }} {{ gettext('nav.library') }} {% trans %}nav.login{% endtrans %} {{ t('nav.home') }}"
    )
    t = i18n.translate
    assert page.render(lang="en", t=lambda key: t(key, "en")) == "Home Library Log in Home"
    assert page.render(lang="zh", t=lambda key: t(key, "zh")) == "首页 案例库 登录 首页"


def test_a_missing_or_older_mo_is_compiled_at_start(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))  # a fresh clone: no .mo
    mo = {lang: i18n.catalog_path(lang, locale, ".mo") for lang in i18n.LANGUAGES}
    catalogs = i18n.load_catalogs(locale)
    assert all(path.is_file() for path in mo.values())
    assert (catalogs["zh"].gettext("nav.home"), catalogs["en"].gettext("nav.home")) == ("首页", "Home")

    # a text changed in the .po after its .mo was compiled: compiled again
    po = i18n.catalog_path("en", locale)
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Home"', 'msgstr "Start"'), encoding="utf-8")
    earlier = po.stat().st_mtime_ns - 1_000_000_000
    os.utime(mo["en"], ns=(earlier, earlier))
    assert i18n.load_catalogs(locale)["en"].gettext("nav.home") == "Start"
    assert mo["en"].stat().st_mtime_ns >= po.stat().st_mtime_ns

    # an up-to-date .mo is read as it is
    monkeypatch.setattr(i18n, "write_mo", lambda *args: pytest.fail("compiled an up-to-date catalog"))
    assert i18n.load_catalogs(locale)["en"].gettext("nav.home") == "Start"


def test_a_catalog_that_cannot_be_written_is_compiled_in_memory(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))

    def refuse(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(i18n.os, "replace", refuse)
    assert i18n.load_catalogs(locale)["en"].gettext("nav.home") == "Home"
    assert sorted(path.name for path in locale.rglob("*") if path.is_file()) == [
        "messages.po", "messages.po", "messages.pot"
    ]  # fmt: skip


def test_an_untranslated_english_text_falls_back_to_chinese(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    po = i18n.catalog_path("en", locale)
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Home"', 'msgstr ""'), encoding="utf-8")
    catalogs = i18n.load_catalogs(locale)
    assert catalogs["en"].gettext("nav.home") == "首页"
    assert catalogs["en"].gettext("nav.library") == "Library"


def test_every_term_has_both_languages():
    for kind, terms in vocab.TERMS.items():
        for term in terms.values():
            assert term.zh.strip() and term.en.strip(), (kind, term.code)
            assert bool(term.help_zh) == bool(term.help_en), (kind, term.code)
            assert not CJK.search(term.en + term.help_en), (kind, term.code)
