"""Web security as a user or an attacker would notice it: the login throttle, no user enumeration, the
session cookie's flags, security headers and no inline code, CSRF on every form, no password in any log."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, update
from typer.testing import CliRunner

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.app import create_app
from heatcases.cli import app as cli
from heatcases.models import LoginFailure
from heatcases.vocab import BUSINESS_LINE_CODES
from tests.conftest import PASSWORD, ROOT, STORY, TEST_SECRET, csrf_from
from tests.lessons.conftest import lesson_payload
from tests.praise import files as praise_files

WRONG = "wrong-password-1"


def api_login(client, username: str, password: str = PASSWORD):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def page_login(web, username: str, password: str = PASSWORD):
    token = csrf_from(web.get("/login").text)
    return web.post("/login", data={"username": username, "password": password, "csrftoken": token})


def set_cookie(response, name: str) -> str:
    """The Set-Cookie header that sets this cookie."""
    found = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def cookie_flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def error_text(response) -> str:
    return BeautifulSoup(response.text, "html.parser").select_one(".error").get_text(strip=True)


def failures(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(LoginFailure)).scalar_one()


def age_failures(engine, by: timedelta) -> None:
    """Move every recorded failure back in time, as if ``by`` had passed."""
    with db.session_scope(engine) as session:
        for row in session.execute(select(LoginFailure.id, LoginFailure.failed_at)).all():
            session.execute(update(LoginFailure).where(LoginFailure.id == row.id).values(failed_at=row.failed_at - by))
        session.commit()


def page_routes(app):
    """Every route of the app as (methods, path): routers included by FastAPI are walked into."""

    def walk(routes):
        for route in routes:
            if hasattr(route, "effective_candidates"):  # a router included by FastAPI
                yield from walk(route.effective_candidates())
            elif getattr(route, "methods", None):
                yield route.methods, route.path

    return [(methods, path) for methods, path in walk(app.routes) if not path.startswith("/api")]


# --- 1. the login throttle -----------------------------------------------------------------------


class TestLoginThrottle:
    def test_five_failures_lock_the_username_even_for_the_right_password(self, client, make_actor, settings, report):
        make_actor("agent", "agent_a")
        answers = [api_login(client, "agent_a", WRONG).status_code for _ in range(settings.login_max_failures)]
        assert answers == [401] * 5
        refused = api_login(client, "agent_a")  # the right password, too late
        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 895 <= retry_after <= 900
        assert set(refused.json()) == {"detail"} and "too many failed logins" in refused.json()["detail"]
        report(f"{settings.login_max_failures} failures for a username -> 429, Retry-After {retry_after} s")

    def test_the_login_page_refuses_with_429_and_a_message_in_the_users_language(self, app, make_actor):
        make_actor("agent", "agent_a")
        web = TestClient(app, follow_redirects=False)
        assert [page_login(web, "agent_a", WRONG).status_code for _ in range(5)] == [401] * 5
        refused = page_login(web, "agent_a")
        assert refused.status_code == 429 and 895 <= int(refused.headers["retry-after"]) <= 900
        assert error_text(refused) == "登录失败次数过多，已暂时锁定。请 15 分钟后再试。"
        assert "heat_session=" not in str(refused.headers.get_list("set-cookie"))
        web.cookies.set("heat_lang", "en")
        english = page_login(web, "agent_a")
        assert english.status_code == 429
        assert error_text(english) == "Too many failed logins: locked for now. Try again in 15 min."

    def test_page_and_api_failures_count_together(self, app, client, make_actor):
        make_actor("agent", "agent_a")
        web = TestClient(app, follow_redirects=False)
        for _ in range(3):
            assert api_login(client, "agent_a", WRONG).status_code == 401
        for _ in range(2):
            assert page_login(web, "agent_a", WRONG).status_code == 401
        assert api_login(client, "agent_a").status_code == 429
        assert page_login(web, "agent_a").status_code == 429

    def test_the_lock_lifts_after_the_lockout(self, app, client, make_actor, settings):
        make_actor("agent", "agent_a")
        for _ in range(5):
            api_login(client, "agent_a", WRONG)
        for _ in range(10):  # refused attempts neither count nor extend the lock
            assert api_login(client, "agent_a", WRONG).status_code == 429
        assert failures(app.state.engine) == 5
        age_failures(app.state.engine, timedelta(minutes=settings.login_lockout_minutes) - timedelta(seconds=30))
        refused = api_login(client, "agent_a")
        assert refused.status_code == 429 and 25 <= int(refused.headers["retry-after"]) <= 30
        age_failures(app.state.engine, timedelta(seconds=31))
        assert api_login(client, "agent_a").status_code == 200

    def test_failures_spread_wider_than_the_window_do_not_lock(self, app, client, make_actor):
        make_actor("agent", "agent_a")
        for _ in range(4):
            api_login(client, "agent_a", WRONG)
        age_failures(app.state.engine, timedelta(minutes=16))  # four failures, 16 minutes ago
        assert api_login(client, "agent_a", WRONG).status_code == 401  # a fifth, but not within 15 minutes
        assert api_login(client, "agent_a").status_code == 200

    def test_a_success_clears_the_usernames_failures(self, app, client, make_actor):
        make_actor("agent", "agent_a")
        for _ in range(4):
            assert api_login(client, "agent_a", WRONG).status_code == 401
        assert api_login(client, "agent_a").status_code == 200
        assert failures(app.state.engine) == 0
        for _ in range(4):
            assert api_login(client, "agent_a", WRONG).status_code == 401
        assert api_login(client, "agent_a").status_code == 200

    def test_a_locked_username_does_not_lock_other_users(self, client, make_actor):
        make_actor("agent", "agent_a")
        make_actor("agent", "agent_b")
        for _ in range(6):
            api_login(client, "agent_a", WRONG)
        assert api_login(client, "agent_a").status_code == 429
        assert api_login(client, "agent_b").status_code == 200

    def test_thirty_failures_from_one_address_lock_it_for_every_username(self, app, client, make_actor, report):
        make_actor("agent", "agent_a")
        answers = [api_login(client, f"guess{n}", WRONG).status_code for n in range(30)]  # 30 names, 1 try each
        assert answers == [401] * 30
        refused = api_login(client, "agent_a")
        assert refused.status_code == 429 and 895 <= int(refused.headers["retry-after"]) <= 900
        web = TestClient(app, follow_redirects=False)  # the page shares the address's count
        assert page_login(web, "agent_a").status_code == 429
        elsewhere = TestClient(app, client=("203.0.113.9", 50000))
        assert api_login(elsewhere, "agent_a").status_code == 200
        report("30 failures from one address (30 usernames) -> 429 for every username from it; others unaffected")

    def test_the_address_is_the_one_a_trusted_proxy_forwards(self, live_server, make_actor):
        make_actor("agent", "agent_a")
        url = f"{live_server}/api/auth/token"
        for n in range(30):
            forwarded = {"X-Forwarded-For": "198.51.100.7"}  # uvicorn trusts 127.0.0.1 by default
            assert httpx.post(url, json={"username": f"g{n}", "password": WRONG}, headers=forwarded).status_code == 401
        body = {"username": "agent_a", "password": PASSWORD}
        assert httpx.post(url, json=body, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
        assert httpx.post(url, json=body, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200

    def test_failures_live_in_the_database_shared_by_every_worker(self, settings, make_actor):
        make_actor("agent", "agent_a")
        first, second = create_app(settings), create_app(settings)  # two worker processes' apps
        try:
            with TestClient(first) as one, TestClient(second) as two:
                for _ in range(5):
                    assert api_login(one, "agent_a", WRONG).status_code == 401
                assert api_login(two, "agent_a").status_code == 429
        finally:
            for application in (first, second):
                application.state.engine.dispose()

    def test_parallel_guesses_cannot_get_past_the_limit(self, live_server, make_actor, report):
        make_actor("agent", "agent_a")
        start = threading.Barrier(20)

        def guess(n):
            with httpx.Client(base_url=live_server, timeout=60) as http:
                start.wait()
                return http.post("/api/auth/token", json={"username": "agent_a", "password": f"guess-{n}"}).status_code

        with ThreadPoolExecutor(20) as pool:
            answers = sorted(pool.map(guess, range(20)))
        assert answers == [401] * 5 + [429] * 15
        report("20 parallel guesses for one username: 5 checked (401), 15 refused (429)")

    def test_old_failures_are_deleted_when_a_failure_is_recorded(self, app, client):
        api_login(client, "ghost", WRONG)
        age_failures(app.state.engine, timedelta(minutes=31))  # older than window + lockout: cannot matter
        api_login(client, "ghost2", WRONG)
        assert failures(app.state.engine) == 1

    def test_the_username_is_not_stored_as_typed(self, app, client):
        api_login(client, "my-Secret-Passw0rd", WRONG)  # someone typed the password into the username field
        with app.state.engine.connect() as connection:
            rows = [tuple(map(str, row)) for row in connection.execute(select(LoginFailure))]
        assert rows and not any("my-Secret-Passw0rd" in value for row in rows for value in row)

    def test_the_check_is_one_indexed_query(self, app, client, report):
        selects = []

        def seen(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT") and "login_failure" in statement:
                selects.append((statement, parameters))

        event.listen(app.state.engine, "before_cursor_execute", seen)
        try:
            assert api_login(client, "ghost", WRONG).status_code == 401
        finally:
            event.remove(app.state.engine, "before_cursor_execute", seen)
        assert len(selects) == 1, [statement for statement, _ in selects]
        statement, parameters = selects[0]
        with app.state.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                plan = " | ".join(
                    row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                )
                assert "SCAN login_failure" not in plan
            else:
                connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table is scanned otherwise
                plan = " | ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
                assert "Seq Scan" not in plan
        assert "ix_login_failure_username_failed" in plan and "ix_login_failure_ip_failed" in plan
        report("throttle check: 1 query, index range scans on ix_login_failure_username_failed and _ip_failed")

    def test_limits_of_zero_turn_the_throttle_off(self, settings, make_actor):
        make_actor("agent", "agent_a")
        relaxed = create_app(settings.model_copy(update={"login_max_failures": 0, "login_max_failures_per_ip": 0}))
        try:
            with TestClient(relaxed) as http:
                for _ in range(8):
                    assert api_login(http, "agent_a", WRONG).status_code == 401
                assert api_login(http, "agent_a").status_code == 200
                assert failures(relaxed.state.engine) == 0
        finally:
            relaxed.state.engine.dispose()

    def test_the_token_endpoint_documents_429_and_retry_after(self, client):
        responses = client.get("/openapi.json").json()["paths"]["/api/auth/token"]["post"]["responses"]
        assert "Retry-After" in responses["429"]["headers"]


# --- 2. no user enumeration ----------------------------------------------------------------------


class CountingHasher:
    """The real hasher, counting what it verifies against."""

    def __init__(self, inner):
        self.inner = inner
        self.verified: list[str] = []

    def verify(self, hash_, password):
        self.verified.append(hash_)
        return self.inner.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class TestNoUserEnumeration:
    def test_api_unknown_user_and_wrong_password_answer_the_same(self, client, make_actor):
        make_actor("agent", "agent_a")
        wrong, unknown = api_login(client, "agent_a", WRONG), api_login(client, "nobody", WRONG)
        assert (wrong.status_code, wrong.json(), wrong.headers.get("www-authenticate")) == (
            unknown.status_code,
            unknown.json(),
            unknown.headers.get("www-authenticate"),
        )
        assert wrong.content == unknown.content

    def test_page_unknown_user_wrong_password_and_disabled_account_answer_the_same(self, app, make_actor):
        make_actor("agent", "agent_a")
        make_actor("agent", "agent_off")
        with db.session_scope(app.state.engine) as session:
            accounts.update_user(session, "agent_off", active=False)
        web = TestClient(app, follow_redirects=False)
        answers = {
            "agent_a": page_login(web, "agent_a", WRONG),
            "nobody1": page_login(web, "nobody1", WRONG),
            "agent_off": page_login(web, "agent_off", PASSWORD),  # the right password of a disabled account
        }
        assert {response.status_code for response in answers.values()} == {401}
        assert {error_text(response) for response in answers.values()} == {"用户名或密码不正确，或账号已停用。"}
        # The same page but for the username typed, which the form keeps.
        bodies = {response.text.replace(name, "NAME") for name, response in answers.items()}
        assert len(bodies) == 1

    def test_unknown_usernames_are_throttled_like_known_ones(self, app, client, make_actor):
        make_actor("agent", "agent_a")
        known = [api_login(client, "agent_a", WRONG) for _ in range(6)]
        unknown = [api_login(client, "nobody", WRONG) for _ in range(6)]
        assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
        assert abs(int(known[-1].headers["retry-after"]) - int(unknown[-1].headers["retry-after"])) <= 2
        web = TestClient(app, follow_redirects=False)
        page_known, page_unknown = page_login(web, "agent_a"), page_login(web, "nobody")
        assert page_known.status_code == page_unknown.status_code == 429
        assert error_text(page_known) == error_text(page_unknown)

    def test_an_unknown_username_costs_a_password_verification(self, app, client, make_actor, monkeypatch):
        make_actor("agent", "agent_a")
        make_actor("agent", "agent_off")
        with db.session_scope(app.state.engine) as session:
            accounts.update_user(session, "agent_off", active=False)
        hasher = CountingHasher(accounts._hasher)
        monkeypatch.setattr(accounts, "_hasher", hasher)
        for username, password in [
            ("agent_a", WRONG),
            ("nobody", WRONG),
            ("agent_off", PASSWORD),
            ("x" * 150 + "\x00", WRONG),
        ]:
            before = len(hasher.verified)
            assert api_login(client, username, password).status_code == 401
            assert len(hasher.verified) == before + 1, username
            assert hasher.verified[-1].startswith("$argon2id$"), username

    def test_timing_of_unknown_and_known_usernames(self, app, client, monkeypatch, report):
        """A figure, not a pass mark: with the real Argon2 cost, both take about one verification."""
        monkeypatch.setattr(accounts, "_hasher", PasswordHasher())
        with db.session_scope(app.state.engine) as session:
            accounts.create_user(session, username="agent_t", password=PASSWORD, role="agent")

        def timed(username):
            started = time.perf_counter()
            assert api_login(client, username, WRONG).status_code == 401
            return (time.perf_counter() - started) * 1000

        api_login(client, "warm-up", WRONG)  # the dummy hash is made once
        known = statistics.median(timed("agent_t") for _ in range(3))
        unknown = statistics.median(timed(f"nobody{n}") for n in range(3))
        report(f"login with the real Argon2 cost: wrong password {known:.0f} ms, unknown user {unknown:.0f} ms")


# --- 3. the session cookie -----------------------------------------------------------------------


class TestSessionCookie:
    def test_http_login_cookie_is_httponly_and_lax_but_not_secure(self, app, make_actor):
        make_actor("agent", "agent_a")
        response = page_login(TestClient(app, follow_redirects=False), "agent_a")
        assert response.status_code == 303
        flags = cookie_flags(set_cookie(response, "heat_session"))
        assert {"httponly", "samesite=lax"} <= flags and "secure" not in flags

    def test_https_login_cookie_is_secure(self, app, make_actor):
        make_actor("agent", "agent_a")
        web = TestClient(app, base_url="https://testserver", follow_redirects=False)
        response = page_login(web, "agent_a")
        assert response.status_code == 303
        assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(set_cookie(response, "heat_session"))

    def test_behind_a_proxy_x_forwarded_proto_https_makes_it_secure(self, live_server, make_actor):
        make_actor("agent", "agent_a")
        with httpx.Client(base_url=live_server, headers={"X-Forwarded-Proto": "https"}) as http:
            token = csrf_from(http.get("/login").text)
            response = http.post("/login", data={"username": "agent_a", "password": PASSWORD, "csrftoken": token})
        assert response.status_code == 303
        assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(set_cookie(response, "heat_session"))

    def test_the_setting_makes_it_secure_on_plain_http(self, settings, make_actor):
        make_actor("agent", "agent_a")
        secure = create_app(settings.model_copy(update={"cookie_secure": True}))
        try:
            with TestClient(secure, follow_redirects=False) as web:
                token = csrf_from(web.get("/login").text)
                # The client keeps Secure cookies for HTTPS, so the form's cookie is sent by hand here.
                form = {"username": "agent_a", "password": PASSWORD, "csrftoken": token}
                response = web.post("/login", data=form, headers={"Cookie": f"heat_csrf={token}"})
            assert response.status_code == 303
            assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(set_cookie(response, "heat_session"))
        finally:
            secure.state.engine.dispose()


# --- 4. security headers and no inline code ------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response) -> None:
    csp = csp_directives(response.headers["content-security-policy"])
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src == ["'self'"], script_src  # no 'unsafe-inline', 'unsafe-eval', hosts or data:
    assert "'unsafe-inline'" not in csp.get("style-src", csp.get("default-src"))
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


class TestSecurityHeaders:
    def test_every_kind_of_response_carries_them(self, app, agent, browser, report):
        web = browser("agent_li")
        anonymous = TestClient(app, follow_redirects=False)
        csrf_refused = web.post("/logout", data={})
        big = b"x" * (2 * 1024 * 1024)
        responses = {
            "page": web.get("/"),
            "login page": anonymous.get("/login"),
            "redirect to login": anonymous.get("/cases"),
            "API JSON": agent.get("/api/me"),
            "API 401": anonymous.get("/api/me"),
            "static file": anonymous.get("/static/css/app.css"),
            "404 page": web.get("/no/such/page"),
            "404 JSON": agent.get("/api/no-such-thing"),
            "422 JSON": agent.post("/api/cases", json={"title": 1}),
            "422 page": web.get("/cases?page=zero"),
            "413 JSON": agent.post("/api/cases", content=big, headers={"Content-Type": "application/json"}),
            "413 page": web.post(
                "/cases/new", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
            ),
            "400 malformed multipart": web.post(
                "/cases/new", content=b"x", headers={"Content-Type": "multipart/form-data"}
            ),
            "403 CSRF": csrf_refused,
        }
        for _ in range(6):
            throttled = api_login(anonymous, "nobody", WRONG)
        responses["429 JSON"] = throttled
        expected = {"404 page": 404, "404 JSON": 404, "422 JSON": 422, "422 page": 422, "413 JSON": 413,
                    "413 page": 413, "400 malformed multipart": 400, "403 CSRF": 403, "429 JSON": 429,
                    "redirect to login": 303, "API 401": 401}  # fmt: skip
        for kind, response in responses.items():
            assert response.status_code == expected.get(kind, 200), kind
            assert_security_headers(response)
        report(f"security headers on {len(responses)} kinds of response: " + ", ".join(responses))


SCRIPT_OK = re.compile(r"^/static/")


def inline_code(html: str) -> list[str]:
    """What a strict CSP would block or what is inline code: script without src (but JSON data blocks),
    event handler attributes, style attributes and elements, javascript: URLs, scripts from elsewhere."""
    problems = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                problems.append(f"<{tag.name} {name}=>")
            if name.lower() == "style":
                problems.append(f"<{tag.name} style=>")
            if name.lower() in ("href", "src", "action", "formaction") and str(value).strip().lower().startswith(
                "javascript:"
            ):
                problems.append(f"<{tag.name} {name}=javascript:>")
        if tag.name == "style":
            problems.append("<style>")
        if tag.name == "script":
            code = (tag.string or "").strip()
            if tag.get("src"):
                if not SCRIPT_OK.match(tag["src"]) or code:
                    problems.append(f"<script src={tag['src']}> with code or from elsewhere")
            elif tag.get("type") == "application/json":
                json.loads(code)  # a data block, nothing to run
            else:
                problems.append(f"inline <script>: {code[:60]}")
    return problems


@pytest.fixture
def site(app, make_actor, browser, submit):
    """Every role logged in, and cases in every state with views, so pages show all they can."""
    actors = {
        "agent": make_actor("agent", "agent_li", name="李客服"),
        "trainee": make_actor("trainee", "trainee_xu"),
        "supervisor": make_actor("supervisor", "sup_zhang"),
        "admin": make_actor("admin", "admin1", team=None),
    }
    agent, supervisor, trainee = actors["agent"], actors["supervisor"], actors["trainee"]
    cases = {state: submit(agent, title=f"{state} 航班取消改签")["id"] for state in ("pending", "approved", "rejected")}
    supervisor.post(f"/api/cases/{cases['approved']}/review", json={"decision": "approve", "comment": "好"})
    supervisor.post(f"/api/cases/{cases['approved']}/feature")
    supervisor.post(f"/api/cases/{cases['rejected']}/review", json={"decision": "reject", "comment": "请补充结果"})
    trainee.get("/api/search?q=航班")
    trainee.get(f"/api/cases/{cases['approved']}")
    # a synonym group and a pin, for the synonyms page's forms
    cases["group"] = supervisor.post("/api/search/synonyms", json={"words": ["台风天", "台风天气"]}).json()["id"]
    pin = {"query": "航班", "case_id": cases["approved"]}
    cases["pin"] = supervisor.post("/api/search/pins", json=pin).json()["id"]
    # praise evidence: the author's picture waiting for approval, the supervisor's video (the case page plays it)
    evidence = f"/api/cases/{cases['approved']}/attachments"
    cases["attachment"] = agent.post(evidence, files={"file": ("p.png", PICTURE, "image/png")}).json()["id"]
    supervisor.post(evidence, files={"file": ("v.webm", praise_files.video_bytes("webm"), "video/webm")})
    # a review checklist item, a calibration round, a reading list given to the agent
    admin = actors["admin"]
    items = admin.get("/api/review/checklist").json()
    cases["item"] = items[0]["id"]
    calibration = {"title": "校准", "case_ids": [cases["pending"], cases["approved"]],
                   "supervisors": [supervisor.username, admin.username]}  # fmt: skip
    cases["round"] = supervisor.post("/api/calibration/rounds", json=calibration).json()["id"]
    cases["scores"] = {f"score-{case_id}-{item['id']}": "met"
                       for case_id in (cases["pending"], cases["approved"]) for item in items}  # fmt: skip
    unread = submit(agent, title="还没人读过的航班案例")["id"]  # the trainee has a list to finish (to be reminded of)
    supervisor.post(f"/api/cases/{unread}/review", json={"decision": "approve", "comment": "好"})
    reading = {"title": "本周必读", "due_on": "2999-01-01", "items": [unread]}
    cases["list"] = supervisor.post("/api/reading-lists", json=reading).json()["id"]
    supervisor.post(f"/api/reading-lists/{cases['list']}/assign", json={"usernames": [trainee.username]})
    webs = {role: browser(actor.username) for role, actor in actors.items()}
    return webs, cases


def rendered_pages(app, webs, cases):
    """Every page route (GET) for every role, path parameters filled in, plus a few variants: the HTML
    pages answered with 200, as {(role, url): response}."""
    params = {"case_id": [cases["approved"], cases["pending"], cases["rejected"]], "code": [], "table": [],
              "attachment_id": [cases["attachment"]], "item_id": [cases["item"]], "round_id": [cases["round"]],
              "list_id": [cases["list"]]}  # fmt: skip
    urls = ["/search?q=航班", "/cases?tag=heartwarming&featured=true", "/cases/999999"]
    for methods, path in page_routes(app):
        if "GET" not in methods or path.startswith("/static"):
            continue
        names = re.findall(r"{(\w+)}", path)
        assert set(names) <= set(params), f"a new path parameter in {path}: teach this test a value for it"
        if not names:
            urls.append(path)
        for name in names:
            urls.extend(path.replace(f"{{{name}}}", str(value)) for value in params[name])
    pages = {}
    for role, web in webs.items():
        for url in urls:
            response = web.get(url)
            if response.headers.get("content-type", "").startswith("text/html") and response.status_code in (200, 404):
                pages[(role, url)] = response
    anonymous = TestClient(app, follow_redirects=False)
    pages[("anonymous", "/login")] = anonymous.get("/login")
    pages[("anonymous", "/login (failed)")] = page_login(anonymous, "nobody", WRONG)
    return pages


REQUIRED_PAGES = {
    ("trainee", "/"),
    ("agent", "/"),
    ("trainee", "/cases"),
    ("trainee", "/search?q=航班"),
    ("supervisor", "/dashboard"),
    ("agent", "/me/impact"),
    ("trainee", "/me/progress"),
    ("supervisor", "/review"),
    ("agent", "/cases/new"),
    ("admin", "/admin/users"),
}


class TestNoInlineCode:
    def test_no_page_of_any_role_has_inline_script_handlers_or_styles(self, app, site, report):
        webs, cases = site
        pages = rendered_pages(app, webs, cases)
        required = REQUIRED_PAGES | {
            ("trainee", f"/cases/{cases['approved']}"),
            ("agent", f"/cases/{cases['pending']}"),
        }
        assert required <= {key for key, response in pages.items() if response.status_code == 200}
        found = {f"{role} {url}": problems for (role, url), r in pages.items() if (problems := inline_code(r.text))}
        assert found == {}
        for response in pages.values():
            assert_security_headers(response)
        scripts = sum(len(BeautifulSoup(r.text, "html.parser").find_all("script")) for r in pages.values())
        report(f"{len(pages)} rendered pages over 5 roles ({scripts} script tags, all from /static or JSON data): "
               "no inline code, handler or style attribute")  # fmt: skip


# --- 5. CSRF on every form -----------------------------------------------------------------------

CASE_FORM = {
    "title": "CSRF 提交的案例",
    "body": STORY,
    "tags": ["heartwarming"],
    "behaviors": ["empathy"],
    "business_line": "flight",
    "channel": "phone",
    "occurred_on": "2026-10-01",
    "praise": "letter",
}

PICTURE = praise_files.image_bytes("PNG")
# Every page route that changes something: who posts it, on which case, with a form that would work.
LESSON_FORM = {key: value for key, value in lesson_payload().items() if key != "kind"}
VALUE_FORM = {
    **{
        f"{line}-{key}": "3"
        for line in BUSINESS_LINE_CODES
        for key in ("revenue_per_order", "orders_per_year", "years")
    },  # fmt: skip
    **{f"shares-{code}": "0.5" for code in "ABC"},
}
POSTS = {
    "/login": ("admin", None, {"username": "agent_li", "password": PASSWORD}),
    "/logout": ("agent", None, {}),
    "/admin/users": ("admin", None, {"username": "csrf_made", "password": "secret-123", "role": "admin"}),
    "/admin/users/{username}": ("admin", None, {"role": "admin"}),
    "/cases/new": ("agent", None, CASE_FORM),
    "/cases/{case_id}/edit": ("agent", "pending", {**CASE_FORM, "title": "被改过的标题"}),
    "/cases/{case_id}/review": ("supervisor", "pending", {"decision": "approve"}),
    "/cases/{case_id}/feature": ("supervisor", "approved", {"featured": "0"}),  # it is featured
    "/cases/{case_id}/archive": ("supervisor", "approved", {"archived": "1"}),
    "/cases/new/draft": ("agent", None, {"title": "写了一半"}),
    "/cases/new/draft/discard": ("agent", None, {}),  # the test leaves a draft to discard first
    "/cases/{case_id}/draft": ("agent", "rejected", {"title": "改了一半"}),
    "/cases/{case_id}/draft/discard": ("agent", "rejected", {}),
    "/synonyms/groups": ("supervisor", None, {"words": "强对流天气 雷雨"}),
    "/synonyms/groups/{group_id}": ("supervisor", None, {"words": "爆满 超售"}),
    "/synonyms/groups/{group_id}/remove": ("supervisor", None, {}),
    "/synonyms/pins": ("supervisor", None, {"query": "改签", "case": "{approved}"}),  # the approved case's id
    "/synonyms/pins/{pin_id}/remove": ("supervisor", None, {}),
    "/me/profile": ("agent", None, {"language": "en"}),
    "/me/password": ("agent", None, {"current_password": PASSWORD, "new_password": "Harbour-lantern-42",
                                     "confirm_password": "Harbour-lantern-42"}),
    "/admin/users/bulk": ("admin", None, {"action": "team", "value": "跨站组", "user": "agent_li"}),
    "/admin/users/import": ("admin", None, {"file": ("r.csv", b"username,role\ncsrf_new,agent\n", "text/csv")}),
    "/admin/directory/sync": ("admin", None, {}),
    "/lessons/new": ("agent", None, LESSON_FORM),
    "/lessons/{case_id}/edit": ("agent", "pending", LESSON_FORM),  # an exemplar written up again as a lesson
    "/settings/customer-value": ("admin", None, VALUE_FORM),
    "/cases/{case_id}/attachments": ("agent", "approved", {"file": ("p.png", PICTURE, "image/png")}),
    "/attachments/{attachment_id}/approve": ("supervisor", None, {}),
    "/attachments/{attachment_id}/delete": ("agent", None, {}),
    "/admin/checklist": ("admin", None, {"label_zh": "标题概括了故事", "label_en": "The title sums up the story"}),
    "/admin/checklist/{item_id}": ("admin", None, {"label_zh": "情况交代得清楚", "label_en": "The situation is clear"}),
    "/admin/checklist/{item_id}/active": ("admin", None, {"active": "0"}),
    "/admin/checklist/{item_id}/move": ("admin", None, {"position": "2"}),
    "/calibration": ("supervisor", None, {"title": "第二轮校准", "case": ["{approved}", "{pending}"],
                                          "supervisor": ["sup_zhang", "admin1"]}),
    "/calibration/{round_id}/scores": ("supervisor", None, "{scores}"),  # every item of every case: the fixture's
    "/calibration/{round_id}/close": ("supervisor", None, {}),
    "/reading": ("supervisor", None, {"title": "下周必读", "due_on": "2999-01-01", "items": "{approved}"}),
    "/reading/{list_id}/assign": ("supervisor", None, {"usernames": "agent_li"}),
    "/reading/{list_id}/remind": ("supervisor", None, {}),
    "/reading/{list_id}/unassign": ("supervisor", None, {"username": "trainee_xu"}),
    "/reading/{list_id}/delete": ("supervisor", None, {}),
    "/me/notifications/read": ("agent", None, {}),  # the approval of the agent's case told them: all read now
    "/me/notifications/settings": ("agent", None, {"in_app": "digest"}),
}  # fmt: skip
# Forms whose accepted post answers otherwise than 200 or 303 here: no directory is configured in these tests
# (tests/directory/test_sync.py posts the sync with its token to a real directory).
ACCEPTED = {"/admin/directory/sync": 409}


def snapshot(engine) -> dict:
    """Every row of every table (but the search index's log and replicas, which its thread writes on its own)."""
    with engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(select(table))))
            for table in db.metadata.sorted_tables
            if table.name not in {"search_change", "search_replica", "search_log_state"}
        }


class TestCsrf:
    def test_every_changing_page_route_is_in_the_table(self, app):
        changing = {path for methods, path in page_routes(app) if methods - {"GET", "HEAD", "OPTIONS"}}
        assert changing == set(POSTS), "a new form route: add it to POSTS with a form that would work"

    @pytest.mark.parametrize("path", sorted(POSTS))
    def test_a_post_without_the_token_is_refused_and_changes_nothing(self, app, site, browser, path):
        role, state, form = POSTS[path]
        webs, cases = site
        web = browser({"agent": "agent_li", "admin": "admin1", "supervisor": "sup_zhang"}[role])
        url = path.replace("{username}", "agent_li").replace("{case_id}", str(cases.get(state, 0)))
        url = url.replace("{group_id}", str(cases["group"])).replace("{pin_id}", str(cases["pin"]))
        url = url.replace("{attachment_id}", str(cases["attachment"])).replace("{item_id}", str(cases["item"]))
        url = url.replace("{round_id}", str(cases["round"])).replace("{list_id}", str(cases["list"]))
        form = cases["scores"] if form == "{scores}" else form
        filled = {"{approved}": str(cases["approved"]), "{pending}": str(cases["pending"])}
        form = {name: [filled.get(one, one) for one in value] if isinstance(value, list) else filled.get(value, value)
                for name, value in form.items()}  # fmt: skip
        files = {name: value for name, value in form.items() if isinstance(value, tuple)} or None  # multipart
        form = {name: value for name, value in form.items() if not isinstance(value, tuple)}
        if path.endswith("/draft/discard"):
            draft = {"title": "写了一半", "csrftoken": web.cookies.get("heat_csrf")}
            assert web.post(url.removesuffix("/discard"), data=draft).status_code == 200
        other_sessions_token = csrf_from(webs["trainee"].get("/").text)
        assert other_sessions_token != web.cookies.get("heat_csrf")
        for attempt in ({}, {"csrftoken": ""}, {"csrftoken": other_sessions_token}):
            before = snapshot(app.state.engine)
            refused = web.post(url, data={**form, **attempt}, files=files)
            assert refused.status_code == 403, (path, attempt)
            assert "页面已过期" in refused.text
            assert snapshot(app.state.engine) == before, (path, attempt)
        # The same post with the page's token goes through, so the 403 was the token's doing.
        before = snapshot(app.state.engine)
        accepted = web.post(url, data={**form, "csrftoken": web.cookies.get("heat_csrf")}, files=files)
        if path in ACCEPTED:
            assert accepted.status_code == ACCEPTED[path], (path, accepted.status_code)
            return
        assert accepted.status_code in (200, 303), (path, accepted.status_code)
        assert snapshot(app.state.engine) != before, path

    def test_json_and_header_tricks_do_not_skip_the_check(self, app, site):
        webs, cases = site
        web = webs["supervisor"]
        before = snapshot(app.state.engine)
        url = f"/cases/{cases['pending']}/review"
        assert web.post(url, json={"decision": "approve"}).status_code == 403
        assert web.post(url, content=b"decision=approve", headers={"Content-Type": "text/plain"}).status_code == 403
        assert web.post(url, data={"decision": "approve"}, headers={"X-CSRFToken": "forged"}).status_code == 403
        assert snapshot(app.state.engine) == before

    def test_every_post_form_on_every_page_carries_the_token(self, app, site, report):
        webs, cases = site
        pages = rendered_pages(app, webs, cases)
        checked = 0
        for (role, url), response in pages.items():
            cookie = response.cookies.get("heat_csrf") or (
                webs[role].cookies.get("heat_csrf") if role in webs else None
            )
            for form in BeautifulSoup(response.text, "html.parser").find_all("form"):
                if (form.get("method") or "get").lower() != "post":
                    continue
                token = form.find("input", attrs={"name": "csrftoken"})
                assert token is not None, f"{role} {url}: {form.get('action')}"
                assert token.get("type") == "hidden" and token.get("value"), f"{role} {url}: {form.get('action')}"
                if cookie:
                    assert token["value"] == cookie, f"{role} {url}: {form.get('action')}"
                checked += 1
        assert checked > 20
        report(f"{checked} POST forms on {len(pages)} pages carry the CSRF token; {len(POSTS)} POST routes refuse "
               "a post without it (403, nothing changed)")  # fmt: skip


# --- 6. passwords never logged -------------------------------------------------------------------

SECRETS = {
    "login_ok": "Pw-login-ok-7731",
    "login_bad": "Pw-login-bad-4410",
    "api_ok": "Pw-api-ok-5521",
    "api_bad": "Pw-api-bad-9902",
    "cli_add": "Pw-cli-add-3307",
    "cli_sub": "Pw-cli-sub-6613",
    "cli_reset": "Pw-cli-reset-1187",
    "page_add": "Pw-page-add-2209",
    "page_reset": "Pw-page-reset-8845",
    "cli_error": "Pw-cli-error-4471",
}


def leaks(text_: str) -> list[str]:
    return [name for name, password in SECRETS.items() if password in text_]


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_database(settings, tmp_path):
    """A database for tests that start other processes: on SQLite a file of their own, migrated, so another
    process never shares the session's file (whose locks an earlier test may have broken by reading the file
    outside SQLite); on PostgreSQL the test database, emptied after the test as usual."""
    if not settings.is_sqlite:
        return settings
    own = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'own.db'}", "data_dir": tmp_path / "own"})
    assert own.sqlalchemy_url.endswith("/own.db")
    engine = db.make_engine(own)
    db.migrate(own, engine)
    engine.dispose()
    return own


class TestPasswordsNeverLogged:
    def test_no_log_record_holds_a_password(self, app, settings, caplog, monkeypatch, report):
        # Every logger at DEBUG, also those that set their own level (SQLAlchemy: statements and parameters).
        caplog.set_level(logging.DEBUG)
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
                caplog.set_level(logging.DEBUG, logger=name)
        monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
        runner = CliRunner()
        outputs = []

        def run(*args):
            result = runner.invoke(cli, list(args))
            assert result.exit_code == 0, result.output
            outputs.append(result.output)

        run("user", "add", "admin_cli", "--role", "admin", "--password", SECRETS["cli_add"])
        run("user", "add", "agent_cli", "--role", "agent", "--password", SECRETS["cli_sub"])
        run("user", "reset-password", "agent_cli", "--password", SECRETS["cli_reset"])
        with TestClient(app, follow_redirects=False) as web:
            assert page_login(web, "admin_cli", SECRETS["login_bad"]).status_code == 401
            failed_page = page_login(web, "admin_cli", SECRETS["login_bad"])
            assert page_login(web, "admin_cli", SECRETS["cli_add"]).status_code == 303
            page = web.get("/admin/users")
            form = {"csrftoken": csrf_from(page.text), "username": "agent_page", "role": "agent"}
            assert web.post("/admin/users", data={**form, "password": SECRETS["page_add"]}).status_code == 303
            reset = {"csrftoken": csrf_from(page.text), "password": SECRETS["page_reset"]}
            assert web.post("/admin/users/agent_page", data=reset).status_code == 303
            short = web.post("/admin/users", data={**form, "username": "agent_x", "password": "12345"})
            assert short.status_code == 422
        with TestClient(app) as client:
            assert api_login(client, "agent_page", SECRETS["api_bad"]).status_code == 401
            assert api_login(client, "agent_page", SECRETS["page_reset"]).status_code == 200
            assert api_login(client, "ghost", SECRETS["api_ok"]).status_code == 401
        assert not leaks(failed_page.text), "the failed login page echoes the password"
        records = caplog.records
        assert any(r.name.startswith("sqlalchemy.engine") for r in records), "debug logging was not captured"
        found = {r.name: leaks(record_text(r)) for r in records if leaks(record_text(r))}
        assert found == {}
        assert not any(leaks(output) for output in outputs)
        report(f"{len(records)} log records (DEBUG, SQL included) over logins, CLI and admin pages: no password")

    def test_cli_output_holds_no_password_even_when_it_fails(self, own_database, tmp_path):
        env = {
            **os.environ,
            "HEATCASES_DATABASE_URL": own_database.database_url,
            "HEATCASES_DATA_DIR": str(tmp_path / "cli-data"),
        }
        add = [sys.executable, "-m", "heatcases", "user", "add", "agent_sub", "--role", "agent"]
        done = subprocess.run([*add, "--password", SECRETS["cli_sub"]], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        unreachable = {**env, "HEATCASES_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
        failed = subprocess.run([*add, "--password", SECRETS["cli_error"]], env=unreachable, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert failed.returncode != 0 and "Traceback" in failed.stdout + failed.stderr
        assert leaks(done.stdout + done.stderr + failed.stdout + failed.stderr) == []

    def test_a_real_server_logs_no_password(self, own_database, tmp_path, report):
        engine = db.make_engine(own_database)
        with db.session_scope(engine) as session:
            accounts.create_user(session, username="admin_srv", password=SECRETS["login_ok"], role="admin")
            accounts.create_user(session, username="agent_srv", password=SECRETS["api_ok"], role="agent")
        engine.dispose()
        port = free_port()
        code = (
            "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr); "
            "logging.getLogger('sqlalchemy').setLevel(logging.DEBUG); import uvicorn; "
            f"uvicorn.run('main:app', host='127.0.0.1', port={port}, log_level='debug', proxy_headers=True)"
        )
        env = {
            **os.environ,
            "HEATCASES_DATABASE_URL": own_database.database_url,
            "HEATCASES_DATA_DIR": str(tmp_path / "server-data"),
            "HEATCASES_SECRET_KEY": TEST_SECRET,
        }
        stdout, stderr = tmp_path / "server.out", tmp_path / "server.err"
        with stdout.open("w") as out, stderr.open("w") as err:
            server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                assert server.poll() is None, stderr.read_text()[-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                try:
                    if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            with httpx.Client(base_url=base, timeout=30) as web:
                assert page_login(web, "admin_srv", SECRETS["login_bad"]).status_code == 401
                assert page_login(web, "admin_srv", SECRETS["login_ok"]).status_code == 303
                page = web.get("/admin/users")
                form = {"csrftoken": csrf_from(page.text), "username": "agent_new", "role": "agent"}
                assert web.post("/admin/users", data={**form, "password": SECRETS["page_add"]}).status_code == 303
                reset = {"csrftoken": csrf_from(page.text), "password": SECRETS["page_reset"]}
                assert web.post("/admin/users/agent_new", data=reset).status_code == 303
                assert api_login(web, "agent_srv", SECRETS["api_bad"]).status_code == 401
                assert api_login(web, "agent_srv", SECRETS["api_ok"]).status_code == 200
                assert api_login(web, "agent_new", SECRETS["page_reset"]).status_code == 200
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        access, logged = stdout.read_text(), stderr.read_text()
        assert '"POST /login HTTP/1.1" 303' in access and '"POST /api/auth/token HTTP/1.1" 401' in access
        assert '"POST /admin/users HTTP/1.1" 303' in access
        assert "sqlalchemy.engine" in logged  # the server's own logging ran at DEBUG
        assert leaks(access) == [] and leaks(logged) == []
        lines = access.count("\n") + logged.count("\n")
        report(f"real uvicorn server: {lines} lines of access and DEBUG log over logins and admin pages: no password")

    def test_a_failed_admin_form_does_not_echo_the_password(self, make_actor, browser):
        make_actor("admin", "admin1", team=None)
        web = browser("admin1")
        page = web.get("/admin/users")
        form = {"csrftoken": csrf_from(page.text), "username": "bad name", "password": SECRETS["page_add"]}
        response = web.post("/admin/users", data=form)
        assert response.status_code == 422 and SECRETS["page_add"] not in response.text
