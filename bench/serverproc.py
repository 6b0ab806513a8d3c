"""What the benchmarks share about the server they start as a subprocess."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_ready(process: subprocess.Popen, base: str, log: Path, client: httpx.Client, timeout: float = 120,
               path: str = "/login") -> float:  # fmt: skip
    """Seconds until the server at ``base`` answers ``path`` (its login page); exits with its log if it dies or
    hangs. With ``path="/readyz"``: until it says it is ready (its search index caught up)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if client.get(f"{base}{path}").status_code < (300 if path == "/readyz" else 500):
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within {timeout} s:\n{log.read_text()}")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its living descendants, such as a server's workers (children are listed per thread in /proc)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(child) for child in (task / "children").read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                continue
    return tree


def stop(process: subprocess.Popen, log) -> None:
    """Ask the server to stop, kill it if it does not within 30 s, and close its log."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
