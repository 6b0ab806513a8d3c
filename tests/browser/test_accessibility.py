"""Accessibility and small screens: axe-core (WCAG 2.0/2.1 A and AA rules) on every main page at laptop and phone
width; on a phone no sideways scrolling, even with long unbroken words, and the navigation and the search box in
reach; a keyboard-only walk with a skip link and a visible focus ring.

One browser page per (user, width) serves the whole module, so a page costs one navigation and one axe run. axe is
injected with page.evaluate, which the site's CSP does not block: the pages keep their real CSP, and the console
watch still catches any inline code.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import LAPTOP, PHONE, Browsing

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
WIDTHS = {"laptop": LAPTOP, "phone": PHONE}

# name -> (user, path); "{case}" is the first featured case linked from the home page, "{lesson}" the newest lesson.
PAGES = {
    "login": (None, "/login"),
    "home-trainee": ("trainee_xu", "/"),
    "home-agent": ("agent_li", "/"),
    "library": ("trainee_xu", "/cases"),
    "featured": ("trainee_xu", "/featured"),
    "search": ("trainee_xu", "/search?q=" + quote("老人")),
    "search-empty": ("trainee_xu", "/search?q=qqxyzzyqq"),
    "case": ("trainee_xu", "/cases/{case}"),
    "case-supervisor": ("sup_zhang", "/cases/{case}"),
    "new-case": ("agent_li", "/cases/new"),
    "my-cases": ("agent_li", "/cases/mine"),
    "review": ("sup_zhang", "/review"),
    "dashboard": ("sup_zhang", "/dashboard"),
    "synonyms": ("sup_zhang", "/synonyms"),
    "impact": ("agent_li", "/me/impact"),
    "progress": ("trainee_xu", "/me/progress"),
    "users": ("admin", "/admin/users"),
    "teams": ("admin", "/admin/teams"),
    "changes": ("admin", "/admin/changes"),
    "profile": ("agent_li", "/me/profile"),
    "lessons": ("trainee_xu", "/lessons"),
    "lesson": ("trainee_xu", "/cases/{lesson}"),
    "new-lesson": ("agent_li", "/lessons/new"),
    "customer-value": ("admin", "/settings/customer-value"),
    "praise-upload": ("sup_zhang", "/cases/{case}/attachments/new"),
    "checklist": ("admin", "/admin/checklist"),
    "calibration": ("sup_zhang", "/calibration"),
    "reading-lists": ("sup_zhang", "/reading"),
    "my-reading": ("trainee_xu", "/me/reading"),
    "notifications": ("agent_li", "/me/notifications"),
    "notification-settings": ("sup_zhang", "/me/notifications/settings"),
}

# Where the keyboard is and whether it shows: an outline or a box-shadow, on screen.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {
    what: el.tagName.toLowerCase() + ' ' + JSON.stringify((el.innerText || el.name || el.id || '').trim().slice(0, 30)),
    ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none',
    onscreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
    inMain: !!el.closest('main'),
  };
}"""

# What people type can be one long word (a pasted URL, a title without spaces): put one in every piece of text
# of the page, except the short labels kept on one line on purpose.
LONG_WORDS = """() => {
  const word = 'https://example.invalid/' + 'x'.repeat(160);
  for (const el of document.querySelectorAll(
      'main :is(h1, h2, h3, h4, a, p, li, td, span, strong, summary, blockquote, div.story)')) {
    if (!el.children.length && el.textContent.trim() && getComputedStyle(el).whiteSpace !== 'nowrap') {
      el.textContent = word;
    }
  }
}"""


class Tabs:
    """One page per (user, width), reused by every test of the module."""

    def __init__(self, browsing: Browsing):
        self.browsing = browsing
        self.pages = {}
        self.case_id = None
        self.lesson_id = None

    def open(self, user: str | None, width: str, path: str):
        """The page at ``path`` and the list its console and network problems go to."""
        if (user, width) not in self.pages:
            page = self.browsing.page(user, viewport=WIDTHS[width])
            self.pages[user, width] = page, self.browsing.watches[-1].problems
        page, problems = self.pages[user, width]
        if "{case}" in path:
            if self.case_id is None:
                page.goto("/")
                self.case_id = page.locator(".value-case a").first.get_attribute("href").removeprefix("/cases/")
            path = path.format(case=self.case_id)
        if "{lesson}" in path:
            if self.lesson_id is None:
                page.goto("/lessons")
                self.lesson_id = page.locator(".card-title a").first.get_attribute("href").removeprefix("/cases/")
            path = path.format(lesson=self.lesson_id)
        problems.clear()
        page.goto(path)
        return page, problems


@pytest.fixture(scope="module")
def tabs(browser, live_server, _states):
    browsing = Browsing(browser, live_server, _states)
    yield Tabs(browsing)
    browsing.close()


def describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            why = node.get("failureSummary", "").splitlines()[-1:]
            lines.append(f"    {' '.join(map(str, node['target']))}: {' '.join(why).strip()}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def page_width(page) -> int:
    """How wide the page is. A phone browser zooms out to show a page wider than its screen, and window.innerWidth
    then grows with the page: the screen's width is the yardstick, not innerWidth."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, window.innerWidth)")


def assert_in_reach_on_phone(page) -> None:
    """Every link of the main navigation and the search box can be seen and used on a 390 px screen."""
    screen = PHONE["width"]
    links = page.locator("nav.nav a")
    assert links.count() >= 2
    for link in links.all():
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box and link.is_visible(), f"nav link {link.inner_text()!r} is hidden"
        # (a row scrolled sideways stops at fractions of a pixel)
        assert box["x"] >= -1 and box["x"] + box["width"] <= screen + 1, f"nav link {link.inner_text()!r} is off screen"
        assert box["height"] >= 24, f"nav link {link.inner_text()!r} is a small target ({box['height']:.0f}px)"
    # The search box: the top bar's, or on the search page its own.
    for control, least in ((":is(#topbar-q, #search-q)", 150), (":is(.topbar-search, .search-row) button", 24)):
        box = page.locator(control).first.bounding_box()
        assert box and box["width"] >= least and box["x"] + box["width"] <= screen, f"{control} on a phone: {box}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible(tabs, name, width):
    user, path = PAGES[name]
    page, problems = tabs.open(user, width, path)
    assert page.locator("main h1").count() == 1, "one h1, in main"

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{name} at {width}:\n{describe(violations)}"

    if width == "phone":
        wide = page_width(page)
        assert wide <= PHONE["width"], f"{name} scrolls sideways on a phone: {wide}px wide for {PHONE['width']}px"
        if user:
            assert_in_reach_on_phone(page)
        page.evaluate(LONG_WORDS)
        wide = page_width(page)
        assert wide <= PHONE["width"], f"{name}: a long unbroken word widens the page to {wide}px"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/", "/cases/new"])
def test_keyboard_only(tabs, path):
    page, problems = tabs.open("agent_li", "laptop", path)

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip')"), "the skip link comes first"
    focus = page.evaluate(FOCUS)
    assert focus["onscreen"] and focus["ring"], f"the skip link does not show when focused: {focus}"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main", "Enter on the skip link moves focus to main"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS)["inMain"], "after the skip link, Tab goes on inside main"

    page.goto(path)
    stops = []
    for _ in range(15):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert focus, f"Tab left the page after {stops}"
        stops.append(focus["what"])
        assert focus["onscreen"], f"the focused {focus['what']} is off screen (stops: {stops})"
        assert focus["ring"], f"no visible focus on {focus['what']} (stops: {stops})"
    assert not problems, "\n".join(problems)
