"""Several app machines on one PostgreSQL, behind Debian's nginx, set up as docs/deploy.md says.

Each "machine" is a ``heatcases serve`` process with its own data folder (so its own index replica);
they share a scratch database of the test PostgreSQL server, migrated once beforehand (the servers run
with ``HEATCASES_AUTO_MIGRATE=false``). nginx runs with docs/deploy/nginx.conf, its upstream servers and
listen line filled in. These tests run in the PostgreSQL pass only, and need /usr/sbin/nginx
(``scripts/nginx-deps.sh``); without it they are skipped, except in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.balancer import NGINX, Nginx
from heatcases import db
from heatcases.config import Settings
from tests.conftest import TEST_SECRET
from tests.hardening import ServerProcess, add_user, scratch_database


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

    def wait_ready(self, timeout: float = 120, path: str = "/readyz") -> float:
        """Until /readyz says ready (its replica built and caught up); seconds since it was spawned."""
        return super().wait_ready(timeout, path)


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
        proxy = Nginx(tmp_path / "nginx", [machine.port for machine in machines])
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()
