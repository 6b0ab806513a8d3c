"""The metrics pages: dashboard, CSV exports, readers of a case, my impact, my progress."""

from __future__ import annotations

import json
from datetime import date

import pytest
from bs4 import BeautifulSoup

from tests.metrics.test_api import approve, feature


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def activity(agent, trainee, supervisor, submit, clock):
    """One featured case read by the trainee after a search, one search that found nothing."""
    case = submit(agent, title="台风天帮老人改签")
    approve(supervisor, case["id"])
    feature(supervisor, case["id"])
    trainee.get("/api/search", params={"q": "台风"})
    trainee.get(f"/api/cases/{case['id']}")
    trainee.get("/api/search", params={"q": "宠物托运"})
    clock.everything("2026-10-10 02:00")
    return case


class TestDashboard:
    def test_shows_every_figure_with_change_for_the_period(self, activity, browser, supervisor):
        page = soup(browser(supervisor.username).get("/dashboard?from=2026-10-10&to=2026-10-10"))
        figures = {node["data-figure"]: node.get_text(strip=True) for node in page.select(".kpi-value[data-figure]")}
        assert figures == {
            "submissions": "1", "approved": "1", "rejected": "0", "featured": "1", "praised": "1", "views": "1",
            "unique_viewers": "1", "impressions": "1", "open_rate": "100.0%",
        }  # fmt: skip
        assert "李客服" in page.select_one("#agent-table").get_text()
        assert "一组" in page.select_one("#team-table").get_text()
        assert "台风" in page.select_one("#queries").get_text()
        assert "宠物托运" in page.select_one("#zero-result-queries").get_text()
        assert "徐学员" in page.select_one("#progress-trainees").get_text()
        assert page.find("a", string="台风天帮老人改签")  # most viewed per value
        data = json.loads(page.select_one("#dashboard-data").string)
        assert data["trend"]["labels"] == ["2026-10-10"] and data["trend"]["series"]["views"] == [1]
        assert {script["src"] for script in page.select("script[src]")} == {
            "/static/vendor/chart-4.6.1.umd.min.js", "/static/js/dashboard.js", "/static/js/page.js",
        }  # fmt: skip

    def test_presets_and_the_default_period(self, browser, supervisor):
        web = browser(supervisor.username)
        page = soup(web.get("/dashboard?preset=7d"))
        start, end = page.select_one("input[name=from]")["value"], page.select_one("input[name=to]")["value"]
        assert (date.fromisoformat(end) - date.fromisoformat(start)).days == 6
        assert page.select_one(".presets .chip-on").get_text(strip=True) == "近 7 天"
        for preset in ("30d", "90d", "month", "quarter"):
            assert web.get(f"/dashboard?preset={preset}").status_code == 200
        # Without a choice the dashboard shows the last 30 days, and says so on the preset.
        assert soup(web.get("/dashboard")).select_one(".presets .chip-on").get_text(strip=True) == "近 30 天"

    def test_bad_dates_show_a_message_not_a_crash(self, browser, supervisor):
        response = browser(supervisor.username).get("/dashboard?from=2026-02-30&to=x")
        assert response.status_code == 422
        assert "日期格式不正确" in soup(response).select_one(".error").get_text()
        response = browser(supervisor.username).get("/dashboard?from=2026-10-10&to=2026-10-01")
        assert "结束日期早于开始日期" in soup(response).select_one(".error").get_text()

    def test_an_empty_library_shows_empty_states(self, browser, supervisor):
        page = soup(browser(supervisor.username).get("/dashboard?from=2026-10-10&to=2026-10-10"))
        assert page.select_one(".kpi-value[data-figure=open_rate]").get_text(strip=True) == "—"
        assert page.select_one("#queries .empty")

    def test_team_filter(self, activity, browser, supervisor, make_actor):
        make_actor("agent", "elsewhere", team="别的组")
        page = soup(browser(supervisor.username).get("/dashboard?from=2026-10-10&to=2026-10-10&team=别的组"))
        assert page.select_one(".kpi-value[data-figure=submissions]").get_text(strip=True) == "0"
        assert page.select_one("select[name=team] option[selected]")["value"] == "别的组"

    def test_in_english(self, activity, browser, supervisor):
        web = browser(supervisor.username)
        web.cookies.set("heat_lang", "en")
        page = soup(web.get("/dashboard?from=2026-10-10&to=2026-10-10"))
        assert page.h1.get_text(strip=True) == "Training dashboard"
        assert "Open rate" in page.select_one(".kpis").get_text()

    def test_user_text_is_escaped(self, agent, supervisor, submit, browser, trainee):
        case = submit(agent, title="<script>alert(1)</script>")
        approve(supervisor, case["id"])
        trainee.get(f"/api/cases/{case['id']}")
        trainee.get("/api/search", params={"q": "<img src=x onerror=alert(1)>"})
        html = browser(supervisor.username).get("/dashboard").text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_each_table_downloads_as_csv(self, activity, browser, supervisor):
        web = browser(supervisor.username)
        page = soup(web.get("/dashboard?from=2026-10-10&to=2026-10-10"))
        links = [a["href"] for a in page.select("a[download]")]
        assert len(links) >= 9
        for link in links:
            response = web.get(link)
            assert response.status_code == 200, link
            assert response.headers["content-type"].startswith("text/csv")
        agents = web.get("/dashboard/export/agents.csv?from=2026-10-10&to=2026-10-10").content.decode("utf-8-sig")
        assert "李客服" in agents

    @pytest.mark.parametrize("role", ["agent", "trainee"])
    def test_only_supervisors_and_admins(self, role, make_actor, browser):
        web = browser(make_actor(role).username)
        assert web.get("/dashboard").status_code == 403
        assert web.get("/dashboard/export/agents.csv").status_code == 403


class TestReadersPage:
    def test_a_supervisor_sees_who_read_from_the_case_page(self, activity, browser, supervisor):
        web = browser(supervisor.username)
        case_page = soup(web.get(f"/cases/{activity['id']}"))
        link = case_page.find("a", href=f"/cases/{activity['id']}/readers")
        assert link is not None
        page = soup(web.get(link["href"]))
        assert "徐学员" in page.select_one("#readers").get_text()

    def test_agents_do_not_see_readers(self, activity, browser, agent):
        web = browser(agent.username)
        assert web.get(f"/cases/{activity['id']}/readers").status_code == 403
        assert soup(web.get(f"/cases/{activity['id']}")).find("a", href=f"/cases/{activity['id']}/readers") is None


class TestMyPages:
    def test_my_impact_shows_views_and_featured_status_of_my_cases(self, activity, agent, browser, trainee):
        page = soup(browser(agent.username).get("/me/impact?preset=90d"))
        row = page.select_one("#my-cases tbody tr")
        assert "台风天帮老人改签" in row.get_text()
        assert row.select_one(".badge-featured")
        assert [cell.get_text(strip=True) for cell in row.select("td.num")][1:] == [
            "1",
            "1",
        ]  # all time: views, readers
        # The chart covers the period chosen (90 days: by week), not a year of empty months.
        weeks = page.select("#my-periods tbody tr")
        assert 13 <= len(weeks) <= 14
        assert "Asia/Shanghai" not in page.get_text()  # the server's time zone is nothing to an agent
        assert page.find(string=lambda text: text and "打开率：" in text)

    def test_my_impact_with_no_cases(self, make_actor, browser):
        page = soup(browser(make_actor("agent").username).get("/me/impact"))
        assert page.select_one(".empty")

    def test_a_trainee_sees_featured_cases_per_value_read_or_not(self, activity, agent, supervisor, submit, trainee,
                                                                  browser):  # fmt: skip
        unread = submit(agent, title="主动提醒签证过期", tags=["active"], behaviors=[])
        approve(supervisor, unread["id"])
        feature(supervisor, unread["id"])
        page = soup(browser(trainee.username).get("/me/progress"))
        assert "已读精选案例 1 / 2 篇" in page.get_text()
        heartwarming = page.select_one(".value-heartwarming")
        assert heartwarming.find("a", string="台风天帮老人改签").find_previous_sibling("span")["class"] == ["done"]
        active = page.select_one(".value-active").select("li")
        assert {li.find("a").get_text(): li.span["class"][0] for li in active} == {
            "台风天帮老人改签": "done", "主动提醒签证过期": "todo",
        }  # fmt: skip

    def test_the_menu_leads_each_role_to_its_page(self, make_actor, browser):
        for role, path in (("trainee", "/me/progress"), ("agent", "/me/impact"), ("supervisor", "/dashboard")):
            page = soup(browser(make_actor(role).username).get("/"))
            assert page.select_one(f"nav a[href='{path}']"), role


def test_each_metrics_page_has_a_plain_title_and_loads_its_scripts_once(activity, browser, supervisor):
    web = browser(supervisor.username)
    for path in ("/dashboard", "/me/impact", "/me/progress", f"/cases/{activity['id']}/readers"):
        page = soup(web.get(path))
        assert "<" not in page.title.get_text() and page.title.find("script") is None, path
        sources = [script["src"] for script in page.select("script[src]")]
        assert len(sources) == len(set(sources)), path


def test_what_to_read_next_follows_featuring_unfeaturing_and_archiving_at_once(app, agent, supervisor, submit, trainee):
    # the featured cases' order is kept between pages while it does not change: every change shows on the next one
    from sqlmodel import Session, select

    from heatcases.metrics.reading import reading_by_value
    from heatcases.models import User

    def next_to_read() -> int | None:
        with Session(app.state.engine) as session:
            reader = session.exec(select(User).where(User.username == trainee.username)).one()
            unread = reading_by_value(session, reader)["trust"].next_unread
            return unread[0] if unread else None

    older, newer = (submit(agent, title=title, tags=["trust"], behaviors=[]) for title in ("先精选的", "后精选的"))
    for case in (older, newer):
        approve(supervisor, case["id"])
    assert next_to_read() is None
    feature(supervisor, older["id"])
    assert next_to_read() == older["id"]
    feature(supervisor, newer["id"])
    assert next_to_read() == newer["id"]  # the newest featured first
    assert supervisor.delete(f"/api/cases/{newer['id']}/feature").status_code == 200
    assert next_to_read() == older["id"]
    assert supervisor.post(f"/api/cases/{older['id']}/archive").status_code == 200
    assert next_to_read() is None
