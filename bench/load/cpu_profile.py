"""Where a server's CPU goes under load: py-spy on each worker for the run, summed by function.

``bench/load/run.py --profile`` starts :func:`record` once the server has settled and prints :func:`summary`
at the end. Sampled with ``--gil``: only the thread holding the GIL, i.e. the Python work that the request
threads of one process take turns at (the waits for the database or for the GIL are not counted), which is
what limits a worker's throughput. Written beside the run's report as ``<label>-profile-<pid>.txt``
(py-spy's raw "folded" stacks: one stack and its sample count per line).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 40  # samples per second: light enough not to change the figures much
_FRAME = re.compile(r"\s*\((?:[^()]*/)?([^/():]+):\d+\)$")


def workers(pid: int) -> list[int]:
    """The processes that answer requests: the server's children when it has any (uvicorn's workers), else itself."""
    try:
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        children = []
    # uvicorn's workers are multiprocessing's spawned children; its resource tracker is one too, and not a worker
    return [child for child in children if "spawn_main" in _command(child)] or [pid]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"  # installed with the load extra into the same environment
    return str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"


def record(pids: list[int], seconds: int, prefix: Path) -> list[tuple[subprocess.Popen, Path]]:
    """Start py-spy on each process for ``seconds``; returns the recorders and their output files."""
    recorders = []
    for pid in pids:
        output = prefix.with_name(f"{prefix.name}-profile-{pid}.txt")
        command = [_py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(RATE), "--gil",
                   "--nonblocking", "--format", "raw", "--output", str(output)]  # fmt: skip
        recorders.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), output))
    return recorders


def summary(recorders: list[tuple[subprocess.Popen, Path]], *, top: int = 30) -> list[str]:
    """The functions that took the most samples (inclusive: with what they called), over every worker."""
    inclusive, own, total = Counter(), Counter(), 0
    for recorder, output in recorders:
        try:
            recorder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            recorder.kill()
        if not output.exists():
            continue
        for line in output.read_text(errors="replace").splitlines():
            stack, _space, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [_FRAME.sub(r" (\1)", frame) for frame in stack.split(";")]
            total += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
            own[frames[-1]] += int(count)
    if not total:
        return ["profile: no samples (is py-spy installed, and may it attach: ptrace)?"]
    lines = [f"profile: {total} samples of the GIL holder, {RATE}/s per worker; share of samples, inclusive"]
    ours = [(frame, count) for frame, count in inclusive.most_common() if "(" in frame]
    lines += [f"  {100 * count / total:5.1f}%  {frame}" for frame, count in ours[:top]]
    lines.append("profile: where the samples were taken (own time)")
    lines += [f"  {100 * count / total:5.1f}%  {frame}" for frame, count in own.most_common(top // 2)]
    return lines
