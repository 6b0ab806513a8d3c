"""Each main page at laptop and phone width, as its user sees it: it renders its heading, fits the
width without sideways scrolling, and is photographed. ``scripts/screenshots.sh`` runs this file with
HEATCASES_SCREENSHOTS=1 on a fresh demo server to refresh docs/screenshots/ (shown in the README);
otherwise the pictures go to a temporary folder."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import LAPTOP, PHONE, SCREENSHOTS

MAX_HEIGHT = {"laptop": 1600, "phone": 2400}

# (name, user, path, what the page must show)
PAGES = [
    ("login", None, "/login", "h1"),
    ("home", "trainee_xu", "/", ".value-grid"),
    ("library", "trainee_xu", "/cases", ".cards"),
    ("search", "trainee_xu", "/search?q=老人 航班取消", ".hit"),
    ("case", "trainee_xu", "/cases/1", ".story-parts"),
    ("submit", "agent_wu", "/cases/new", "#case-form"),  # its draft stays: a user no other test writes as
    ("my-cases", "agent_li", "/cases/mine", ".cards"),
    ("review", "sup_zhang", "/review", ".review-card"),
    ("dashboard", "sup_zhang", "/dashboard", "canvas"),
    ("impact", "agent_li", "/me/impact", "h1"),
    ("progress", "trainee_xu", "/me/progress", "h1"),
]


def _fill_the_form(page) -> None:
    """A story half written, so the picture shows the parts, the values and the masking preview."""
    page.get_by_label("标题").fill("深夜航班取消，帮两位老人改签并安排机场酒店")
    page.get_by_label("情况").fill("凌晨航班因雷雨取消，两位老人滞留机场，家属王先生（手机 13812345678）在上海很着急。")
    page.get_by_label("我的做法").fill(
        "我改签了次日早班机，联系机场酒店安排无障碍房间，并请驻场同事把写好的纸条交给老人。"
    )
    page.get_by_label("热情周到").check()
    page.get_by_label("勇于担当").check()
    page.locator("#mask-list li").first.wait_for()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    if os.environ.get("HEATCASES_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.parametrize("width", ["laptop", "phone"])
@pytest.mark.parametrize(("name", "user", "path", "shows"), PAGES, ids=[page[0] for page in PAGES])
def test_main_page(browsing, folder, width, name, user, path, shows):
    viewport = LAPTOP if width == "laptop" else PHONE
    page = browsing.page(user, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    response = page.goto(path)
    assert response.status == 200
    page.locator(shows).first.wait_for()
    if name == "submit":
        _fill_the_form(page)
    if name == "dashboard":
        page.locator("canvas").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "the page scrolls sideways"
    # The top of a long page is what the README needs; whole lists would make megabyte pictures.
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT[width])
    clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True, clip=clip, animations="disabled")
