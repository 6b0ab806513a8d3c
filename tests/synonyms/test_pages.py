"""The synonyms page: the attention list with its actions, groups (shipped read-only), pins, history; its forms."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, func, select

from heatcases.models import SearchPin, SynonymChange, SynonymGroup
from tests.conftest import csrf_from
from tests.synonyms.test_api import found


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def web(browser, supervisor):
    """The supervisor's logged-in browser and a CSRF token of the synonyms page."""
    client = browser(supervisor.username)
    page = client.get("/synonyms")
    assert page.status_code == 200, page.text
    return client, csrf_from(page.text)


def count(app, model) -> int:
    with Session(app.state.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_supervisors_reach_it_from_the_menu_and_others_do_not(browser, supervisor, admin, agent, trainee):
    for actor in (supervisor, admin):
        page = soup(browser(actor.username).get("/"))
        assert page.select_one('nav.nav a[href="/synonyms"]')
    for actor in (agent, trainee):
        client = browser(actor.username)
        assert not soup(client.get("/")).select_one('nav.nav a[href="/synonyms"]')
        assert client.get("/synonyms").status_code == 403


def test_the_attention_list_offers_synonyms_and_a_pin_for_each_query(web, trainee, library):
    found(trainee, "强对流天气")
    found(trainee, "<b>鸭嘴兽</b>")
    found(trainee, "老人")
    client, _ = web
    page = soup(client.get("/synonyms"))
    zero = [row.select_one("td a").get_text() for row in page.select("#zero-results tbody tr")]
    assert set(zero) == {"强对流天气", "<b>鸭嘴兽</b>"}  # user text shown as text
    assert "<b>" not in str(page.select_one("#zero-results")).replace("&lt;b&gt;", "")
    assert [row.select_one("td a").get_text() for row in page.select("#not-opened tbody tr")] == ["老人"]
    rows = page.select("#zero-results tbody tr")
    row = next(row for row in rows if row.select_one("td a").get_text() == "强对流天气")
    links = [a["href"] for a in row.select("td.actions a")]
    assert links == ["/synonyms?words=%E5%BC%BA%E5%AF%B9%E6%B5%81%E5%A4%A9%E6%B0%94#add-group",
                     "/synonyms?pin=%E5%BC%BA%E5%AF%B9%E6%B5%81%E5%A4%A9%E6%B0%94#add-pin"]  # fmt: skip
    filled = soup(client.get(links[0]))
    assert filled.select_one("#group-words")["value"] == "强对流天气"
    assert soup(client.get(links[1])).select_one("#pin-query")["value"] == "强对流天气"


def test_a_group_added_on_the_page_works_and_can_be_edited_and_removed(web, trainee, library):
    client, token = web
    response = client.post("/synonyms/groups", data={"words": "强对流天气，雷雨", "csrftoken": token})
    assert response.status_code == 303 and response.headers["location"] == "/synonyms?msg=flash.synonyms_added"
    assert found(trainee, "强对流天气") == [library["elderly"]["id"]]
    page = soup(client.get("/synonyms?msg=flash.synonyms_added"))
    assert page.select_one(".flash").get_text()
    group = page.select_one(".synonym-group")
    assert [chip.get_text() for chip in group.select(".chip")] == ["强对流天气", "雷雨"]
    edit = group.select_one("form")["action"]
    assert client.post(edit, data={"words": "爆满 超售", "csrftoken": token}).status_code == 303
    assert found(trainee, "强对流天气") == [] and found(trainee, "爆满") == [library["hotel"]["id"]]
    remove = soup(client.get("/synonyms")).select(".synonym-group form")[1]["action"]
    assert client.post(remove, data={"csrftoken": token}).status_code == 303
    assert found(trainee, "爆满") == []
    history = soup(client.get("/synonyms")).select("#history tbody tr")
    assert len(history) == 3 and all("sup_zhang" in row.get_text() for row in history)


def test_shipped_groups_are_shown_without_forms(web):
    client, _ = web
    shipped = soup(client.get("/synonyms")).select_one("ul.shipped")
    assert len(shipped.select("li")) > 10 and not shipped.select("form")
    assert shipped.select_one('.chip[lang="zh-CN"]') and shipped.select_one('.chip[lang="en"]')


def test_a_bad_group_is_shown_with_its_reason_and_nothing_is_written(app, web):
    client, token = web
    response = client.post("/synonyms/groups", data={"words": "雷雨", "csrftoken": token})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(".error").get_text() == "一组同义词至少要有两个不同的词。"
    assert page.select_one("#group-words")["value"] == "雷雨"  # what was typed comes back
    client.cookies.set("heat_lang", "en")
    response = client.post("/synonyms/groups", data={"words": "雷雨 " + "很" * 21, "csrftoken": token})
    assert soup(response).select_one(".error").get_text() == "Each word is at most 20 characters."
    assert count(app, SynonymGroup) == 0 and count(app, SynonymChange) == 0


def test_a_case_is_pinned_by_its_number_or_address_and_unpinned(app, web, trainee, library):
    client, token = web
    hotel = library["hotel"]["id"]
    response = client.post(
        "/synonyms/pins", data={"query": "老人", "case": f"http://x/cases/{hotel}", "csrftoken": token}
    )
    assert response.status_code == 303
    body = trainee.get("/api/search", params={"q": "老人"}).json()
    assert body["hits"][0]["id"] == hotel and body["hits"][0]["pinned"]
    search_page = soup(client.get("/search", params={"q": "老人"}))
    assert search_page.select_one(".hit .badge-pinned")
    page = soup(client.get("/synonyms"))
    assert [a.get_text() for a in page.select("#pins tbody td a")] == ["老人", library["hotel"]["title"]]
    for case in ("", "abc", "999999"):
        response = client.post("/synonyms/pins", data={"query": "老人", "case": case, "csrftoken": token})
        assert response.status_code == 422
        assert "已通过" in soup(response).select_one(".error").get_text()
    response = client.post("/synonyms/pins", data={"query": "老人", "case": str(hotel), "csrftoken": token})
    assert response.status_code == 409
    remove = page.select_one("#pins form")["action"]
    assert client.post(remove, data={"csrftoken": token}).status_code == 303
    assert client.post(remove, data={"csrftoken": token}).status_code == 404
    assert count(app, SearchPin) == 0


def test_forms_without_the_csrf_token_change_nothing(app, web, library):
    client, _ = web
    assert client.post("/synonyms/groups", data={"words": "强对流天气 雷雨"}).status_code == 403
    assert client.post("/synonyms/pins", data={"query": "老人", "case": "1"}).status_code == 403
    assert count(app, SynonymGroup) == 0 and count(app, SearchPin) == 0
