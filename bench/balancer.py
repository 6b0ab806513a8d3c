"""Debian's nginx in front of several app machines, with the example configuration of docs/deploy.md.

The tests (tests/cluster/) and the load test (bench/load/run.py --machines N) run nginx with
docs/deploy/nginx.conf itself: its upstream servers and its listen line are filled in, and it is wrapped in a
main configuration whose pid, logs and temporary folders are in a folder of its own.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

NGINX = "/usr/sbin/nginx"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "nginx.conf"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Nginx:
    """Debian's nginx running docs/deploy/nginx.conf in front of the given machines."""

    def __init__(self, folder: Path, ports: list[int], port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "nginx.conf"
        self.access_log = folder / "access.log"
        self._write(ports)
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=open(folder / "nginx.out", "ab"),  # noqa: SIM115 (the process owns it)
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _write(self, ports: list[int]) -> None:
        site = EXAMPLE.read_text(encoding="utf-8")
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in ports)
        site, count = re.subn(r"(upstream heatcases \{\n(?:\s*#.*\n)*)(?:\s*server .*;\n)+", rf"\g<1>{servers}", site)
        assert count == 1, "docs/deploy/nginx.conf no longer has the upstream block the tests fill in"
        site, count = re.subn(r"listen 80;", f"listen 127.0.0.1:{self.port};", site)
        assert count == 1, "docs/deploy/nginx.conf no longer has its listen line"
        user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the test's private folders
        self.conf.write_text(
            f"{user}worker_processes 1;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "    log_format upstream '$request_method $uri $status $upstream_addr';\n"
            f"    access_log {self.access_log} upstream;\n"
            f"    client_body_temp_path {self.folder}/body;\n    proxy_temp_path {self.folder}/proxy;\n"
            f"    fastcgi_temp_path {self.folder}/fastcgi;\n    uwsgi_temp_path {self.folder}/uwsgi;\n"
            f"    scgi_temp_path {self.folder}/scgi;\n"
            f"{site}\n}}\n",
            encoding="utf-8",
        )

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "nginx.out").read_text() + self.error_log()
            try:
                httpx.get(f"{self.url}/healthz", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("nginx did not answer")

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def reload(self, ports: list[int]) -> None:
        """Put these machines behind it (``nginx -s reload``: a new machine joins once it is ready)."""
        self._write(ports)
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # the new workers take over

    def upstreams(self) -> set[str]:
        """The machines (host:port) that have answered through it so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[-1] for line in lines if line.split()[-1] != "-"}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
