"""Fuzzing the API against its own OpenAPI document, as every role: never a 5xx, and never an answer the
document does not declare (status code, media type, body schema, headers).

Schemathesis generates the requests from ``app.openapi()`` (valid ones and, for every operation that takes
input, invalid ones) and sends them to the ASGI app in-process, with the bearer token of each role. It
runs on the test database of the ``app`` fixture, so what the fuzzer creates is emptied after the test
like any other test's data. Bounded: a few examples per operation, role and mode, no shrinking,
derandomized, so a run is repeatable and takes well under a minute and a half.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.models import User
from tests.conftest import case_payload

ROLES = ("anonymous", "trainee", "agent", "supervisor", "admin")
JSON = "application/json"
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SETTINGS = hypothesis.settings(
    derandomize=True,  # the same examples every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.fixture
def seeded(make_actor, submit):
    """The four roles with their tokens, and a case in each state for the path parameters to hit."""
    actors = {role: make_actor(role) for role in ROLES if role != "anonymous"}
    agent, supervisor = actors["agent"], actors["supervisor"]

    def reviewed(decision: str) -> int:
        case = submit(agent)
        answer = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": decision, "comment": "审核意见"})
        assert answer.status_code == 200, answer.text
        return case["id"]

    pending = submit(agent)["id"]
    approved, rejected, featured, archived = (reviewed(d) for d in ("approve", "reject", "approve", "approve"))
    assert supervisor.post(f"/api/cases/{featured}/feature").status_code == 200
    assert supervisor.post(f"/api/cases/{archived}/archive").status_code == 200
    own = submit(supervisor, title="主管自己提交的案例")["id"]
    return actors, [pending, approved, rejected, featured, archived, own]


def fresh_token(app, username: str) -> str:
    """A token of its own for one call of DELETE /api/auth/token, which revokes the token it is sent with.

    Issued directly: the fuzzed token requests may have tripped the failed-login throttle by then."""
    with db.session_scope(app.state.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return accounts.issue_token(session, user, kind="api", ttl=timedelta(hours=1))


def strategies(operation, mode: GenerationMode, case_ids: list[int]):
    """The operation's generated cases; valid ones also aimed at the seeded cases, not only at random ids."""
    generated = [operation.as_strategy(generation_mode=mode)]
    if mode.is_positive and operation.path_parameters.get("case_id") is not None:
        generated += [
            operation.as_strategy(generation_mode=mode, path_parameters={"case_id": case_id}) for case_id in case_ids
        ]
    if mode.is_positive and operation.label == "POST /api/cases":
        generated.append(operation.as_strategy(generation_mode=mode, body=case_payload(), media_type=JSON))
    return st.one_of(generated)


def takes_input(operation) -> bool:
    return bool(list(operation.iter_parameters())) or bool(len(operation.body))


class Fuzzer:
    """Sends the generated cases of one operation as one role, and keeps what it saw."""

    def __init__(self, app, actors, case_ids):
        self.app, self.actors, self.case_ids = app, actors, case_ids
        self.session = ASGIClient(app)  # in-process; the lifespan is the one the `client` fixture runs
        self.requests, self.statuses, self.failures = Counter(), Counter(), {}

    def headers(self, operation, role: str) -> dict:
        if role == "anonymous":
            return {}
        if operation.label == "DELETE /api/auth/token":
            return {"Authorization": f"Bearer {fresh_token(self.app, self.actors[role].username)}"}
        return self.actors[role].headers

    def run(self, operation, role: str, mode: GenerationMode) -> None:
        @hypothesis.settings(SETTINGS, max_examples=EXAMPLES[mode])
        @hypothesis.given(case=strategies(operation, mode, self.case_ids))
        def call(case):
            headers = self.headers(operation, role)
            response = case.call(session=self.session, headers=headers)
            self.requests[role] += 1
            self.statuses[response.status_code // 100 * 100] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:  # keep going: one run shows every mismatch
                for failure in group.exceptions:
                    key = (operation.label, role, failure.title)
                    if key not in self.failures:
                        curl = case.as_curl_command(headers={"Authorization": f"<{role} token>"})
                        self.failures[key] = f"{response.status_code}: {failure.message}\n    {curl}"

        call()

    def problems(self) -> str:
        return "\n".join(f"{op} as {role}: {title}\n  {detail}" for (op, role, title), detail in self.failures.items())


def test_fuzz_every_operation_as_every_role(app, client, seeded, report):
    actors, case_ids = seeded
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI document lost its operations"

    fuzzer = Fuzzer(app, actors, case_ids)
    started = time.monotonic()
    for operation in operations:
        for role in ROLES:
            for mode in EXAMPLES:
                if mode.is_positive or takes_input(operation):  # without input there is nothing to make invalid
                    fuzzer.run(operation, role, mode)
    elapsed = time.monotonic() - started

    per_role = ", ".join(f"{role} {fuzzer.requests[role]}" for role in ROLES)
    by_class = ", ".join(f"{status // 100}xx {count}" for status, count in sorted(fuzzer.statuses.items()))
    report(
        f"fuzz on {app.state.engine.dialect.name}: {len(operations)} operations x {len(ROLES)} roles, "
        f"{fuzzer.requests.total()} requests ({per_role}; {by_class}) in {elapsed:.1f} s"
    )
    assert not fuzzer.failures, fuzzer.problems()
    assert fuzzer.statuses[500] == 0
