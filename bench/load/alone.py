"""What each kind of request costs on its own: one client, one request at a time, on the load library.

    .venv/bin/python bench/load/run.py --prepare-only          # once: the 100,000-case library
    .venv/bin/python bench/load/alone.py [--data-dir DIR] [--database-url URL] [--runs 15]

Starts ``heatcases serve`` on the prepared data folder, then times searches, case reads (API and page,
the page twice; then its related cases, which the page's script fetches once it is shown), the dashboard,
the review queue page, a submission and an unfiltered case listing, sequentially; also one password check
with the argon2 settings the server uses and with the library's defaults. The load test's latencies are these costs plus
the wait for a turn; this script shows the costs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import serverproc  # noqa: E402

from heatcases.accounts import service as accounts  # noqa: E402

PASSWORD = "load-pass-2026"
QUERIES = ("航班 改签", "酒店 超售", "老人", "退款", "行李", "客人航班取消了怎么办", "押金", "导游")
CASE = {"title": "测试提交", "body": "客人在机场发现行李丢失，我主动联系航空公司和机场，三小时内找到行李并送到酒店。",
        "tags": ["active"], "business_line": "flight", "channel": "phone"}  # fmt: skip


def timed(name: str, call, runs: int) -> None:
    times = []
    for number in range(runs):
        started = time.perf_counter()
        answer = call(number)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code >= 400:
            raise SystemExit(f"{name}: HTTP {answer.status_code}")
    p95 = f"   p95 {statistics.quantiles(times, n=20)[-1]:7.1f} ms" if runs >= 20 else ""
    print(f"{name:<26} p50 {statistics.median(times):7.1f} ms{p95}   max {max(times):7.1f} ms   (n={runs})")


def web_login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrftoken": token, "next": "/"})
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/heat-load/sqlite-100000"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--port", type=int, default=8152)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--searches", type=int, default=200, help="searches timed (the others: --runs)")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "HEATCASES_DATA_DIR": str(args.data_dir), "HEATCASES_DATABASE_URL": args.database_url}
    log_path = Path(f"/tmp/heat-load/alone-{args.port}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen([sys.executable, "-m", "heatcases", "serve", "--port", str(args.port)],
                              cwd=HERE.parent.parent, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        with httpx.Client(base_url=base, timeout=60) as api:
            serverproc.wait_ready(server, base, log_path, api, timeout=600)
            token = api.post("/api/auth/token", json={"username": "load_trainee_5", "password": PASSWORD})
            trainee = {"Authorization": f"Bearer {token.json()['access_token']}"}
            token = api.post("/api/auth/token", json={"username": "load_agent_1", "password": PASSWORD})
            agent = {"Authorization": f"Bearer {token.json()['access_token']}"}
            hits = api.get("/api/search", params={"q": "行李", "per_page": 50}, headers=trainee).json()["hits"]
            ids = [hit["id"] for hit in hits]
            runs = min(args.runs, len(ids) // 2)
            reader, supervisor = web_login(base, "load_trainee_9"), web_login(base, "load_sup_3")
            for query in QUERIES * 2:  # warm-up, as bench/search_bench.py: each query's first time fills caches
                api.get("/api/search", params={"q": query}, headers=trainee)
            timed("search (API)", lambda n: api.get("/api/search", params={"q": QUERIES[n % 8]}, headers=trainee),
                  args.searches)  # fmt: skip
            timed("search page", lambda n: reader.get("/search", params={"q": QUERIES[n % 8]}), runs)
            timed("case (API)", lambda n: api.get(f"/api/cases/{ids[n]}", headers=trainee), runs)
            timed("case page, first time", lambda n: reader.get(f"/cases/{ids[runs + n]}"), runs)
            timed("case page, again", lambda n: reader.get(f"/cases/{ids[runs + n]}"), runs)
            timed("related cases (page part)", lambda n: reader.get(f"/cases/{ids[n]}/related?part=1"), runs)
            timed("dashboard page", lambda n: supervisor.get("/dashboard"), min(runs, 5))
            timed("review queue page", lambda n: supervisor.get("/review"), min(runs, 5))
            timed("submit (API)", lambda n: api.post("/api/cases", json=CASE, headers=agent), min(runs, 5))
            timed("case list, no filter (API)", lambda n: api.get("/api/cases", headers=trainee), min(runs, 5))
    finally:
        serverproc.stop(server, log)
    for label, hasher in (("server's", accounts._hasher), ("argon2-cffi default", PasswordHasher())):
        hashed = hasher.hash(PASSWORD)
        started = time.perf_counter()
        for _ in range(10):
            hasher.verify(hashed, PASSWORD)
        print(f"password check, {label} settings: {(time.perf_counter() - started) * 100:.1f} ms")


if __name__ == "__main__":
    main()
