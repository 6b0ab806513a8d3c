"""The demo data a newcomer starts with."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

from sqlmodel import select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.db import utcnow
from heatcases.demo import DEMO_PASSWORD, DEMO_USERS, activity, load_demo
from heatcases.models import Case, CaseEvent, CaseView, CaseViewer, Impression, SearchQuery
from heatcases.vocab import BUSINESS_LINE_CODES, TAGS


def test_demo_loads_once_with_every_value_and_business_line(app, client):
    with db.session_scope(app.state.engine) as session:
        report = load_demo(session)
        again = load_demo(session)
    assert report.created and report.cases >= 30 and not again.created

    token = client.post("/api/auth/token", json={"username": "sup_zhang", "password": DEMO_PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    cases = client.get("/api/cases?per_page=100", headers=headers).json()
    assert cases["total"] == report.cases
    items = cases["items"]
    assert {tag for case in items for tag in case["tags"]} == set(TAGS)
    assert {case["business_line"] for case in items} == set(BUSINESS_LINE_CODES)
    statuses = {case["status"] for case in items}
    assert statuses == {"pending", "approved", "rejected"}
    featured = [case for case in items if case["featured"]]
    assert {tag for case in featured for tag in case["tags"]} == set(TAGS)
    assert any(case["masked"] for case in items), "some demo stories show masking"
    assert all(case["review_comment"] for case in items if case["status"] == "rejected")


def test_demo_keeps_accounts_that_already_exist(app):
    """`heatcases serve` makes an `admin` on an empty database; loading the demo later must still work."""
    with db.session_scope(app.state.engine) as session:
        accounts.create_user(session, username="admin", password="own-password", role="admin")
        accounts.create_user(session, username="agent_li", password="own-password", role="agent")
        report = load_demo(session)
        assert report.created and report.users == len(DEMO_USERS) - 2 and report.cases >= 30 and report.views
        assert accounts.authenticate(session, "admin", "own-password") is not None


class TestDemoActivity:
    """Ninety days of searching and reading, as the live rules would have recorded them."""

    @staticmethod
    def load(app):
        with db.session_scope(app.state.engine) as session:
            report = load_demo(session)
            rows = {
                "cases": {case.id: case for case in session.exec(select(Case)).unique()},
                "views": session.exec(select(CaseView).order_by(CaseView.id)).all(),
                "viewers": session.exec(select(CaseViewer)).all(),
                "impressions": {row.id: row for row in session.exec(select(Impression))},
                "searches": {row.id: row for row in session.exec(select(SearchQuery))},
                "events": session.exec(select(CaseEvent)).unique().all(),
                "trainees": {
                    user.id: user.team.name for user in accounts.list_users(session) if user.role == "trainee"
                },
            }
        return report, rows

    def test_is_reported_and_loaded_once(self, app):
        report, rows = self.load(app)
        assert (report.views, report.impressions, report.searches) == (
            len(rows["views"]),
            len(rows["impressions"]),
            len(rows["searches"]),
        )
        assert report.views > 300 and report.impressions > 3 * report.views and report.searches > 100
        again, rows_again = self.load(app)
        assert not again.created and len(rows_again["views"]) == len(rows["views"])
        assert len(rows_again["impressions"]) == len(rows["impressions"])

    def test_views_follow_the_view_rules(self, app):
        _report, rows = self.load(app)
        cases, views, now = rows["cases"], rows["views"], utcnow()
        assert len({view.viewed_at.date() for view in views}) >= 40, "views spread over many days"
        assert all(now - timedelta(days=90) <= view.viewed_at <= now for view in views)
        for view in views:
            case = cases[view.case_id]
            assert view.user_id != case.author_id, "an author's own views do not count"
            assert case.status == "approved" and not case.archived and case.reviewed_at <= view.viewed_at
        by_reader: dict[tuple[int, int], list] = {}
        for view in views:
            by_reader.setdefault((view.case_id, view.user_id), []).append(view.viewed_at)
        for moments in by_reader.values():
            moments.sort()
            assert all(later - earlier >= timedelta(minutes=30) for earlier, later in pairwise(moments))
        for case in cases.values():
            assert case.views == sum(view.case_id == case.id for view in views)
            assert case.unique_viewers == len({view.user_id for view in views if view.case_id == case.id})
        assert {(row.case_id, row.user_id): (row.first_viewed_at, row.last_counted_at) for row in rows["viewers"]} == {
            key: (min(moments), max(moments)) for key, moments in by_reader.items()
        }

    def test_some_views_open_an_impression_of_the_same_case(self, app):
        _report, rows = self.load(app)
        views, impressions, cases = rows["views"], rows["impressions"], rows["cases"]
        opened = [view for view in views if view.impression_id is not None]
        assert 0.3 <= len(opened) / len(views) <= 0.45
        for view in opened:
            impression = impressions[view.impression_id]
            assert (impression.case_id, impression.user_id) == (view.case_id, view.user_id)
            assert impression.opened_at == view.viewed_at and impression.shown_at <= view.viewed_at
        assert {row.id for row in impressions.values() if row.opened_at} == {view.impression_id for view in opened}
        assert {row.source for row in impressions.values()} == {"search", "home", "library", "featured", "related"}
        for impression in impressions.values():
            case = cases[impression.case_id]
            assert case.status == "approved" and case.reviewed_at <= impression.shown_at
            assert impression.user_id != case.author_id and impression.position >= 1

    def test_searches_have_a_head_and_gaps(self, app):
        _report, rows = self.load(app)
        searches = rows["searches"].values()
        counts = Counter(search.normalized for search in searches)
        assert counts.most_common(1)[0][1] >= 10, "the most frequent queries have a head"
        assert {"宠物托运", "邮轮"} <= {search.normalized for search in searches if search.results == 0}
        assert any(search.results > 0 for search in searches) and any(search.filters for search in searches)
        for impression in rows["impressions"].values():
            assert (impression.source == "search") == (impression.query_id is not None)
            if impression.query_id is not None:
                search = rows["searches"][impression.query_id]
                assert search.user_id == impression.user_id and search.searched_at == impression.shown_at

    def test_trainee_classes_differ_and_histories_match_the_timestamps(self, app):
        _report, rows = self.load(app)
        featured = {case.id for case in rows["cases"].values() if case.featured}
        read: dict[str, list[int]] = {}
        for trainee, team in rows["trainees"].items():
            read.setdefault(team, []).append(
                len({view.case_id for view in rows["views"] if view.user_id == trainee} & featured)
            )
        assert set(read) == {"新人培训班", "新人培训二班"} and all(len(counts) >= 3 for counts in read.values())
        assert min(min(counts) for counts in read.values()) < len(featured), "not everyone has read every one"
        for case in rows["cases"].values():
            when = {event.action: event.created_at for event in rows["events"] if event.case_id == case.id}
            assert case.reviewed_at == when.get("approve", when.get("reject"))
            assert case.featured_at == when.get("feature")

    def test_the_plan_is_the_same_for_the_same_moment(self, app):
        self.load(app)
        now = utcnow()
        with db.session_scope(app.state.engine) as session:
            stories = [activity.Story.of(case) for case in session.exec(select(Case).order_by(Case.id)).unique()]
            readers = [
                activity.Reader(user.id, user.username, user.role, user.team.name if user.team else None, now)
                for user in accounts.list_users(session)
            ]
        readers = [activity.Reader(r.id, r.username, r.role, r.team, now - timedelta(days=90)) for r in readers]
        first, second = activity.plan_activity(stories, readers, now), activity.plan_activity(stories, readers, now)
        assert first == second and first.views
