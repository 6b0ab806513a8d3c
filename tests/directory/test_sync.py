"""The directory sync (a real slapd): command, API and page; roles, teams and names follow the directory, people
gone or disabled there are disabled here with their sessions ended, their cases kept."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select
from typer.testing import CliRunner

from heatcases import db
from heatcases.cli import app as cli
from heatcases.models import Case, User, UserChange
from tests.conftest import PASSWORD, Actor, case_payload, csrf_from
from tests.directory.conftest import PEOPLE_LDIF, ldap_settings

BY_UID = {person.uid: person for person in PEOPLE_LDIF}


@pytest.fixture
def settings(settings, slapd):
    """The tests' settings with the directory configured: people's groups read from memberOf (as on AD)."""
    return settings.model_copy(update=ldap_settings(slapd.url))


def sign_in(client, uid: str) -> Actor:
    response = client.post("/api/auth/token", json={"username": uid, "password": BY_UID[uid].password})
    assert response.status_code == 200, response.text
    return Actor(client, uid, response.json()["role"], response.json()["access_token"])


def users(app) -> dict[str, User]:
    with db.session_scope(app.state.engine) as session:
        return {user.username: user for user in session.exec(select(User))}


@pytest.fixture
def run(settings, slapd, monkeypatch):
    """run(*args) -> result of the `heatcases` command with the tests' database and directory."""
    monkeypatch.setenv("HEATCASES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HEATCASES_DATA_DIR", str(settings.data_dir))
    for name, value in ldap_settings(slapd.url).items():
        monkeypatch.setenv(f"HEATCASES_{name.upper()}", str(value))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


@pytest.fixture
def known(client):
    """Everyone with a role has signed in once; li.wei has written a case."""
    actors = {uid: sign_in(client, uid) for uid in ("li.wei", "xu.ming", "zhang.hua", "wang.qiang", "zhao.lei")}
    assert actors["li.wei"].post("/api/cases", json=case_payload()).status_code == 201
    return actors


class TestSyncCommand:
    def test_disables_people_gone_or_disabled_and_ends_their_sessions(self, app, run, slapd, known):
        slapd.replace(BY_UID["li.wei"].dn, employeeType=["disabled"])
        slapd.delete(BY_UID["zhao.lei"].dn)
        result = run("directory", "sync")
        assert result.exit_code == 0, result.output
        assert "disabled li.wei" in result.output and "disabled zhao.lei" in result.output
        assert "changed 2 account(s)" in result.output
        accounts = users(app)
        assert not accounts["li.wei"].is_active and not accounts["zhao.lei"].is_active
        assert accounts["xu.ming"].is_active
        assert known["li.wei"].get("/api/me").status_code == 401  # the token ended
        assert known["xu.ming"].get("/api/me").status_code == 200
        with db.session_scope(app.state.engine) as session:
            case = session.exec(select(Case)).one()
            assert case.author.username == "li.wei"  # the case stays, attributed to them
            changes = session.exec(select(UserChange).where(UserChange.action == "directory_sync")).all()
            assert {change.target for change in changes} == {"li.wei", "zhao.lei"}

    def test_updates_roles_teams_and_names(self, app, run, slapd, known):
        slapd.replace(BY_UID["xu.ming"].dn, departmentNumber=["机票一组"], displayName=["徐明明"])
        slapd.add_member("agent", BY_UID["xu.ming"].dn)
        slapd.remove_member("trainee", BY_UID["xu.ming"].dn)
        result = run("directory", "sync")
        assert result.exit_code == 0, result.output
        assert "updated xu.ming" in result.output
        user = users(app)["xu.ming"]
        assert (user.role, user.team.name, user.display_name) == ("agent", "机票一组", "徐明明")

    def test_a_person_left_in_no_mapped_group_is_disabled(self, app, run, slapd, known):
        slapd.remove_member("trainee", BY_UID["xu.ming"].dn)
        assert "disabled xu.ming (in no mapped group)" in run("directory", "sync").output
        assert not users(app)["xu.ming"].is_active

    def test_a_dry_run_changes_nothing(self, app, run, slapd, known):
        slapd.delete(BY_UID["zhao.lei"].dn)
        result = run("directory", "sync", "--dry-run")
        assert result.exit_code == 0 and "disabled zhao.lei" in result.output and "dry run" in result.output
        assert users(app)["zhao.lei"].is_active
        assert known["zhao.lei"].get("/api/me").status_code == 200

    def test_a_second_sync_has_nothing_to_do(self, run, slapd, known):
        slapd.delete(BY_UID["zhao.lei"].dn)
        assert run("directory", "sync").exit_code == 0
        assert "changed 0 account(s)" in run("directory", "sync").output

    def test_local_accounts_are_left_alone(self, app, run, known, make_actor):
        make_actor("agent", "local_agent")
        assert run("directory", "sync").exit_code == 0
        assert users(app)["local_agent"].is_active

    def test_without_a_directory_configured_it_says_so(self, run, monkeypatch):
        monkeypatch.setenv("HEATCASES_LDAP_URL", "")
        result = run("directory", "sync")
        assert result.exit_code == 2 and "no directory is configured" in result.output

    def test_a_directory_that_is_down_changes_nothing_and_exits_1(self, app, run, slapd, known):
        slapd.stop()
        result = run("directory", "sync")
        assert result.exit_code == 1 and "nothing changed" in result.output
        assert all(user.is_active for user in users(app).values())


class TestSyncFromTheAdmin:
    def test_the_api_syncs_and_says_what_changed(self, client, slapd, known):
        slapd.delete(BY_UID["zhao.lei"].dn)
        admin = known["wang.qiang"]
        dry = admin.post("/api/admin/directory/sync?dry_run=true").json()
        assert dry == {"dry_run": True, "changes": [
            {"username": "zhao.lei", "action": "disabled", "changes": {"active": [True, False]},
             "reason": "gone from the directory or disabled there"}]}  # fmt: skip
        done = admin.post("/api/admin/directory/sync").json()
        assert done["dry_run"] is False and [c["username"] for c in done["changes"]] == ["zhao.lei"]
        assert known["li.wei"].post("/api/admin/directory/sync").status_code == 403

    def test_the_page_syncs_and_lists_the_changes(self, app, slapd, known, browser, make_actor):
        make_actor("admin", "local_admin", team=None)
        slapd.delete(BY_UID["zhao.lei"].dn)
        web = browser("local_admin")
        page = web.get("/admin/users")
        assert BeautifulSoup(page.text, "html.parser").select_one('form[action="/admin/directory/sync"]')
        response = web.post("/admin/directory/sync", data={"csrftoken": csrf_from(page.text)})
        assert response.status_code == 200
        rows = BeautifulSoup(response.text, "html.parser").select("tbody tr")
        assert [row.select("td")[0].text for row in rows] == ["zhao.lei"]
        assert rows[0].select("td")[1].text == "停用 (已离开公司目录或在目录中被停用)"
        assert not users(app)["zhao.lei"].is_active

    def test_without_a_directory_the_sync_is_a_409(self, settings, make_actor):
        from fastapi.testclient import TestClient

        from heatcases.app import create_app

        plain = create_app(settings.model_copy(update={"ldap_url": ""}))
        with TestClient(plain) as other:
            make_actor("admin", "local_admin", team=None)
            access = other.post("/api/auth/token", json={"username": "local_admin", "password": PASSWORD}).json()
            response = other.post(
                "/api/admin/directory/sync", headers={"Authorization": f"Bearer {access['access_token']}"}
            )
            assert response.status_code == 409
