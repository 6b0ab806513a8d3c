"""What a first-time user tripped over (issue 17), checked where they saw it: in Chromium, on a 1366 px
laptop and a 390 px phone, in Chinese and in English.

Each test runs in the four combinations. They read structure and styles (which element is marked, what
overflows, what is visible) rather than pixels, so a change of wording does not break them.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE
from tests.browser.test_journeys import api, submit_by_api, unique

LAPTOP_1366 = {"width": 1366, "height": 800}
VIEWS = [
    pytest.param(LAPTOP_1366, "zh", id="laptop-zh"),
    pytest.param(LAPTOP_1366, "en", id="laptop-en"),
    pytest.param(PHONE, "zh", id="phone-zh"),
    pytest.param(PHONE, "en", id="phone-en"),
]
MARKERS = re.compile(r"[【\[](情况|我的做法|结果|心得|Situation|What I did|Outcome|Takeaway)[】\]]")

# Every element inside a card-like box must end inside it (a table wider than its card scrolls inside a
# .table-wrap instead, which is reported separately with whether it shows that it scrolls).
OVERFLOW = """
() => {
  const problems = [], scrolling = [];
  const boxes = document.querySelectorAll(
    'main :is(.panel, .card, .kpi, .case, .hero, .filters, fieldset, .value-column), main, .topbar-inner');
  for (const box of boxes) {
    const outer = box.getBoundingClientRect();
    for (const el of box.querySelectorAll('*')) {
      if (el.closest('.sr-only')) continue;  // clipped to nothing: seen by no one
      const wrap = el.closest('.table-wrap, .nav-inner');
      if (wrap && wrap !== el) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if (r.right > outer.right + 1 || r.left < outer.left - 1) {
        const where = (node, rect) => `${node.tagName.toLowerCase()}.${node.className} `
          + `(${Math.round(rect.left)}–${Math.round(rect.right)})`;
        problems.push(`${where(el, r)} leaves ${where(box, outer)}`);
        break;
      }
    }
  }
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      const style = getComputedStyle(wrap);
      scrolling.push({label: wrap.getAttribute('aria-label') || wrap.querySelector('th')?.textContent,
                      cue: style.backgroundImage.includes('gradient'), focusable: wrap.tabIndex === 0});
    }
  }
  return {problems, scrolling};
}
"""

PAGES = {
    "sup_zhang": ["/dashboard", "/review", "/synonyms", "/cases/1", "/cases", "/reading", "/me/notifications/settings"],
    "agent_li": ["/me/impact", "/cases/mine", "/cases/new", "/lessons/new", "/me/profile", "/"],
    "trainee_xu": [
        "/search?q=老人",
        "/search?kind=lesson",
        "/featured",
        "/lessons",
        "/me/progress",
        "/me/reading",
        "/me/notifications",
    ],
    "admin": ["/admin/users", "/admin/teams", "/admin/changes", "/settings/customer-value"],
}


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_no_content_overflows_its_card(browsing, viewport, lang):
    """1 and 11: the dashboard's tables fit their cards on a laptop (no figure cut); on a phone a wide table
    scrolls inside its card, with shadows at its edges that say so, and takes the keyboard."""
    for user, paths in PAGES.items():
        page = browsing.page(user, viewport=viewport, lang=lang)
        for path in paths:
            page.goto(path)
            found = page.evaluate(OVERFLOW)
            assert not found["problems"], f"{path} as {user}: {found['problems']}"
            for table in found["scrolling"]:
                assert viewport is PHONE, f"{path} at 1366 px: the table {table['label']!r} is cut"
                assert table["cue"] and table["focusable"], f"{path}: {table['label']!r} scrolls without a cue"


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_a_refused_decision_is_shown_as_an_error(browsing, live_server, viewport, lang):
    """2: rejecting without a comment says so in the error style, never in the green success banner."""
    case_id = submit_by_api(live_server, "agent_zhou", unique("退回要写意见"), tags=["trust"])
    page = browsing.page("sup_huang", viewport=viewport, lang=lang)
    page.goto("/review?tag=trust")
    card = page.locator(f"#case-{case_id}")
    card.locator("button[value=reject]").click()
    error = page.locator("#queue-error")
    error.wait_for()
    assert "error" in error.get_attribute("class") and error.get_attribute("role") == "alert"
    assert error.inner_text() == card.locator(".field-error").inner_text() != ""
    assert not page.locator("#queue-status").is_visible()
    card.locator("textarea").fill("请补充结果")
    card.locator("button[value=reject]").click()
    card.wait_for(state="detached")
    assert page.locator("#queue-status").is_visible() and not error.is_visible()


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_did_you_mean_only_when_it_finds_more(browsing, viewport, lang):
    """3: a mistyped word is corrected to one that sounds the same and finds cases; a word that merely looks
    alike (空调 → 协调) or a question with punctuation is never turned into nonsense."""
    page = browsing.page("trainee_xu", viewport=viewport, lang=lang)
    page.goto("/search?q=" + "航斑 取消？")
    suggestion = page.locator(".suggestion a")
    assert suggestion.inner_text() == "航班 取消？"
    suggestion.click()
    page.wait_for_url("**/search?q=%E8%88%AA%E7%8F%AD*")  # the corrected search's page, not the one clicked on
    assert page.locator(".hit").count() > 0
    for query in ("酒店 空调坏了", "行李 丢失 了怎么办？？？"):
        page.goto("/search?q=" + query)
        assert page.locator(".suggestion").count() == 0, query


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_a_query_of_only_punctuation_says_so(browsing, viewport, lang):
    """4: punctuation, emoji or symbols alone list nothing and say that nothing could be searched."""
    page = browsing.page("trainee_xu", viewport=viewport, lang=lang)
    for query in ("！！？？。。。", "😀🎉👍", "%%% ''' ---"):
        page.goto("/search?q=" + query.replace("%", "%25"))
        notice = page.locator("main .notice[role=status]")
        assert notice.is_visible(), query
        assert (
            "没有可以搜索的词" if lang == "zh" else "Nothing in what you typed can be searched"
        ) in notice.inner_text()
        assert page.locator(".hit").count() == 0


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_a_story_reads_under_headings_without_its_markers(browsing, viewport, lang):
    """5: the parts of a story are headings in the reader's language; no raw 【情况】 on the case page, the
    cards, the review queue or the snippets."""
    page = browsing.page("sup_zhang", viewport=viewport, lang=lang)
    page.goto("/cases/1")
    expected = (
        ["情况", "我的做法", "结果", "心得"] if lang == "zh" else ["Situation", "What I did", "Outcome", "Takeaway"]
    )
    assert page.locator(".story-heading").all_inner_texts() == expected
    for path in ("/cases/1", "/cases", "/featured", "/review", "/search?q=客人", "/search?q=情况"):
        page.goto(path)
        assert not MARKERS.search(page.locator("main").inner_text()), path


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_the_queue_shows_a_story_once_and_cuts_no_masked_number(browsing, live_server, viewport, lang):
    """6: "read the whole story" replaces the excerpt instead of repeating it; the excerpt ends before a
    masked number rather than inside it."""
    body = "【情况】" + "客" * 150 + "电话13812345678，请回电。\n\n【我的做法】我回了电话，帮客人改签了航班。"
    case_id = submit_by_api(live_server, "agent_zhou", unique("摘要不切号码"), body=body, tags=["trust"])
    page = browsing.page("sup_huang", viewport=viewport, lang=lang)
    page.goto("/review?tag=trust")
    card = page.locator(f"#case-{case_id}")
    excerpt = card.locator(".excerpt").inner_text()
    assert "138****5678" in excerpt or "138" not in excerpt, excerpt
    card.locator("summary").click()
    assert not card.locator(".excerpt").is_visible()
    assert "138****5678" in card.locator(".story-details").inner_text()
    with api(live_server, "sup_huang") as supervisor:  # out of the queue the other tests read
        supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "reject", "comment": "测试用"})


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_a_long_paste_is_kept_counted_and_only_its_part_marked(browsing, viewport, lang):
    """7: 30,000 characters pasted into one part are kept whole, the counts say by how much the story is
    over, and the refusal names and marks that part alone."""
    page = browsing.page("agent_zheng", viewport=viewport, lang=lang)
    page.goto("/cases/new")
    page.locator("#f-title").fill(unique("很长的一段"))
    page.locator("#f-situation").fill("长" * 30000)
    page.locator("#f-action").fill("我先安抚客人，再改签航班。")
    page.locator("#tag-heartwarming").check()
    page.locator("#f-business_line").select_option("flight")
    assert len(page.locator("#f-situation").input_value()) == 30000  # nothing cut off silently
    assert "30000" in page.locator("#c-situation").inner_text()
    total = page.locator("#story-total")
    assert "over" in total.get_attribute("class") and re.search(r"\b10\d\d\d\b", total.inner_text())
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_load_state()
    marked = page.locator(".story-part.has-error textarea")
    assert marked.count() == 1 and marked.get_attribute("id") == "f-situation"
    problem = page.locator("#form-errors li").first.inner_text()
    assert ("情况" if lang == "zh" else "Situation") in problem and re.search(r"\b10\d\d\d\b", problem)
    assert len(page.locator("#f-situation").input_value()) == 30000  # and still all there to shorten
    page.goto("/cases/new")  # a draft saved while typing would greet the next run: start over
    if page.locator(".draft-notice button").count():
        page.locator(".draft-notice button").click()


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_the_menu_fits_and_marks_the_current_page(browsing, viewport, lang):
    """8: the supervisor's and admin's menu is one row on a laptop; the page shown is marked (and on a
    phone scrolled into view); "submit a case" is marked only on its own page."""
    for user, path, current in (
        ("sup_zhang", "/review", "/review"),
        ("sup_zhang", "/dashboard?preset=7d", "/dashboard"),
        ("admin", "/admin/users", "/admin/users"),
        ("agent_li", "/cases/mine", "/cases/mine"),
        ("agent_li", "/cases/new", "/cases/new"),
        ("trainee_xu", "/me/progress", "/me/progress"),
    ):
        page = browsing.page(user, viewport=viewport, lang=lang)
        page.goto(path)
        marked = page.locator('.nav a[aria-current="page"]')
        assert marked.count() == 1 and marked.get_attribute("href") == current, path
        box = marked.bounding_box()
        assert box["x"] >= -1 and box["x"] + box["width"] <= viewport["width"] + 1, f"{path}: current item off screen"
        row = page.locator(".nav-inner").bounding_box()
        assert row["height"] < 60, f"{path} as {user}: the menu wraps ({row['height']:.0f}px)"
        page.close()


@pytest.mark.parametrize("viewport, lang", VIEWS)
def test_search_results_come_first_on_a_phone(browsing, viewport, lang):
    """9: on a phone the filters fold behind one button and the first result is on the first screen; on a
    laptop they are shown."""
    page = browsing.page("trainee_xu", viewport=viewport, lang=lang)
    page.goto("/search?q=航班")
    sort = page.locator("select[name=sort]")
    first = page.locator(".hit").first.bounding_box()
    if viewport is PHONE:
        assert not sort.is_visible()
        assert first["y"] < viewport["height"] - 100, f"the first result starts at y={first['y']:.0f}"
        page.locator(".search-filters summary").click()
        assert sort.is_visible()
    else:
        assert sort.is_visible()
    with api(browsing.server, "trainee_xu") as client:  # the filters still narrow on a phone
        assert client.get("/api/search", params={"q": "航班"}).json()["total"] >= 1
