"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

One server for the whole run (``uvicorn main:app`` on its own SQLite file and index, loaded with
``heatcases demo``), one browser, a fresh browser context per page, so every test starts with no
cookie but its own login. Tests create what they change (a case of their own) so that their order
does not matter.

Every page a test opens is watched: a console error (a script failing, a blocked inline script or
style), a failed request, or a request to any other host than the server fails the test. That is
how "loads fast without any external resource" and "works under the strict CSP" are held.

The suite runs once, in the SQLite pass of ``./test.sh``: the server under test has its own
database either way. Without Chromium it is skipped, except in CI, where that is an error.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from heatcases.config import Settings
from tests.conftest import ROOT, TEST_SECRET
from tests.hardening import ServerProcess, heatcases_command, process_env

CHROMIUM = os.environ.get("HEATCASES_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "heat-demo"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "docs" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling outside hosts, which this closed network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_until(page, function: str, arg=None, timeout: float = 45.0):
    """Poll a JavaScript function (``"n => ..."``) from Python until it returns something truthy, and return that.

    Playwright's ``wait_for_function`` re-evaluates its predicate with ``eval`` inside the page after the first
    try, which our Content-Security-Policy (no 'unsafe-eval') refuses: it only works when the condition already
    holds. ``page.evaluate`` runs through the DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout
    while True:
        result = page.evaluate(function, arg)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {function}")
        page.wait_for_timeout(100)


def _skip_reason() -> str | None:
    if os.environ.get("HEATCASES_DATABASE_URL", "").startswith("postgresql"):
        return "browser tests run once, in the SQLite pass (the server under test has its own database)"
    missing = []
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not missing:
        return None
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {' and '.join(missing)} for the browser tests", pytrace=False)
    return f"no {' and '.join(missing)}"


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason:
        for item in items:
            if "tests/browser/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A real server with the demo accounts, cases and 90 days of activity."""
    data = tmp_path_factory.mktemp("browser-data")
    settings = Settings(database_url=f"sqlite:///{data / 'heatcases.db'}", data_dir=data, secret_key=TEST_SECRET)
    subprocess.run(
        heatcases_command("demo"), cwd=ROOT, env=process_env(settings), check=True, capture_output=True, timeout=300
    )
    server = ServerProcess(settings, data / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What went wrong on a page while a test used it."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error" and "status of 4" not in message.text:  # 4xx pages are tested on purpose
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request) -> None:
        if request.failure and "ERR_ABORTED" not in request.failure:  # a navigation that replaced a fetch
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _request(self, request) -> None:
        if not request.url.startswith((self.origin, "data:", "blob:", "about:")):
            self.problems.append(f"request to another host: {request.url}")


class Browsing:
    """Opens pages as a user (logged in once per user and run) at laptop or phone width."""

    def __init__(self, browser, server: ServerProcess, state_dir: Path):
        self.browser = browser
        self.server = server
        self.state_dir = state_dir
        self.contexts = []
        self.watches: list[Watch] = []

    def url(self, path: str) -> str:
        return self.server.url + path

    def _state(self, username: str) -> str:
        path = self.state_dir / f"{username}.json"
        if not path.exists():
            context = self.browser.new_context(base_url=self.server.url)
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            context.storage_state(path=str(path))
            context.close()
        return str(path)

    def page(self, username: str | None = None, *, viewport=LAPTOP, lang: str | None = None, **options):
        """A new page in a context of its own; logged in as ``username`` unless None."""
        state = self._state(username) if username else None
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=viewport,
            storage_state=state,
            is_mobile=viewport is PHONE,
            has_touch=viewport is PHONE,
            **options,
        )
        if lang:
            context.add_cookies([{"name": "heat_lang", "value": lang, "url": self.server.url}])
        self.contexts.append(context)
        page = context.new_page()
        watch = Watch(self.server.url)
        watch.attach(page)
        self.watches.append(watch)
        return page

    def close(self) -> list[str]:
        for context in self.contexts:
            context.close()
        return [problem for watch in self.watches for problem in watch.problems]


@pytest.fixture(scope="session")
def _states(tmp_path_factory):
    return tmp_path_factory.mktemp("browser-states")


@pytest.fixture
def browsing(browser, live_server, _states):
    """Pages as users; the test fails when any of its pages logged an error or left the server."""
    session = Browsing(browser, live_server, _states)
    yield session
    problems = session.close()
    assert not problems, "\n".join(problems)
