"""Demo accounts and cases, so a newcomer's first minutes show a living library.

The cases in ``cases.json`` are original stories written by the team in the spirit of the seeds, and
``lessons.json`` a dozen lessons from complaints in the style of the second seed's complaint cases.
They go through the real workflow (submit with masking, review, feature), then their timestamps are
moved back to when the story happened, so lists and history look like weeks of use. Then ninety days
of searching and reading by trainees, agents and supervisors (``activity``) give the training
dashboard something to show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from heatcases.accounts import service as accounts
from heatcases.cases import service as cases
from heatcases.cases.schemas import CaseCreate
from heatcases.db import utcnow
from heatcases.demo import activity
from heatcases.models import Case, CaseAttachment, CaseEvent, User
from heatcases.praise import service as praise
from heatcases.search import changelog

DEMO_PASSWORD = "heat-demo"
CASES_FILE = Path(__file__).with_name("cases.json")
PRAISE_FOLDER = Path(__file__).with_name("praise")  # drawn by scripts/demo_praise.py
LESSONS_FILE = Path(__file__).with_name("lessons.json")

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
    ("agent_zhou", "agent", "机票服务一组", "周婷"),
    ("agent_wu", "agent", "酒店度假组", "吴昊"),
    ("agent_zheng", "agent", "交通出行组", "郑凯"),
    ("trainee_lin", "trainee", "新人培训班", "林晓雨"),
    ("trainee_guo", "trainee", "新人培训班", "郭子豪"),
    ("trainee_ma", "trainee", "新人培训二班", "马思远"),
    ("trainee_luo", "trainee", "新人培训二班", "罗欣然"),
    ("trainee_tang", "trainee", "新人培训二班", "唐诗涵"),
    ("trainee_feng", "trainee", "新人培训二班", "冯博"),
)
# The demo shows this many days of use. The teams in JOINED_DAYS_AGO joined later: the second class is
# still halfway through its featured stories, so the dashboard can compare two classes.
ACTIVITY_DAYS = 90
JOINED_DAYS_AGO = {"新人培训二班": 40}


@dataclass
class DemoReport:
    created: bool
    users: int = 0
    cases: int = 0
    views: int = 0
    impressions: int = 0
    searches: int = 0
    usernames: list[str] = field(default_factory=lambda: [name for name, *_ in DEMO_USERS])


def load_demo(session: Session, *, password: str = DEMO_PASSWORD) -> DemoReport:
    """Create the demo accounts, cases and their last ninety days of use unless they are there already."""
    if session.exec(select(User).where(User.username == "sup_zhang")).first():
        return DemoReport(created=False)
    now = utcnow()
    users, created = {}, 0
    for username, role, team, name in DEMO_USERS:
        # An account someone already made under a demo name (say "admin") is kept as it is.
        users[username] = session.exec(select(User).where(User.username == username)).first()
        if users[username] is None:
            users[username] = accounts.create_user(
                session, username=username, password=password, role=role, team=team, display_name=name
            )
            # As old as the activity it shows: nobody reads before their account exists.
            joined = now - timedelta(days=JOINED_DAYS_AGO.get(team, ACTIVITY_DAYS))
            users[username].created_at = users[username].updated_at = joined
            created += 1
    session.commit()
    reviewer = {"机票服务一组": users["sup_zhang"], "交通出行组": users["sup_zhang"], "酒店度假组": users["sup_huang"]}
    stories = [json.loads(path.read_text(encoding="utf-8")) for path in (CASES_FILE, LESSONS_FILE)]
    stories = stories[0] + stories[1]  # lessons go through the same workflow, priced when approved
    case_ids = []
    for story in stories:
        author = users[story["author"]]
        occurred = (now - timedelta(days=story["days_ago"])).date()
        data = CaseCreate.model_validate({**story, "occurred_on": occurred.isoformat()})
        case = cases.submit_case(session, author, data)
        for evidence in story.get("evidence", []):  # the author's, approved with the case
            with (PRAISE_FOLDER / evidence["file"]).open("rb") as upload:
                praise.add_attachment(
                    session, case.id, author, upload=upload, filename=evidence["file"], caption=evidence["caption"],
                    max_bytes=50 * 1024 * 1024,
                )  # fmt: skip
        supervisor = reviewer.get(author.team.name if author.team else "", users["sup_zhang"])
        if story["state"] in ("approved", "featured", "rejected"):
            decision = "reject" if story["state"] == "rejected" else "approve"
            cases.review_case(session, case.id, supervisor, decision=decision, comment=story["review_comment"] or "")
        if story["state"] == "featured":
            cases.set_featured(session, case.id, supervisor, True)
        _backdate(session, case.id, days_ago=story["days_ago"])
        case_ids.append(case.id)
    plan = _plan(session, users, case_ids, now)
    activity.write_plan(session, plan)
    # The index learns the moved dates when it next reads the change log.
    changelog.record(session.connection(), case_ids)
    session.commit()
    return DemoReport(
        created=True,
        users=created,
        cases=len(stories),
        views=len(plan.views),
        impressions=len(plan.impressions),
        searches=len(plan.searches),
    )


def _plan(session: Session, users: dict[str, User], case_ids: list[int], now: datetime) -> activity.Plan:
    """What the demo people did with the demo cases since they joined."""
    demo_cases = session.exec(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)).unique().all()
    readers = []
    for username, user in users.items():  # in DEMO_USERS order, so the plan does not depend on ids
        team = user.team.name if user.team else None
        since = now - timedelta(days=JOINED_DAYS_AGO.get(team, ACTIVITY_DAYS))
        readers.append(activity.Reader(id=user.id, username=username, role=user.role, team=team, since=since))
    return activity.plan_activity([activity.Story.of(case) for case in demo_cases], readers, now)


def _backdate(session: Session, case_id: int, *, days_ago: int) -> None:
    """Move a demo case's history to a day after its story: submitted, then each step three hours later."""
    submitted = utcnow() - timedelta(days=max(days_ago - 1, 0), hours=6)
    events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    for step, event in enumerate(events):
        event.created_at = submitted + timedelta(hours=3 * step)
        session.add(event)
    when = {event.action: event.created_at for event in events}
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(
            created_at=submitted,
            updated_at=events[-1].created_at,
            reviewed_at=when.get("approve", when.get("reject")),
            featured_at=when.get("feature"),
        )
    )
    session.execute(
        update(CaseAttachment)
        .where(CaseAttachment.case_id == case_id)
        .values(created_at=submitted, approved_at=when.get("approve"))
    )
    session.commit()
