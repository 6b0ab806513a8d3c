"""The start of a shift, as Locust users: trainees search and read, agents submit, supervisors review.

Run it through ``bench/load/run.py``, which prepares the library and the accounts, starts the server
and prints the figures. The scenario comes from ``HEAT_LOAD_SCENARIO``:

- ``shift`` (default): every user waits 2-8 s between actions (``HEAT_LOAD_WAIT`` = ``none`` for no wait).
  Trainees (about 80 % of the people) search with a realistic query mix and filters and open results,
  half through the API and half through the pages; agents submit cases, list and reopen their own;
  supervisors work the review queue (approve or reject) and open the dashboard.
- ``burst``: each user is one submission, sent once, by one of the agents logged in beforehand
  (``HEAT_LOAD_TOKENS``: ``username:token`` pairs separated by commas).

Accounts are ``load_trainee_N``, ``load_agent_N``, ``load_sup_N`` with the password in
``HEAT_LOAD_PASSWORD`` (``run.py`` creates them). Each user logs in once and keeps its token or
session cookie. A 503 that carries Retry-After is counted as a failure named "503 busy", any other
answer outside 2xx/3xx as "HTTP <code>", so the run's report tells them apart.
"""

from __future__ import annotations

import html
import itertools
import os
import random
import re

from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

PASSWORD = os.environ.get("HEAT_LOAD_PASSWORD", "load-pass-2026")
SCENARIO = os.environ.get("HEAT_LOAD_SCENARIO", "shift")
WAIT = constant(0) if os.environ.get("HEAT_LOAD_WAIT") == "none" else between(2, 8)
COUNTS = {role: int(os.environ.get(f"HEAT_LOAD_{role.upper()}S", "50")) for role in ("trainee", "agent", "sup")}
RUN_TAG = os.environ.get("HEAT_LOAD_TAG", "load")
TIMES = os.environ.get("HEAT_LOAD_TIMES")  # a file for every request's moment, name and time (run.py: per minute)

# What trainees type (bench/casegen.py's vocabulary): words, Traditional characters, questions, filters.
QUERIES = (
    "航班 改签", "酒店 超售", "老人", "退款", "航班延誤", "行李", "改签", "酒店 入住", "高铁 退票", "押金",
    "门票 改期", "婴儿", "轮椅", "孕妇", "航变", "满房", "导游", "租车 划痕", "值机", "外籍 翻译", "證件",
    "景区 预约", "客人", "服务", "喀什", "敦煌", "充电宝", "升舱", "客人航班取消了怎么办",
    "老人在机场找不到登机口怎么办", "酒店满房了客人没地方住怎么处理", "孩子发烧了航班还能改签吗", "行李丢失",
)  # fmt: skip
FILTERS = ({}, {}, {}, {"tag": "heartwarming"}, {"business_line": "hotel"}, {"tag": "trust", "business_line": "flight"},
           {"featured": "true"}, {"sort": "views"}, {"sort": "newest"})  # fmt: skip
TAGS = ("heartwarming", "effortless", "active", "trust")
LINES = ("flight", "hotel", "train", "vacation", "car", "attraction")
CASE_LINK = re.compile(r'href="/cases/(\d+)"')
RELATED_PART = re.compile(r'data-related-src="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')

_numbers = {role: itertools.count() for role in COUNTS}


if TIMES:
    _times = open(TIMES, "w", buffering=1 << 16)  # noqa: SIM115  (open for the whole run; closed at exit)

    @events.request.add_listener
    def _record(request_type, name, response_time, start_time=None, **_kwargs) -> None:
        _times.write(f"{start_time or 0:.3f}\t{name}\t{response_time:.1f}\n")

    @events.quitting.add_listener
    def _close(**_kwargs) -> None:
        _times.close()


def account(role: str) -> str:
    return f"load_{role}_{next(_numbers[role]) % COUNTS[role] + 1}"


def check(response, *, expect=(200,)) -> None:
    """Mark the answer: success, a 503 with Retry-After ("503 busy"), or another failure."""
    if response.status_code in expect:
        response.success()
    elif response.status_code == 503 and response.headers.get("retry-after"):
        response.failure("503 busy")
    elif response.status_code == 0:
        response.failure(f"no answer: {response.error!r}"[:200])
    else:
        response.failure(f"HTTP {response.status_code}")


class ApiUser(FastHttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.username = account(self.role)
        with self.client.post(
            "/api/auth/token", json={"username": self.username, "password": PASSWORD}, name="login (API)",
            catch_response=True,
        ) as response:  # fmt: skip
            check(response)
            if response.status_code != 200:
                raise StopUser()
            self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def api(self, method: str, path: str, name: str, *, expect=(200,), **kwargs):
        with self.client.request(method, path, headers=self.headers, name=name, catch_response=True, **kwargs) as r:
            check(r, expect=expect)
            return r


class WebUser(FastHttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.username = account(self.role)
        with self.client.get("/login", name="login page", catch_response=True) as page:
            check(page)
            token = CSRF_FIELD.search(page.text or "")
        if token is None:
            raise StopUser()
        form = {"username": self.username, "password": PASSWORD, "csrftoken": token.group(1), "next": "/"}
        with self.client.post("/login", data=form, name="login (page)", catch_response=True,
                              allow_redirects=False) as response:  # fmt: skip
            check(response, expect=(303,))
            if response.status_code != 303:
                raise StopUser()

    def page(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            check(response)
            return response


def search_params() -> dict:
    return {"q": random.choice(QUERIES), **random.choice(FILTERS)}


class TraineeApi(ApiUser):
    """A trainee using the API (a mobile app): search, then open one of the results."""

    weight = 40 if SCENARIO == "shift" else 0
    role = "trainee"
    wait_time = WAIT

    @task(60)
    def search(self) -> None:
        response = self.api("GET", "/api/search", "search", params=search_params())
        if response.status_code == 200:
            self.hits = [hit["id"] for hit in response.json()["hits"]]

    @task(25)
    def open_result(self) -> None:
        hits = getattr(self, "hits", None)
        if hits:
            self.api("GET", f"/api/cases/{random.choice(hits)}", "case")


class TraineeWeb(WebUser):
    """A trainee in the browser: the search page, then a case page."""

    weight = 40 if SCENARIO == "shift" else 0
    role = "trainee"
    wait_time = WAIT

    @task(60)
    def search(self) -> None:
        response = self.page("/search", "search page", params=search_params())
        if response.status_code == 200:
            self.hits = [int(found) for found in CASE_LINK.findall(response.text or "")]

    @task(25)
    def open_result(self) -> None:
        hits = getattr(self, "hits", None)
        if hits:
            response = self.page(f"/cases/{random.choice(hits)}", "case page")
            part = RELATED_PART.search(response.text or "")
            if part:  # the browser's next request: the page's script fetches the related cases
                self.page(html.unescape(part.group(1)), "related cases (page part)")


def new_case(username: str) -> dict:
    tags = random.sample(TAGS, random.randint(1, 2))
    return {
        "title": f"{RUN_TAG} {username} 主动为老人改签并安排轮椅",
        "body": "客人是一位七十多岁的老人，航班因天气取消后在机场不知所措。我主动联系航司为他改签到次日最早的航班，"
        "安排了轮椅和机场附近的酒店，并把行程用短信发给他的女儿。客人第二天顺利出发，来信表示感谢。",
        "tags": tags,
        "business_line": random.choice(LINES),
        "channel": "phone",
    }


class Agent(ApiUser):
    """An agent after calls: submits a case, looks at their own cases."""

    weight = 12 if SCENARIO == "shift" else 0
    role = "agent"
    wait_time = WAIT

    @task(3)
    def submit(self) -> None:
        self.api("POST", "/api/cases", "submit", expect=(201,), json=new_case(self.username))

    @task(4)
    def my_cases(self) -> None:
        response = self.api("GET", "/api/cases", "my cases", params={"mine": "true", "per_page": 10})
        if response.status_code == 200:
            self.mine = [case["id"] for case in response.json()["items"]]

    @task(3)
    def open_mine(self) -> None:
        if getattr(self, "mine", None):
            self.api("GET", f"/api/cases/{random.choice(self.mine)}", "my case")


class Supervisor(WebUser):
    """A supervisor: the review queue page, a decision through the API, the dashboard."""

    weight = 8 if SCENARIO == "shift" else 0
    role = "sup"
    wait_time = WAIT

    def on_start(self) -> None:
        super().on_start()
        with self.client.post("/api/auth/token", json={"username": self.username, "password": PASSWORD},
                              name="login (API)", catch_response=True) as response:  # fmt: skip
            check(response)
            self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"} if response.ok else {}

    @task(4)
    def queue(self) -> None:
        self.page("/review", "review queue page")

    @task(4)
    def decide(self) -> None:
        with self.client.get("/api/cases", params={"status": "pending", "per_page": 5}, headers=self.headers,
                             name="review queue", catch_response=True) as response:  # fmt: skip
            check(response)
            pending = [case["id"] for case in response.json()["items"]] if response.status_code == 200 else []
        if pending:
            decision = random.choice(("approve", "approve", "approve", "reject"))
            with self.client.post(
                f"/api/cases/{random.choice(pending)}/review", headers=self.headers, name="review",
                json={"decision": decision, "comment": "请补充客人的反馈" if decision == "reject" else "很好"},
                catch_response=True,
            ) as decided:  # fmt: skip
                check(decided, expect=(200, 409))  # 409: another supervisor decided it first

    @task(2)
    def dashboard(self) -> None:
        self.page("/dashboard", "dashboard page")


class BurstAgent(ApiUser):
    """One submission, sent as soon as the user starts (the burst scenario). The agents logged in before
    the burst (``HEAT_LOAD_TOKENS``, from run.py): the burst is of submissions, not of logins."""

    weight = 1 if SCENARIO == "burst" else 0
    role = "agent"
    wait_time = constant(0)
    _tokens = itertools.cycle(os.environ.get("HEAT_LOAD_TOKENS", "").split(",") or [""])

    def on_start(self) -> None:
        self.username, token = next(self._tokens).split(":", 1)
        self.headers = {"Authorization": f"Bearer {token}"}

    @task
    def submit_once(self) -> None:
        self.api("POST", "/api/cases", "submit (burst)", expect=(201,), json=new_case(self.username))
        raise StopUser()
