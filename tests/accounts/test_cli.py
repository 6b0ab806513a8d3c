"""The `heatcases` command, on the same configuration (environment) as the server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from heatcases.cli import app as cli
from tests.conftest import ROOT


@pytest.fixture
def run(settings, monkeypatch):
    """run(*args) -> result, with the test database in the HEATCASES_* environment."""
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


class TestUserAdd:
    def test_creates_a_user_who_can_log_in(self, run, client):
        result = run(
            "user", "add", "lily", "--role", "agent", "--password", "pass-1234", "--team", "机票一组", "--name", "莉莉"
        )
        assert result.exit_code == 0, result.output
        token = client.post("/api/auth/token", json={"username": "lily", "password": "pass-1234"}).json()
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        assert me == {"username": "lily", "role": "agent", "team": "机票一组", "display_name": "莉莉"}

    def test_existing_user_exits_non_zero_with_a_message(self, run):
        assert run("user", "add", "lily", "--role", "agent", "--password", "pass-1234").exit_code == 0
        result = run("user", "add", "lily", "--role", "trainee", "--password", "pass-1234")
        assert result.exit_code != 0 and "already exists" in result.output

    @pytest.mark.parametrize(
        "args",
        [
            ["bob", "--role", "boss", "--password", "pass-1234"],
            ["bob", "--role", "agent", "--password", "123"],
            ["b", "--role", "agent", "--password", "pass-1234"],
            ["bob sponge", "--role", "agent", "--password", "pass-1234"],
            ["bob", "--role", "agent"],
        ],
    )
    def test_invalid_arguments_exit_non_zero(self, run, args):
        result = run("user", "add", *args)
        assert result.exit_code != 0
        assert run("user", "list").output.count("bob") == 0


class TestUserManagement:
    def test_list_disable_enable_reset(self, run, client):
        run("user", "add", "mia", "--role", "supervisor", "--password", "pass-1234")
        assert "mia" in run("user", "list").output
        assert run("user", "disable", "mia").exit_code == 0
        assert client.post("/api/auth/token", json={"username": "mia", "password": "pass-1234"}).status_code == 401
        assert run("user", "enable", "mia").exit_code == 0
        assert run("user", "reset-password", "mia", "--password", "other-pass").exit_code == 0
        assert client.post("/api/auth/token", json={"username": "mia", "password": "other-pass"}).status_code == 200

    def test_update_role_and_team(self, run, client):
        run("user", "add", "tom", "--role", "trainee", "--password", "pass-1234")
        assert run("user", "update", "tom", "--role", "agent", "--team", "二组").exit_code == 0
        token = client.post("/api/auth/token", json={"username": "tom", "password": "pass-1234"}).json()
        assert token["role"] == "agent"

    def test_unknown_user_exits_non_zero(self, run):
        assert run("user", "disable", "ghost").exit_code == 1


def test_console_script_and_module_use_the_environment(settings):
    env = {**os.environ, "HEATCASES_DATABASE_URL": settings.database_url, "HEATCASES_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "heatcases", "user", "add", "zoe", "--role", "admin", "--password", "pass-1234"]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr
