"""Several app machines on one PostgreSQL, behind Debian's nginx, set up as docs/deploy.md says.

Each "machine" is a ``heatcases serve`` process with its own data folder (so its own index replica);
they share a scratch database of the test PostgreSQL server, migrated once beforehand (the servers run
with ``HEATCASES_AUTO_MIGRATE=false``). nginx runs with docs/deploy/nginx.conf, its upstream servers and
listen line filled in. These tests run in the PostgreSQL pass only, and need /usr/sbin/nginx
(``scripts/nginx-deps.sh``); without it they are skipped, except in CI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from heatcases import db
from heatcases.config import Settings
from tests.conftest import ROOT, TEST_SECRET
from tests.hardening import ServerProcess, add_user, free_port, scratch_database

NGINX = "/usr/sbin/nginx"
EXAMPLE = ROOT / "docs" / "deploy" / "nginx.conf"


@pytest.fixture
def database(migrated):
    """A scratch PostgreSQL database, migrated once, with the people the tests act as."""
    if not migrated.startswith("postgresql"):
        pytest.skip("several machines share one PostgreSQL: these tests run in the PostgreSQL pass")
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NGINX} is missing: CI runs the several-machine tests (scripts/nginx-deps.sh installs it)")
        pytest.skip(f"{NGINX} is missing (scripts/nginx-deps.sh installs it)")
    with scratch_database(migrated, "cluster") as url:
        settings = Settings(database_url=url, data_dir=Path("/nonexistent"), secret_key=TEST_SECRET)
        engine = db.make_engine(settings)
        db.migrate(settings, engine)  # once, before any machine starts (docs/deploy.md)
        engine.dispose()
        for username, role in [("agent_li", "agent"), ("sup_zhang", "supervisor"), ("admin", "admin")] + [
            (f"trainee_{n}", "trainee") for n in range(8)
        ]:
            add_user(settings, username, role)
        yield url


class Machine(ServerProcess):
    """One app machine: ``heatcases serve`` on its own data folder against the shared database."""

    def __init__(self, database_url: str, folder: Path, name: str, port: int | None = None):
        self.name = name
        self.folder = folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        settings = Settings(database_url=database_url, data_dir=folder, secret_key=TEST_SECRET)
        env = {"HEATCASES_AUTO_MIGRATE": "false", "HEATCASES_SEMANTIC_SEARCH": "false"}
        super().__init__(settings, folder.parent / f"{name}.log", env=env, serve=True, port=port)

    def wait_ready(self, timeout: float = 120) -> float:
        """Until /readyz says ready (its replica built and caught up); seconds since it was spawned."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - self.spawned_at
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready within {timeout} s:\n{self.log_text()[-3000:]}")


class Nginx:
    """Debian's nginx running docs/deploy/nginx.conf in front of the given machines."""

    def __init__(self, folder: Path, machines: list[Machine]):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "nginx.conf"
        self.access_log = folder / "access.log"
        self._write(machines)
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=open(folder / "nginx.out", "ab"),  # noqa: SIM115 (the process owns it)
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _write(self, machines: list[Machine]) -> None:
        site = EXAMPLE.read_text(encoding="utf-8")
        servers = "".join(f"    server 127.0.0.1:{m.port} max_fails=1 fail_timeout=10s;\n" for m in machines)
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

    def reload(self, machines: list[Machine]) -> None:
        """Put these machines behind it (``nginx -s reload``: a new machine joins once it is ready)."""
        self._write(machines)
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # the new workers take over

    def upstreams(self) -> set[str]:
        """The machines (host:port) that have answered through it so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[-1] for line in lines if line.split()[-1] != "-"}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def machines(database, tmp_path):
    """Start machines (``start(name)``), all stopped at the end."""
    started: list[Machine] = []

    def start(name: str, folder: Path | None = None, port: int | None = None) -> Machine:
        machine = Machine(database, folder or tmp_path / name / "data", name, port=port)
        started.append(machine)
        return machine

    yield start
    for machine in started:
        if machine.process.poll() is None:
            machine.stop()


@pytest.fixture
def nginx(tmp_path):
    proxies: list[Nginx] = []

    def start(machines: list[Machine]) -> Nginx:
        proxy = Nginx(tmp_path / "nginx", machines)
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()
