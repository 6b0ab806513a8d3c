"""How fast user administration answers with thousands of users: /admin/users and its API, over HTTP.

Builds a database (a SQLite file in a temporary folder, or PostgreSQL with --database-url, whose database must
not be `test`), migrated by heatcases.db.migrate, with --users people (5,000 by default) in 60 teams: 85 %
agents, 10 % trainees, 4 % supervisors, 1 % admins, one in twelve disabled, each with a few recorded changes;
then serves the app with uvicorn on a free local port and times, logged in as an admin, each request
--runs times (after one warm-up): the first page of users, a search by name, filters by role, team and
status, a page deep in the list, the teams page, the change log, and the API's list. Prints p50, p95 and max
in milliseconds per request, and the rows each one found.

.venv/bin/python bench/users_page.py
.venv/bin/python bench/users_page.py --users 5000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/users_bench
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from heatcases import db  # noqa: E402
from heatcases.accounts.service import hash_password  # noqa: E402
from heatcases.app import create_app  # noqa: E402
from heatcases.config import Settings  # noqa: E402
from heatcases.models import Team, User, UserChange  # noqa: E402

PASSWORD = "bench-admin-pass"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琳宁雪"


def load(settings: Settings, users: int, seed: int) -> None:
    engine = db.make_engine(settings)
    if engine.dialect.name == "postgresql":
        if engine.url.database == "test":
            sys.exit("refusing to use the database `test`: the test suite owns it")
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate(settings, engine)
    rng = random.Random(seed)
    now = db.utcnow()
    with engine.begin() as connection:
        connection.execute(insert(Team), [{"name": f"{city}{n}组", "created_at": now} for n in range(1, 13)
                                          for city in ("机票", "酒店", "度假", "火车", "用车")])  # fmt: skip
        team_ids = [row[0] for row in connection.execute(text("SELECT id FROM team ORDER BY id"))]
        rows = [
            {"username": "bench_admin", "display_name": "基准管理员", "role": "admin", "team_id": None,
             "password_hash": hash_password(PASSWORD), "is_active": True, "created_at": now, "updated_at": now,
             "source": "local", "must_change_password": False}
        ]  # fmt: skip
        for number in range(users - 1):
            draw = rng.random()
            role = "agent" if draw < 0.85 else "trainee" if draw < 0.95 else "supervisor" if draw < 0.99 else "admin"
            rows.append({
                "username": f"u{number:05d}.{rng.choice(['li', 'wang', 'zhang', 'chen', 'liu'])}",
                "display_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "role": role, "team_id": rng.choice(team_ids), "password_hash": "!", "is_active": number % 12 != 0,
                "created_at": now, "updated_at": now, "source": "local" if number % 3 else "directory",
                "must_change_password": False,
            })  # fmt: skip
        connection.execute(insert(User), rows)
        changes = [
            {"actor_id": None, "actor_name": "roster import", "action": "user_created", "target": row["username"],
             "detail": {"role": row["role"]}, "created_at": now}
            for row in rows for _ in range(3)
        ]  # fmt: skip
        connection.execute(insert(UserChange), changes)
        connection.execute(text("ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="heat-users-bench-"))
    settings = Settings(
        data_dir=folder, database_url=args.database_url, semantic_search=False, login_max_failures=0,
        secret_key="bench-secret-0123456789-0123456789-abcdef",
    )  # fmt: skip
    started = time.perf_counter()
    load(settings, args.users, args.seed)
    database = settings.sqlalchemy_url.split(":")[0]
    print(f"{args.users:,} users loaded in {time.perf_counter() - started:.1f} s on {database}")

    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as web:
            form = web.get("/login").text
            token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
            login = web.post("/login", data={"username": "bench_admin", "password": PASSWORD, "csrftoken": token})
            assert login.status_code == 303, login.text
            api = {"Authorization": "Bearer " + httpx.post(f"{base}/api/auth/token", json={
                "username": "bench_admin", "password": PASSWORD}).json()["access_token"]}  # fmt: skip
            requests = [
                ("page 1 of every user", "/admin/users", None),
                ("search by name (王)", "/admin/users?q=王", None),
                ("search by username", "/admin/users?q=u0421", None),
                ("role + team + status", "/admin/users?role=agent&team=酒店3组&status=active", None),
                ("disabled agents, page 3", "/admin/users?role=agent&status=disabled&page=3", None),
                ("page 80 (deep)", "/admin/users?page=80", None),
                ("teams page", "/admin/teams", None),
                ("change log, page 1", "/admin/changes", None),
                ("API: users, search + filters", "/api/admin/users?q=李&role=agent&status=active", api),
            ]
            print(f"{'request':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  found")
            for label, path, headers in requests:
                response = web.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code)
                timings = []
                for _ in range(args.runs):
                    begun = time.perf_counter()
                    response = web.get(path, headers=headers)
                    timings.append((time.perf_counter() - begun) * 1000)
                    assert response.status_code == 200
                found = _found(response)
                timings.sort()
                p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
                print(f"{label:32} {statistics.median(timings):8.1f} {p95:8.1f} {timings[-1]:8.1f}  {found}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _found(response: httpx.Response) -> str:
    if response.headers["content-type"].startswith("application/json"):
        return f"{response.json()['total']} users"
    match = re.search(r"(?:找到|共) (\d+) (?:个用户|条记录)", response.text)
    return f"{match.group(1)} {'changes' if '条记录' in match.group(0) else 'users'}" if match else "teams"


if __name__ == "__main__":
    main()
