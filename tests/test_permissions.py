"""The role table of PRODUCT.md, route by route: who may, who gets 401 / 403 / 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import case_payload

ROLES = ("anonymous", "trainee", "author", "other_agent", "supervisor", "admin")


def expect(anonymous, trainee, author, other_agent, supervisor, admin) -> dict:
    return dict(zip(ROLES, (anonymous, trainee, author, other_agent, supervisor, admin), strict=True))


# (method, path, which case, JSON body, expected status per role). "pending"/"approved": a fresh case
# of that state written by `author` for every call, so one role's success never changes another's answer.
API = [
    ("GET", "/api/me", None, None, expect(401, 200, 200, 200, 200, 200)),
    ("POST", "/api/cases", None, case_payload(), expect(401, 403, 201, 201, 201, 201)),
    ("GET", "/api/cases", None, None, expect(401, 200, 200, 200, 200, 200)),
    ("GET", "/api/cases/{id}", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{id}", "approved", None, expect(401, 200, 200, 200, 200, 200)),
    ("GET", "/api/cases/{id}/history", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("PATCH", "/api/cases/{id}", "pending", {"title": "改"}, expect(401, 404, 200, 404, 403, 403)),
    ("PATCH", "/api/cases/{id}", "approved", {"title": "改"}, expect(401, 403, 409, 403, 403, 403)),
    ("POST", "/api/cases/{id}/review", "pending", {"decision": "approve"}, expect(401, 403, 403, 403, 200, 200)),
    ("POST", "/api/cases/{id}/feature", "approved", None, expect(401, 403, 403, 403, 200, 200)),
    ("DELETE", "/api/cases/{id}/feature", "approved", None, expect(401, 403, 403, 403, 200, 200)),
    ("POST", "/api/cases/{id}/archive", "approved", None, expect(401, 403, 403, 403, 200, 200)),
    ("DELETE", "/api/cases/{id}/archive", "approved", None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/search", None, None, expect(401, 200, 200, 200, 200, 200)),
    ("GET", "/api/cases/{id}/related", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{id}/related", "approved", None, expect(401, 200, 200, 200, 200, 200)),
    ("GET", "/api/metrics/summary", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/summary.csv", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/export/teams.csv", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/trend", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/search", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/top-cases", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/metrics/progress", None, None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/me/progress", None, None, expect(401, 200, 200, 200, 200, 200)),
    ("GET", "/api/cases/{id}/readers", "pending", None, expect(401, 403, 403, 403, 200, 200)),
    ("GET", "/api/cases/{id}/readers", "approved", None, expect(401, 403, 403, 403, 200, 200)),
]

PAGES = [
    ("/", None, expect(303, 200, 200, 200, 200, 200)),
    ("/cases", None, expect(303, 200, 200, 200, 200, 200)),
    ("/featured", None, expect(303, 200, 200, 200, 200, 200)),
    ("/cases/new", None, expect(303, 403, 200, 200, 200, 200)),
    ("/cases/mine", None, expect(303, 403, 200, 200, 200, 200)),
    ("/review", None, expect(303, 403, 403, 403, 200, 200)),
    ("/admin/users", None, expect(303, 403, 403, 403, 403, 200)),
    ("/cases/{id}", "pending", expect(303, 404, 200, 404, 200, 200)),
    ("/cases/{id}", "approved", expect(303, 200, 200, 200, 200, 200)),
    ("/cases/{id}/edit", "pending", expect(303, 403, 200, 404, 403, 403)),
    ("/search", None, expect(303, 200, 200, 200, 200, 200)),
    ("/dashboard", None, expect(303, 403, 403, 403, 200, 200)),
    ("/dashboard/export/agents.csv", None, expect(303, 403, 403, 403, 200, 200)),
    ("/cases/{id}/readers", "approved", expect(303, 403, 403, 403, 200, 200)),
    ("/me/impact", None, expect(303, 403, 200, 200, 200, 200)),
    ("/me/progress", None, expect(303, 200, 200, 200, 200, 200)),
]


@pytest.fixture
def people(app, make_actor, browser):
    actors = {
        "trainee": make_actor("trainee"),
        "author": make_actor("agent"),
        "other_agent": make_actor("agent"),
        "supervisor": make_actor("supervisor"),
        "admin": make_actor("admin"),
    }
    webs = {role: browser(actor.username) for role, actor in actors.items()}
    webs["anonymous"] = TestClient(app, follow_redirects=False)
    return actors, webs


def fresh_case(actors, state: str | None) -> int | None:
    if state is None:
        return None
    case = actors["author"].post("/api/cases", json=case_payload()).json()
    if state == "approved":
        actors["supervisor"].post(f"/api/cases/{case['id']}/review", json={"decision": "approve"})
    return case["id"]


@pytest.mark.parametrize(
    ("method", "path", "state", "body", "expected"), API, ids=[f"{m} {p} {s or ''}" for m, p, s, _, _ in API]
)
def test_api_route(people, client, method, path, state, body, expected):
    actors, _ = people
    seen = {}
    for role in ROLES:
        url = path.format(id=fresh_case(actors, state))
        if role == "anonymous":
            response = client.request(method, url, json=body)
        else:
            response = actors[role].request(method, url, json=body)
        seen[role] = response.status_code
    assert seen == expected


@pytest.mark.parametrize(("path", "state", "expected"), PAGES, ids=[f"{p} {s or ''}" for p, s, _ in PAGES])
def test_page(people, path, state, expected):
    actors, webs = people
    seen = {}
    for role in ROLES:
        seen[role] = webs[role].get(path.format(id=fresh_case(actors, state))).status_code
    assert seen == expected
