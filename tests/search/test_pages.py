"""The search page, the search box on every page, related cases on the case page, listing impressions."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from heatcases.models import Impression


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def two_cases(agent, supervisor, submit):
    cases = [
        submit(agent, title="雷雨取消航班，帮<b>老人</b>改签"),
        submit(agent, title="酒店超售，协调升级", tags=["trust"], behaviors=[], business_line="hotel",
               body="【情况】客人深夜到店，酒店超售没有房间。【我的做法】协调同级升级。【结果】顺利入住。"),
    ]  # fmt: skip
    for case in cases:
        supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好"})
    return cases


def test_every_page_has_a_search_box(trainee, browser):
    page = soup(browser(trainee.username).get("/"))
    box = page.select_one("header form[role=search]")
    assert box["action"] == "/search" and box.select_one("input[name=q]")


def test_results_show_escaped_titles_highlighted_snippets_and_value_chips(trainee, browser, two_cases):
    page = soup(browser(trainee.username).get("/search", params={"q": "老人"}))
    titles = [a.get_text() for a in page.select(".hit .card-title a")]
    assert titles == ["雷雨取消航班，帮<b>老人</b>改签"]  # shown as text, not markup
    assert [m.get_text() for m in page.select(".hit .snippet mark")] == ["老人"]
    chips = {a.select_one(".count").get_text(): a for a in page.select("nav.chips a.chip")}
    assert len(page.select("nav.chips a.chip")) == 4
    heartwarming = page.select_one("nav.chips a.chip-heartwarming")
    assert heartwarming.select_one(".count").get_text() == "1" and "tag=heartwarming" in heartwarming["href"]
    assert chips


def test_chips_filter_and_can_be_turned_off(trainee, browser, two_cases):
    web = browser(trainee.username)
    page = soup(web.get("/search", params={"tag": "trust"}))
    assert [a.get_text() for a in page.select(".hit .card-title a")] == ["酒店超售，协调升级"]
    chip = page.select_one("nav.chips a.chip-trust")
    assert "chip-on" in chip["class"] and "tag=trust" not in chip["href"]
    assert chip.select_one(".sr-only").get_text() == "（已选）"


def test_sort_dates_and_business_line_are_kept_in_the_form(trainee, browser, two_cases):
    page = soup(browser(trainee.username).get(
        "/search", params={"q": "", "sort": "views", "business_line": "hotel", "from": "2026-01-01", "to": "nonsense"}
    ))  # fmt: skip
    assert page.select_one("select[name=sort] option[selected]")["value"] == "views"
    assert page.select_one("select[name=business_line] option[selected]")["value"] == "hotel"
    assert page.select_one("input[name=from]")["value"] == "2026-01-01"
    assert page.select_one("input[name=to]")["value"] == ""  # a date that is not one is ignored
    assert len(page.select(".hit")) == 1


def test_behaviour_filter(trainee, browser, agent, supervisor, submit, two_cases):
    web = browser(trainee.username)
    page = soup(web.get("/search", params={"behavior": "empathy"}))
    assert page.select_one("select[name=behavior] option[selected]")["value"] == "empathy"
    assert [a.get_text() for a in page.select(".hit .card-title a")] == ["雷雨取消航班，帮<b>老人</b>改签"]
    assert len(page.select("select[name=behavior] optgroup")) == 4


def test_nothing_found_says_so_and_suggests(trainee, browser, two_cases):
    page = soup(browser(trainee.username).get("/search", params={"q": "航斑"}))
    assert page.select_one(".empty")
    suggestion = page.select_one(".suggestion a")
    assert suggestion.get_text() == "航班" and "q=%E8%88%AA%E7%8F%AD" in suggestion["href"]


@pytest.mark.parametrize(
    "params",
    [{"q": "<script>alert(1)</script>"}, {"q": '"'}, {"q": "-"}, {"tag": "nonsense"}, {"sort": "x"},
     {"page": "999999"}, {"featured": "maybe"}, {"q": "客人" * 1000}],
)  # fmt: skip
def test_any_input_gives_a_page(trainee, browser, two_cases, params):
    response = browser(trainee.username).get("/search", params=params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_search_page_needs_login(client):
    response = client.get("/search?q=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_case_page_lists_related_cases(trainee, browser, agent, supervisor, submit, two_cases):
    third = submit(agent, title="航班取消后为老人改签次日航班")
    supervisor.post(f"/api/cases/{third['id']}/review", json={"decision": "approve", "comment": "好"})
    web = browser(trainee.username)
    page = soup(web.get(f"/cases/{third['id']}"))
    # The page names where its list comes from (its script fills it in) and links to the list's own page.
    box = page.select_one(".related [data-related-src]")
    assert box["data-related-src"] == f"/cases/{third['id']}/related?part=1"
    assert box.select_one("a")["href"] == f"/cases/{third['id']}/related"
    for url, whole_page in ((box["data-related-src"], False), (f"/cases/{third['id']}/related", True)):
        answer = web.get(url)
        assert answer.status_code == 200 and ("<html" in answer.text) == whole_page
        related = [a["href"] for a in soup(answer).select("li a")]
        assert related[0] == f"/cases/{two_cases[0]['id']}"
        assert f"/cases/{third['id']}" not in related


def test_related_cases_of_a_case_one_may_not_see_are_not_found(trainee, browser, agent, submit):
    pending = submit(agent, title="还在审核的案例")
    assert browser(trainee.username).get(f"/cases/{pending['id']}/related?part=1").status_code == 404
    assert browser(agent.username).get(f"/cases/{pending['id']}/related?part=1").status_code == 200


def test_listing_pages_count_impressions(app, trainee, browser, two_cases):
    web = browser(trainee.username)
    web.get("/cases")
    web.get("/search", params={"q": "超售"})
    with Session(app.state.engine) as session:
        shown = [(i.source, i.case_id) for i in session.exec(select(Impression).order_by(Impression.id))]
    assert shown == [("library", two_cases[1]["id"]), ("library", two_cases[0]["id"]), ("search", two_cases[1]["id"])]
