"""Demo accounts and cases, so a newcomer's first minutes show a living library.

The cases in ``cases.json`` are original stories written by the team in the spirit of the seeds.
They go through the real workflow (submit with masking, review, feature), then their timestamps are
moved back to when the story happened, so lists and history look like weeks of use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from heatcases.accounts import service as accounts
from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseCreate
from heatcases.db import utcnow
from heatcases.models import Case, CaseEvent, User

DEMO_PASSWORD = "heat-demo"
CASES_FILE = Path(__file__).with_name("cases.json")

# username, role, team, display name
DEMO_USERS = (
    ("admin", "admin", None, "系统管理员"),
    ("sup_zhang", "supervisor", "机票服务一组", "张主管"),
    ("sup_huang", "supervisor", "酒店度假组", "黄主管"),
    ("agent_li", "agent", "机票服务一组", "李晓"),
    ("agent_wang", "agent", "机票服务一组", "王芳"),
    ("agent_zhao", "agent", "酒店度假组", "赵磊"),
    ("agent_chen", "agent", "酒店度假组", "陈静"),
    ("agent_liu", "agent", "交通出行组", "刘洋"),
    ("agent_sun", "agent", "交通出行组", "孙悦"),
    ("trainee_xu", "trainee", "新人培训班", "徐一鸣"),
    ("trainee_he", "trainee", "新人培训班", "何佳"),
)


@dataclass
class DemoReport:
    created: bool
    users: int = 0
    cases: int = 0
    usernames: list[str] = field(default_factory=lambda: [name for name, *_ in DEMO_USERS])


def load_demo(session: Session, *, password: str = DEMO_PASSWORD) -> DemoReport:
    """Create the demo accounts and cases unless they are there already."""
    if session.exec(select(User).where(User.username == "sup_zhang")).first():
        return DemoReport(created=False)
    users, created = {}, 0
    for username, role, team, name in DEMO_USERS:
        # An account someone already made under a demo name (say "admin") is kept as it is.
        users[username] = session.exec(select(User).where(User.username == username)).first()
        if users[username] is None:
            users[username] = accounts.create_user(
                session, username=username, password=password, role=role, team=team, display_name=name
            )
            created += 1
    reviewer = {"机票服务一组": users["sup_zhang"], "交通出行组": users["sup_zhang"], "酒店度假组": users["sup_huang"]}
    stories = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    now = utcnow()
    for story in stories:
        author = users[story["author"]]
        occurred = (now - timedelta(days=story["days_ago"])).date()
        data = CaseCreate.model_validate({**story, "occurred_on": occurred.isoformat()})
        case = cases.submit_case(session, author, data)
        supervisor = reviewer.get(author.team.name if author.team else "", users["sup_zhang"])
        if story["state"] in ("approved", "featured", "rejected"):
            decision = "reject" if story["state"] == "rejected" else "approve"
            cases.review_case(session, case.id, supervisor, decision=decision, comment=story["review_comment"] or "")
        if story["state"] == "featured":
            cases.set_featured(session, case.id, supervisor, True)
        _backdate(session, case.id, days_ago=story["days_ago"])
    return DemoReport(created=True, users=created, cases=len(stories))


def _backdate(session: Session, case_id: int, *, days_ago: int) -> None:
    """Move a demo case's timestamps to a day after its story: submitted, then reviewed hours later."""
    submitted = utcnow() - timedelta(days=max(days_ago - 1, 0), hours=6)
    events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    for step, event in enumerate(events):
        event.created_at = submitted + timedelta(hours=3 * step)
        session.add(event)
    last = submitted + timedelta(hours=3 * (len(events) - 1))
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(created_at=submitted, updated_at=last, reviewed_at=last if len(events) > 1 else None)
    )
    session.commit()
