"""The role table of PRODUCT.md, route by route: who may, who gets 401 / 403 / 404 / 409.

Every route of the app (API and pages, every method) is in one of the tables below, and
``test_every_route_is_in_the_matrix`` fails when a route is added without its row. Each row is called by
anonymous, a trainee, the author of the case (an agent), another agent, a supervisor and an admin. Page
forms are posted with a valid CSRF token, so the answer shows the role check, not the CSRF check.
"""

from __future__ import annotations

import io
import itertools

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from heatcases.i18n import translate
from tests.conftest import PASSWORD, case_payload, csrf_from
from tests.lessons.conftest import lesson_payload

ROLES = ("anonymous", "trainee", "author", "other_agent", "supervisor", "admin")
LOGIN = "login"  # a page's answer to anonymous visitors: 303 to /login?next=...


def expect(anonymous, trainee, author, other_agent, supervisor, admin) -> dict:
    return dict(zip(ROLES, (anonymous, trainee, author, other_agent, supervisor, admin), strict=True))


EVERYONE_API = expect(401, 200, 200, 200, 200, 200)
SUPERVISORS_API = expect(401, 403, 403, 403, 200, 200)
EVERYONE_PAGE = expect(LOGIN, 200, 200, 200, 200, 200)
SUPERVISORS_PAGE = expect(LOGIN, 403, 403, 403, 200, 200)
AUTHORS_PAGE = expect(LOGIN, 403, 200, 200, 200, 200)
SUPERVISORS_FORM = expect(LOGIN, 403, 403, 403, 303, 303)
ADMINS_API = expect(401, 403, 403, 403, 403, 200)
AUTHOR_SUPERVISORS_API = expect(401, 404, 200, 404, 200, 200)  # a pending case, or its pending evidence
ADMINS_PAGE = expect(LOGIN, 403, 403, 403, 403, 200)
ADMINS_FORM = expect(LOGIN, 403, 403, 403, 403, 303)
NEW_ROUND = "new calibration round"  # two fresh cases, the supervisor and the admin scoring them
NEW_ITEM = {"label_zh": "标题概括了故事", "label_en": "The title sums up the story"}  # a review checklist item
REVIEW = {"decision": "approve", "comment": "好案例"}
CREDENTIALS = "credentials"  # the caller's own username and password (anonymous: a wrong one)
NEW_GROUP = "new synonym group"  # words no group has yet (API body or form)
NEW_PIN = "new pin"  # a query no pin has yet and an approved case (API body or form)
NEW_PASSWORD = "new password"  # the caller's own password and a new one (API body or form)
BULK = "bulk"  # move the other agent to a team (API body or form)
FILE = "file"  # a picture to attach as praise evidence (multipart, API or form)
NEW_LIST = "new reading list"  # a reading list of a fresh approved case (API body or form)
ASSIGN = "assign"  # give a reading list to the trainee (API body or form)
UNASSIGN = "unassign"  # take a reading list back from the other agent (form)

# (method, path, which case, JSON body, expected status per role). A case state ("pending", "approved",
# "rejected", "featured", "archived") means a fresh case in that state written by `author` for every
# call, so one role's success never changes another's answer.
API = [
    ("POST", "/api/auth/token", None, CREDENTIALS, EVERYONE_API),
    ("DELETE", "/api/auth/token", None, None, expect(401, 204, 204, 204, 204, 204)),
    ("GET", "/api/me", None, None, EVERYONE_API),
    ("POST", "/api/cases", None, case_payload(), expect(401, 403, 201, 201, 201, 201)),
    ("GET", "/api/cases", None, None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}", "approved", None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}", "rejected", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}", "archived", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}/history", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}/history", "approved", None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}/history", "rejected", None, expect(401, 404, 200, 404, 200, 200)),
    ("PATCH", "/api/cases/{case_id}", "pending", {"title": "改"}, expect(401, 404, 200, 404, 403, 403)),
    ("PATCH", "/api/cases/{case_id}", "rejected", {"title": "改"}, expect(401, 404, 200, 404, 403, 403)),
    ("PATCH", "/api/cases/{case_id}", "approved", {"title": "改"}, expect(401, 403, 409, 403, 403, 403)),
    ("POST", "/api/cases/{case_id}/review", "pending", REVIEW, expect(401, 403, 403, 403, 200, 200)),
    ("POST", "/api/cases/{case_id}/review", "approved", REVIEW, expect(401, 403, 403, 403, 409, 409)),
    ("POST", "/api/cases/{case_id}/feature", "approved", None, SUPERVISORS_API),
    ("POST", "/api/cases/{case_id}/feature", "pending", None, expect(401, 403, 403, 403, 409, 409)),
    ("DELETE", "/api/cases/{case_id}/feature", "featured", None, SUPERVISORS_API),
    ("POST", "/api/cases/{case_id}/archive", "approved", None, SUPERVISORS_API),
    ("POST", "/api/cases/{case_id}/archive", "rejected", None, expect(401, 403, 403, 403, 409, 409)),
    ("DELETE", "/api/cases/{case_id}/archive", "archived", None, SUPERVISORS_API),
    ("GET", "/api/search", None, None, EVERYONE_API),
    ("GET", "/api/search/status", None, None, SUPERVISORS_API),
    ("GET", "/api/cases/{case_id}/related", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}/related", "approved", None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}/related", "archived", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/metrics/summary", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/summary.csv", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/export/{table}.csv", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/trend", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/search", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/top-cases", None, None, SUPERVISORS_API),
    ("GET", "/api/metrics/progress", None, None, SUPERVISORS_API),
    ("GET", "/api/me/progress", None, None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}/readers", "pending", None, SUPERVISORS_API),
    ("GET", "/api/cases/{case_id}/readers", "approved", None, SUPERVISORS_API),
    ("GET", "/api/search/synonyms", None, None, SUPERVISORS_API),
    ("POST", "/api/search/synonyms", None, NEW_GROUP, expect(401, 403, 403, 403, 201, 201)),
    ("PUT", "/api/search/synonyms/{group_id}", None, NEW_GROUP, SUPERVISORS_API),
    ("DELETE", "/api/search/synonyms/{group_id}", None, None, expect(401, 403, 403, 403, 204, 204)),
    ("GET", "/api/search/synonyms/history", None, None, SUPERVISORS_API),
    ("GET", "/api/search/pins", None, None, SUPERVISORS_API),
    ("POST", "/api/search/pins", None, NEW_PIN, expect(401, 403, 403, 403, 201, 201)),
    ("DELETE", "/api/search/pins/{pin_id}", None, None, expect(401, 403, 403, 403, 204, 204)),
    ("GET", "/api/search/attention", None, None, SUPERVISORS_API),
    # a load balancer's checks: anyone, logged in or not
    ("GET", "/healthz", None, None, expect(200, 200, 200, 200, 200, 200)),
    ("GET", "/readyz", None, None, expect(200, 200, 200, 200, 200, 200)),
    ("PATCH", "/api/me", None, {"language": "en"}, EVERYONE_API),
    ("POST", "/api/me/password", None, NEW_PASSWORD, expect(401, 204, 204, 204, 204, 204)),
    ("GET", "/api/admin/users", None, None, ADMINS_API),
    ("POST", "/api/admin/users/bulk", None, BULK, ADMINS_API),
    ("GET", "/api/admin/teams", None, None, ADMINS_API),
    ("GET", "/api/admin/changes", None, None, ADMINS_API),
    # Without a file the admin's import is a 422; without a directory configured the admin's sync is a 409.
    ("POST", "/api/admin/users/import", None, None, expect(401, 403, 403, 403, 403, 422)),
    ("POST", "/api/admin/directory/sync", None, None, expect(401, 403, 403, 403, 403, 409)),
    ("POST", "/api/cases", None, lesson_payload(), expect(401, 403, 201, 201, 201, 201)),
    ("PATCH", "/api/cases/{case_id}", "lesson_pending", {"defect_class": "C"}, expect(401, 404, 200, 404, 403, 403)),
    ("GET", "/api/metrics/lessons", None, None, SUPERVISORS_API),
    ("GET", "/api/settings/customer-value", None, None, EVERYONE_API),
    ("GET", "/api/settings/customer-value/history", None, None, ADMINS_API),
    ("PUT", "/api/settings/customer-value", None, {"shares": {"A": 1.0}}, ADMINS_API),
    # Praise evidence: "attachment_pending" is the author's picture on their approved case, not yet approved.
    ("POST", "/api/cases/{case_id}/attachments", "approved", FILE, expect(401, 403, 201, 403, 201, 201)),
    ("POST", "/api/cases/{case_id}/attachments", "pending", FILE, expect(401, 404, 201, 404, 201, 201)),
    ("GET", "/api/cases/{case_id}/attachments", "approved", None, EVERYONE_API),
    ("GET", "/api/cases/{case_id}/attachments", "pending", None, AUTHOR_SUPERVISORS_API),
    ("GET", "/api/attachments/pending", None, None, SUPERVISORS_API),
    ("GET", "/api/attachments/{attachment_id}", "attachment_approved", None, EVERYONE_API),
    ("GET", "/api/attachments/{attachment_id}", "attachment_pending", None, AUTHOR_SUPERVISORS_API),
    ("GET", "/api/attachments/{attachment_id}/thumbnail", "attachment_approved", None, EVERYONE_API),
    ("GET", "/api/attachments/{attachment_id}/thumbnail", "attachment_pending", None, AUTHOR_SUPERVISORS_API),
    ("POST", "/api/attachments/{attachment_id}/approve", "attachment_pending", None, SUPERVISORS_API),
    ("DELETE", "/api/attachments/{attachment_id}", "attachment_approved", None, expect(401, 403, 204, 403, 204, 204)),
    ("DELETE", "/api/attachments/{attachment_id}", "attachment_pending", None, expect(401, 404, 204, 404, 204, 204)),
    ("GET", "/api/metrics/reviews", None, None, SUPERVISORS_API),
    ("GET", "/api/review/checklist", None, None, EVERYONE_API),
    ("POST", "/api/review/checklist", None, NEW_ITEM, expect(401, 403, 403, 403, 403, 201)),
    ("PATCH", "/api/review/checklist/{item_id}", None, {"label_en": "The situation is clear"}, ADMINS_API),
    ("GET", "/api/review/checklist/history", None, None, ADMINS_API),
    ("GET", "/api/cases/{case_id}/reviews", "pending", None, expect(401, 404, 200, 404, 200, 200)),
    ("GET", "/api/cases/{case_id}/reviews", "approved", None, expect(401, 403, 200, 403, 200, 200)),
    ("POST", "/api/calibration/rounds", None, NEW_ROUND, expect(401, 403, 403, 403, 201, 201)),
    ("GET", "/api/calibration/rounds", None, None, SUPERVISORS_API),
    ("GET", "/api/calibration/rounds/{round_id}", None, None, SUPERVISORS_API),
    # Members (the supervisor and the admin) who leave out a mark get 422: the role check came first.
    ("PUT", "/api/calibration/rounds/{round_id}/scores", None, {"scores": []}, expect(401, 403, 403, 403, 422, 422)),
    ("POST", "/api/calibration/rounds/{round_id}/close", None, None, SUPERVISORS_API),
    ("GET", "/api/me/notifications", None, None, EVERYONE_API),
    ("GET", "/api/me/notifications/unread", None, None, EVERYONE_API),
    ("POST", "/api/me/notifications/read", None, None, EVERYONE_API),
    ("GET", "/api/me/notification-settings", None, None, EVERYONE_API),
    ("PUT", "/api/me/notification-settings", None, {"muted": ["digest"]}, EVERYONE_API),
    ("GET", "/api/reading-lists", None, None, SUPERVISORS_API),
    ("POST", "/api/reading-lists", None, NEW_LIST, expect(401, 403, 403, 403, 201, 201)),
    ("GET", "/api/reading-lists/{list_id}", None, None, SUPERVISORS_API),
    ("DELETE", "/api/reading-lists/{list_id}", None, None, expect(401, 403, 403, 403, 204, 204)),
    ("POST", "/api/reading-lists/{list_id}/assign", None, ASSIGN, SUPERVISORS_API),
    ("DELETE", "/api/reading-lists/{list_id}/assignees/{username}", None, None, expect(401, 403, 403, 403, 204, 204)),
    ("POST", "/api/reading-lists/{list_id}/remind", None, None, SUPERVISORS_API),
    ("GET", "/api/me/reading", None, None, EVERYONE_API),
]

# (path, which case, expected per role) for GET pages.
PAGES = [
    ("/login", None, expect(200, 303, 303, 303, 303, 303)),
    ("/lang/{code}", None, expect(303, 303, 303, 303, 303, 303)),
    ("/", None, EVERYONE_PAGE),
    ("/cases", None, EVERYONE_PAGE),
    ("/featured", None, EVERYONE_PAGE),
    ("/search", None, EVERYONE_PAGE),
    ("/me/progress", None, EVERYONE_PAGE),
    ("/cases/new", None, AUTHORS_PAGE),
    ("/cases/mine", None, AUTHORS_PAGE),
    ("/me/impact", None, AUTHORS_PAGE),
    ("/review", None, SUPERVISORS_PAGE),
    ("/dashboard", None, SUPERVISORS_PAGE),
    ("/dashboard/export/{table}.csv", None, SUPERVISORS_PAGE),
    ("/admin/users", None, expect(LOGIN, 403, 403, 403, 403, 200)),
    ("/synonyms", None, SUPERVISORS_PAGE),
    ("/cases/{case_id}", "pending", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/cases/{case_id}", "approved", EVERYONE_PAGE),
    ("/cases/{case_id}", "rejected", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/cases/{case_id}", "archived", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/cases/{case_id}/edit", "pending", expect(LOGIN, 403, 200, 404, 403, 403)),
    ("/cases/{case_id}/edit", "rejected", expect(LOGIN, 403, 200, 404, 403, 403)),
    ("/cases/{case_id}/edit", "approved", expect(LOGIN, 403, 409, 403, 403, 403)),
    ("/cases/{case_id}/related", "pending", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/cases/{case_id}/related", "approved", EVERYONE_PAGE),
    ("/cases/{case_id}/related", "archived", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/cases/{case_id}/readers", "pending", SUPERVISORS_PAGE),
    ("/cases/{case_id}/readers", "approved", SUPERVISORS_PAGE),
    ("/me/profile", None, EVERYONE_PAGE),
    ("/admin/teams", None, ADMINS_PAGE),
    ("/admin/changes", None, ADMINS_PAGE),
    ("/lessons", None, EVERYONE_PAGE),
    ("/lessons/new", None, AUTHORS_PAGE),
    ("/lessons/{case_id}/edit", "lesson_pending", expect(LOGIN, 403, 200, 404, 403, 403)),
    ("/lessons/{case_id}/edit", "lesson_approved", expect(LOGIN, 403, 409, 403, 403, 403)),
    ("/settings/customer-value", None, expect(LOGIN, 403, 403, 403, 403, 200)),
    ("/cases/{case_id}/attachments/new", "approved", expect(LOGIN, 403, 200, 403, 200, 200)),
    ("/cases/{case_id}/attachments/new", "pending", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/attachments/{attachment_id}", "attachment_approved", EVERYONE_PAGE),
    ("/attachments/{attachment_id}", "attachment_pending", expect(LOGIN, 404, 200, 404, 200, 200)),
    ("/attachments/{attachment_id}/thumbnail", "attachment_approved", EVERYONE_PAGE),
    ("/admin/checklist", None, ADMINS_PAGE),
    ("/calibration", None, SUPERVISORS_PAGE),
    ("/calibration/{round_id}", None, SUPERVISORS_PAGE),
    ("/me/notifications", None, EVERYONE_PAGE),
    ("/me/notifications/settings", None, EVERYONE_PAGE),
    ("/reading", None, SUPERVISORS_PAGE),
    ("/reading/{list_id}", None, SUPERVISORS_PAGE),
    ("/me/reading", None, EVERYONE_PAGE),
]


def case_form(**overrides) -> dict:
    """The submit / edit form's fields for a valid case."""
    return {key: value for key, value in case_payload(**overrides).items() if value is not None}


def lesson_form() -> dict:
    """The lesson form's fields for a valid lesson."""
    return {key: value for key, value in lesson_payload().items() if key != "kind"}


VALUE_FORM = {
    **{f"{line}-{key}": "5" for line in ("flight", "hotel", "vacation", "train", "car", "attraction", "other")
       for key in ("revenue_per_order", "orders_per_year", "years")},
    **{f"shares-{code}": "0.5" for code in "ABC"},
}  # fmt: skip


# (path, which case, form fields, expected per role) for POST page forms; success is a 303 redirect.
FORMS = [
    ("/login", None, CREDENTIALS, expect(303, 303, 303, 303, 303, 303)),
    ("/logout", None, {}, expect(303, 303, 303, 303, 303, 303)),
    ("/admin/users", None, {"username": "new_agent", "password": "new-password", "role": "agent"},
     expect(LOGIN, 403, 403, 403, 403, 303)),
    ("/admin/users/{username}", None, {"team": "二组"}, expect(LOGIN, 403, 403, 403, 403, 303)),
    ("/cases/new", None, case_form(), expect(LOGIN, 403, 303, 303, 303, 303)),
    ("/cases/{case_id}/edit", "pending", case_form(title="改过的标题"), expect(LOGIN, 403, 303, 404, 403, 403)),
    ("/cases/{case_id}/edit", "rejected", case_form(title="改过的标题"), expect(LOGIN, 403, 303, 404, 403, 403)),
    ("/cases/{case_id}/edit", "approved", case_form(title="改过的标题"), expect(LOGIN, 403, 409, 403, 403, 403)),
    # Drafts: an author's own, so saving one for a case needs the right to edit it; discarding touches only one's own.
    ("/cases/new/draft", None, {"title": "草稿"}, expect(LOGIN, 403, 200, 200, 200, 200)),
    ("/cases/new/draft/discard", None, {}, expect(LOGIN, 403, 303, 303, 303, 303)),
    ("/cases/{case_id}/draft", "pending", {"title": "草稿"}, expect(LOGIN, 403, 200, 404, 403, 403)),
    ("/cases/{case_id}/draft", "approved", {"title": "草稿"}, expect(LOGIN, 403, 409, 403, 403, 403)),
    ("/cases/{case_id}/draft/discard", "rejected", {}, expect(LOGIN, 403, 303, 303, 303, 303)),
    ("/cases/{case_id}/review", "pending", REVIEW, expect(LOGIN, 403, 403, 403, 303, 303)),
    ("/cases/{case_id}/review", "approved", REVIEW, expect(LOGIN, 403, 403, 403, 409, 409)),
    ("/cases/{case_id}/feature", "approved", {"featured": "1"}, expect(LOGIN, 403, 403, 403, 303, 303)),
    ("/cases/{case_id}/feature", "featured", {"featured": "0"}, expect(LOGIN, 403, 403, 403, 303, 303)),
    ("/cases/{case_id}/feature", "pending", {"featured": "1"}, expect(LOGIN, 403, 403, 403, 409, 409)),
    ("/cases/{case_id}/archive", "approved", {"archived": "1"}, expect(LOGIN, 403, 403, 403, 303, 303)),
    ("/cases/{case_id}/archive", "archived", {"archived": "0"}, expect(LOGIN, 403, 403, 403, 303, 303)),
    ("/synonyms/groups", None, NEW_GROUP, SUPERVISORS_FORM),
    ("/synonyms/groups/{group_id}", None, NEW_GROUP, SUPERVISORS_FORM),
    ("/synonyms/groups/{group_id}/remove", None, {}, SUPERVISORS_FORM),
    ("/synonyms/pins", None, NEW_PIN, SUPERVISORS_FORM),
    ("/synonyms/pins/{pin_id}/remove", None, {}, SUPERVISORS_FORM),
    ("/me/profile", None, {"language": "zh"}, expect(LOGIN, 303, 303, 303, 303, 303)),
    ("/me/password", None, NEW_PASSWORD, expect(LOGIN, 303, 303, 303, 303, 303)),
    ("/admin/users/bulk", None, BULK, expect(LOGIN, 403, 403, 403, 403, 303)),
    ("/admin/users/import", None, {}, expect(LOGIN, 403, 403, 403, 403, 422)),  # no file: 422
    ("/admin/directory/sync", None, {}, expect(LOGIN, 403, 403, 403, 403, 409)),  # no directory: 409
    ("/lessons/new", None, lesson_form(), expect(LOGIN, 403, 303, 303, 303, 303)),
    ("/lessons/{case_id}/edit", "lesson_rejected", lesson_form(), expect(LOGIN, 403, 303, 404, 403, 403)),
    ("/settings/customer-value", None, VALUE_FORM, expect(LOGIN, 403, 403, 403, 403, 303)),
    ("/cases/{case_id}/attachments", "approved", FILE, expect(LOGIN, 403, 303, 403, 303, 303)),
    ("/attachments/{attachment_id}/approve", "attachment_pending", {}, SUPERVISORS_FORM),
    ("/attachments/{attachment_id}/delete", "attachment_approved", {}, expect(LOGIN, 403, 303, 403, 303, 303)),
    ("/admin/checklist", None, NEW_ITEM, ADMINS_FORM),
    ("/admin/checklist/{item_id}", None, {"label_zh": "情况交代清楚", "label_en": "The situation is clear"},
     ADMINS_FORM),
    ("/admin/checklist/{item_id}/active", None, {"active": "1"}, ADMINS_FORM),
    ("/admin/checklist/{item_id}/move", None, {"position": "1"}, ADMINS_FORM),
    ("/calibration", None, {"title": "校准"}, expect(LOGIN, 403, 403, 403, 422, 422)),  # no cases: 422
    ("/calibration/{round_id}/scores", None, {}, expect(LOGIN, 403, 403, 403, 422, 422)),  # no marks: 422
    ("/calibration/{round_id}/close", None, {}, SUPERVISORS_FORM),
    ("/me/notifications/read", None, {}, expect(LOGIN, 303, 303, 303, 303, 303)),
    ("/me/notifications/settings", None, {"in_app": "digest"}, expect(LOGIN, 303, 303, 303, 303, 303)),
    ("/reading", None, NEW_LIST, SUPERVISORS_FORM),
    ("/reading/{list_id}/assign", None, ASSIGN, SUPERVISORS_FORM),
    ("/reading/{list_id}/remind", None, {}, SUPERVISORS_FORM),
    ("/reading/{list_id}/unassign", None, UNASSIGN, SUPERVISORS_FORM),
    ("/reading/{list_id}/delete", None, {}, SUPERVISORS_FORM),
]  # fmt: skip


@pytest.fixture
def people(app, make_actor, browser):
    """The actors (bearer tokens), their logged-in browsers, and a CSRF token for each browser."""
    actors = {
        "trainee": make_actor("trainee"),
        "author": make_actor("agent"),
        "other_agent": make_actor("agent"),
        "supervisor": make_actor("supervisor"),
        "admin": make_actor("admin"),
    }
    webs = {role: browser(actor.username) for role, actor in actors.items()}
    webs["anonymous"] = TestClient(app, follow_redirects=False)
    tokens = {
        role: csrf_from(web.get("/login" if role == "anonymous" else "/me/progress").text) for role, web in webs.items()
    }
    return actors, webs, tokens


def fresh_case(actors, state: str | None) -> int | None:
    """A new case written by the author, brought into ``state`` by the supervisor."""
    if state is None:
        return None
    lesson = state.startswith("lesson_")  # a lesson in that state
    state = state.removeprefix("lesson_")
    case = actors["author"].post("/api/cases", json=lesson_payload() if lesson else case_payload()).json()
    supervisor, case_id = actors["supervisor"], case["id"]
    steps = {
        "pending": [],
        "approved": [("POST", "review", REVIEW)],
        "rejected": [("POST", "review", {"decision": "reject", "comment": "请补充结果"})],
        "featured": [("POST", "review", REVIEW), ("POST", "feature", None)],
        "archived": [("POST", "review", REVIEW), ("POST", "archive", None)],
    }[state]
    for method, action, body in steps:
        response = supervisor.request(method, f"/api/cases/{case_id}/{action}", json=body)
        assert response.status_code == 200, response.text
    return case_id


_fresh = itertools.count(1)


def new_words() -> list[str]:
    number = next(_fresh)
    return [f"同义{number}甲", f"同义{number}乙"]


def new_pin(actors) -> dict:
    return {"query": f"置顶{next(_fresh)}", "case_id": fresh_case(actors, "approved")}


def fresh_group(actors) -> int:
    response = actors["supervisor"].post("/api/search/synonyms", json={"words": new_words()})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def fresh_pin(actors) -> int:
    response = actors["supervisor"].post("/api/search/pins", json=new_pin(actors))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def picture() -> tuple:
    """A small PNG to attach as praise evidence."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(out, "PNG")
    return ("praise.png", out.getvalue(), "image/png")


def fresh_attachment(actors, state: str) -> int:
    """The author's picture on their approved case; approved by the supervisor when ``state`` says so."""
    case_id = fresh_case(actors, "approved")
    response = actors["author"].post(f"/api/cases/{case_id}/attachments", files={"file": picture()})
    assert response.status_code == 201, response.text
    attachment_id = response.json()["id"]
    if state == "approved":
        assert actors["supervisor"].post(f"/api/attachments/{attachment_id}/approve").status_code == 200
    return attachment_id


def new_round(actors) -> dict:
    return {"title": "校准", "case_ids": [fresh_case(actors, "pending"), fresh_case(actors, "approved")],
            "supervisors": [actors["supervisor"].username, actors["admin"].username]}  # fmt: skip


def fresh_round(actors) -> int:
    response = actors["supervisor"].post("/api/calibration/rounds", json=new_round(actors))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def new_list(actors) -> dict:
    return {"title": f"清单{next(_fresh)}", "due_on": "2999-01-01", "items": [fresh_case(actors, "approved")]}


def fresh_list(actors) -> int:
    """A reading list the other agent has."""
    response = actors["supervisor"].post("/api/reading-lists", json=new_list(actors))
    assert response.status_code == 201, response.text
    list_id = response.json()["id"]
    assign = {"usernames": [actors["other_agent"].username]}
    assert actors["supervisor"].post(f"/api/reading-lists/{list_id}/assign", json=assign).status_code == 200
    return list_id


def url(path: str, actors, state: str | None) -> str:
    attachment_id = 0
    if state and state.startswith("attachment_"):
        attachment_id, state = fresh_attachment(actors, state.removeprefix("attachment_")), None
    return path.format(
        case_id=fresh_case(actors, state), table="agents", code="en", username=actors["other_agent"].username,
        group_id=fresh_group(actors) if "{group_id}" in path else 0,
        pin_id=fresh_pin(actors) if "{pin_id}" in path else 0, attachment_id=attachment_id,
        item_id=actors["admin"].get("/api/review/checklist").json()[0]["id"] if "{item_id}" in path else 0,
        round_id=fresh_round(actors) if "{round_id}" in path else 0,
        list_id=fresh_list(actors) if "{list_id}" in path else 0,
    )  # fmt: skip


def api_body(body, actors, role: str):
    """A row's JSON body, made for this call when it must be new."""
    if body == CREDENTIALS:
        return credentials(actors, role)
    if body == NEW_GROUP:
        return {"words": new_words()}
    if body == NEW_PIN:
        return new_pin(actors)
    if body == NEW_PASSWORD:
        return {"current_password": PASSWORD, "new_password": "Harbour-lantern-42"}
    if body == BULK:
        return {"usernames": [actors["other_agent"].username], "action": "team", "value": "二组"}
    if body == NEW_ROUND:
        return new_round(actors)
    if body == NEW_LIST:
        return new_list(actors)
    if body == ASSIGN:
        return {"usernames": [actors["trainee"].username]}
    return body


def form_fields(form, actors, role: str) -> dict:
    """A row's form fields, made for this call when they must be new."""
    if form == CREDENTIALS:
        return credentials(actors, "trainee" if role == "anonymous" else role)
    if form == NEW_GROUP:
        return {"words": " ".join(new_words())}
    if form == NEW_PIN:
        pin = new_pin(actors)
        return {"query": pin["query"], "case": str(pin["case_id"])}
    if form == NEW_PASSWORD:
        return {
            "current_password": PASSWORD,
            "new_password": "Harbour-lantern-42",
            "confirm_password": "Harbour-lantern-42",
        }
    if form == BULK:
        return {"action": "team", "value": "二组", "user": actors["other_agent"].username}
    if form == FILE:
        return {"caption": "感谢信"}
    if form == NEW_LIST:
        made = new_list(actors)
        return {"title": made["title"], "due_on": made["due_on"], "items": str(made["items"][0])}
    if form == ASSIGN:
        return {"usernames": actors["trainee"].username}
    if form == UNASSIGN:
        return {"username": actors["other_agent"].username}
    return form


def credentials(actors, role: str) -> dict:
    if role == "anonymous":
        return {"username": "nobody", "password": "wrong-password"}
    return {"username": actors[role].username, "password": PASSWORD}


def outcome(response) -> int | str:
    """The status, or LOGIN for a page that sends the visitor to log in."""
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize(
    ("method", "path", "state", "body", "expected"), API, ids=[f"{m} {p} {s or ''}" for m, p, s, _, _ in API]
)
def test_api_route(people, client, method, path, state, body, expected):
    actors, _, _ = people
    seen = {}
    for role in ROLES:
        target = url(path, actors, state)
        payload = api_body(body, actors, role)
        headers = {}
        if role != "anonymous":
            token = actors[role].token
            if (method, path) == ("DELETE", "/api/auth/token"):  # revokes the token it is sent with
                token = client.post("/api/auth/token", json=credentials(actors, role)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
        if body == FILE:
            seen[role] = client.request(method, target, files={"file": picture()}, headers=headers).status_code
        else:
            seen[role] = client.request(method, target, json=payload, headers=headers).status_code
    assert seen == expected


@pytest.mark.parametrize(("path", "state", "expected"), PAGES, ids=[f"{p} {s or ''}" for p, s, _ in PAGES])
def test_page(people, path, state, expected):
    actors, webs, _ = people
    seen = {role: outcome(webs[role].get(url(path, actors, state))) for role in ROLES}
    assert seen == expected


@pytest.mark.parametrize(("path", "state", "form", "expected"), FORMS, ids=[f"{p} {s or ''}" for p, s, _, _ in FORMS])
def test_form(people, path, state, form, expected):
    actors, webs, tokens = people
    seen = {}
    for role in ROLES:
        fields = form_fields(form, actors, role)
        upload = {"files": {"file": picture()}} if form == FILE else {}
        response = webs[role].post(url(path, actors, state), data={**fields, "csrftoken": tokens[role]}, **upload)
        seen[role] = outcome(response)
    assert seen == expected


def test_forms_without_the_csrf_token_are_refused(people):
    """The CSRF check stands in front of every form, whoever posts it (the rows above pass it)."""
    actors, webs, _ = people
    for path in sorted({path for path, _, _, _ in FORMS}):
        response = webs["admin"].post(url(path, actors, "approved"), data={"featured": "1", "archived": "1"})
        assert response.status_code == 403, path
        assert translate("error.csrf", "zh") in response.text, path


# --- the matrix covers the app --------------------------------------------------------------------

UNCHECKED = {"/openapi.json", "/static"}  # the public OpenAPI document and the static files


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, included routers flattened."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI keeps included routers nested
    routes = flatten(app.routes) if flatten else app.routes
    return {
        (method, route.path)
        for route in routes
        if route.path not in UNCHECKED
        for method in (route.methods or {"(mount)"}) - {"HEAD"}
    }


def matrix_routes() -> set[tuple[str, str]]:
    return (
        {(method, path) for method, path, _, _, _ in API}
        | {("GET", path) for path, _, _ in PAGES}
        | {("POST", path) for path, _, _, _ in FORMS}
    )


def test_every_route_is_in_the_matrix(app):
    missing = app_routes(app) - matrix_routes()
    assert not missing, f"routes without a row in the permission matrix: {sorted(missing)}"


def test_every_row_of_the_matrix_is_a_route(app):
    stale = matrix_routes() - app_routes(app)
    assert not stale, f"rows of the permission matrix that match no route: {sorted(stale)}"
