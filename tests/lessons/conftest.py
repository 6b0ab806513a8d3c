"""Lessons: a lesson's payload with readable defaults, and a fixture that submits one."""

from __future__ import annotations

import pytest

from tests.conftest import Actor

HAPPENED = (
    "【经过】客人订了10月20日的机票，但记录编号订成了10月19日，出票员也未核对客人机票信息就直接出票送票。\n\n"
    "【结果】客人到了机场之后发现机票日期订错，无法顺利登机，投诉至客服。"
)


def lesson_payload(**overrides) -> dict:
    payload = {
        "kind": "lesson",
        "title": "机票日期订错，客人无法登机",
        "body": HAPPENED,
        "lesson": "出票员在出票时应先核对机票和订单内容是否相符，再将机票送出。",
        "defect_class": "A",
        "defect_kind": "fault",
        "servqual": ["reliability"],
        "found_by": "complaint",
        "partner": "长春票台",
        "tags": ["effortless", "trust"],
        "business_line": "flight",
        "channel": "phone",
        "occurred_on": "2026-10-19",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def submit_lesson():
    """submit_lesson(actor, **fields) -> the created lesson as JSON."""

    def do(actor: Actor, **overrides) -> dict:
        response = actor.post("/api/cases", json=lesson_payload(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return do


@pytest.fixture
def approve():
    def do(supervisor: Actor, case_id: int) -> dict:
        response = supervisor.post(f"/api/cases/{case_id}/review", json={"decision": "approve", "comment": ""})
        assert response.status_code == 200, response.text
        return response.json()

    return do
