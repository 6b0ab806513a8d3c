"""How fast the main pages load in a real browser: Chromium (Playwright) against a demo server.

For each main page, as the user who uses it, the page is loaded ``--runs`` times after one warm-up
in a fresh tab each time (the stylesheet and scripts come from the browser's cache after the first
load, as on an agent's desk). Printed per page: the server's answer (time to the last byte of the
HTML), DOMContentLoaded and load, from the browser's Navigation Timing; the requests the page made
and their bytes on a first (uncached) load; and requests to any other host (must be 0).

    .venv/bin/python bench/pages_bench.py [--runs 20]

Needs Chromium at /usr/bin/chromium (scripts/browser-deps.sh installs it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serverproc  # noqa: E402  (bench/, beside this script)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
PAGES = [
    ("login", None, "/login"),
    ("home", "trainee_xu", "/"),
    ("library", "trainee_xu", "/cases"),
    ("search", "trainee_xu", "/search?q=老人 航班取消"),
    ("case", "trainee_xu", "/cases/1"),
    ("submit form", "agent_li", "/cases/new"),
    ("my cases", "agent_li", "/cases/mine"),
    ("review queue", "sup_zhang", "/review"),
    ("dashboard", "sup_zhang", "/dashboard"),
    ("my impact", "agent_li", "/me/impact"),
    ("my progress", "trainee_xu", "/me/progress"),
]
TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
  return [n.responseEnd - n.startTime, n.domContentLoadedEventEnd - n.startTime, n.loadEventEnd - n.startTime]; }"""


def collector(into: list):
    """An event handler that keeps what it is given (Playwright wants a function, not a bound method)."""

    def collect(item) -> None:
        into.append(item)

    return collect


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_server(data: Path) -> tuple[subprocess.Popen, str, object]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEATCASES_")}
    env.update(HEATCASES_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "heatcases", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = 8790
    log_path = data / "server.log"
    log = open(log_path, "ab")  # noqa: SIM115 (closed by serverproc.stop)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with httpx.Client() as client:
        serverproc.wait_ready(process, base, log_path, client)
    return process, base, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        process, base, log = start_server(Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                version = browser.version
                rows = []
                for name, user, path in PAGES:
                    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    if user:
                        page.goto("/login")
                        page.fill("#username", user)
                        page.fill("#password", "heat-demo")
                        page.click("button[type=submit]")
                        page.wait_for_url(lambda url: "/login" not in url)
                    requests, outside = [], []
                    context.on("requestfinished", collector(requests))
                    context.on("request", collector(outside))
                    # First load with an empty cache: what it costs on a new desk.
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.clearBrowserCache")
                    page.goto(path, wait_until="load")
                    first = list(requests)
                    size = sum((r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]) for r in first)
                    timings = []
                    for run in range(options.runs + 1):
                        tab = context.new_page()
                        tab.goto(path, wait_until="load")
                        if run:  # the first is the warm-up
                            timings.append(tab.evaluate(TIMING))
                        tab.close()
                    elsewhere = [request.url for request in outside if not request.url.startswith(base)]
                    rows.append((name, timings, len(first), size, len(elsewhere)))
                    context.close()
                browser.close()
        finally:
            serverproc.stop(process, log)

    print(f"Chromium {version}, demo data (36 cases, 90 days of activity), {options.runs} loads per page, ms")
    print(f"{'page':<14}{'HTML p50':>10}{'p95':>7}{'DOMContentLoaded p50':>22}{'p95':>7}{'load p50':>10}{'p95':>7}"
          f"{'requests':>10}{'KB (cold)':>11}{'outside':>9}")  # fmt: skip
    for name, timings, count, size, outside in rows:
        html, dom, load = ([t[i] for t in timings] for i in range(3))
        print(
            f"{name:<14}{statistics.median(html):>10.1f}{percentile(html, 0.95):>7.1f}"
            f"{statistics.median(dom):>22.1f}{percentile(dom, 0.95):>7.1f}"
            f"{statistics.median(load):>10.1f}{percentile(load, 0.95):>7.1f}"
            f"{count:>10}{size / 1024:>11.1f}{outside:>9}"
        )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.0f} s)")
