"""The demo data a newcomer starts with."""

from __future__ import annotations

from heatcases import db
from heatcases.demo import DEMO_PASSWORD, load_demo
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
    from heatcases.accounts import service as accounts

    with db.session_scope(app.state.engine) as session:
        accounts.create_user(session, username="admin", password="own-password", role="admin")
        accounts.create_user(session, username="agent_li", password="own-password", role="agent")
        report = load_demo(session)
        assert report.created and report.users == 9 and report.cases >= 30
        assert accounts.authenticate(session, "admin", "own-password") is not None
