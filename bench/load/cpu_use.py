"""What the CPU did during a load run: the server's CPU time per request, the load tool's, and the machine's.

Latency percentiles on this shared 2-core VM drift a lot from run to run with the same code (bench/README.md);
the CPU time the server spent per request answered drifts far less, so it is the figure to compare two versions
by, and the machine's busy share says whether the run was limited by the cores at all. Read from /proc: the
server's process tree (utime + stime of each process, its worker processes included), the load tool's own
children (``resource.getrusage``), and /proc/stat (all cores: busy, and stolen by the host).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import serverproc  # bench/serverproc.py (run.py puts bench/ on the path)

TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and its living descendants."""
    total = 0
    for member in serverproc.process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def _machine() -> tuple[int, int, int]:
    """(busy, stolen, all) jiffies over every core since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal, sum(values[:8])


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuUse:
    server_seconds: float
    load_tool_seconds: float
    busy_share: float  # of all cores, 0-1
    stolen_share: float
    wall_seconds: float

    def report(self, requests: int) -> str:
        """One line for the run's report; ``requests``: how many the server answered."""
        per_request = self.server_seconds * 1000 / requests if requests else 0.0
        cores = os.cpu_count() or 1
        return (
            f"server CPU: {self.server_seconds:.0f} s in {self.wall_seconds:.0f} s ({per_request:.1f} ms per request "
            f"answered; {self.server_seconds / self.wall_seconds:.2f} of {cores} cores); load tool: "
            f"{self.load_tool_seconds:.0f} s; machine busy {self.busy_share:.0%}, stolen by the host "
            f"{self.stolen_share:.0%}"
        )


class CpuMeter:
    """Started before the load tool runs, stopped when it has finished (the server still running)."""

    def __init__(self, server_pids: list[int]):
        self.server_pids = server_pids
        self._server = sum(_process_seconds(pid) for pid in server_pids)
        self._children = _children_seconds()
        self._machine = _machine()
        self._wall = time.monotonic()

    def stop(self) -> CpuUse:
        server = sum(_process_seconds(pid) for pid in self.server_pids) - self._server
        busy, stolen, total = (now - before for now, before in zip(_machine(), self._machine, strict=True))
        return CpuUse(
            server_seconds=server,
            load_tool_seconds=_children_seconds() - self._children,
            busy_share=busy / total if total else 0.0,
            stolen_share=stolen / total if total else 0.0,
            wall_seconds=time.monotonic() - self._wall,
        )
