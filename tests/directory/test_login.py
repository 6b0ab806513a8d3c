"""Signing in with the company directory (a real slapd): pages and API, roles from groups, teams from
departments, refusals, a directory that is down or hangs, and filter injection."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from heatcases import db
from heatcases.models import User
from tests.conftest import PASSWORD, csrf_from
from tests.directory.conftest import PEOPLE_LDIF, group_dn, ldap_settings

BY_UID = {person.uid: person for person in PEOPLE_LDIF}


@pytest.fixture
def settings(settings, slapd):
    """The tests' settings with the directory configured: people's groups read from memberOf (as on AD)."""
    return settings.model_copy(update=ldap_settings(slapd.url))


def token(client, username: str, password: str):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def login_page(app, username: str, password: str, lang: str = "zh"):
    web = TestClient(app, follow_redirects=False)
    web.cookies.set("heat_lang", lang)
    form = web.get("/login")
    return web, web.post("/login", data={"username": username, "password": password, "csrftoken": csrf_from(form.text)})


def stored(app, username: str) -> User | None:
    with db.session_scope(app.state.engine) as session:
        return session.exec(select(User).where(User.username == username)).first()


class TestSignIn:
    @pytest.mark.parametrize(
        ("uid", "role", "team"),
        [
            ("li.wei", "agent", "机票一组"),
            ("xu.ming", "trainee", "学员一班"),
            ("zhang.hua", "supervisor", "机票一组"),  # in the agents' group too: the higher role wins
            ("wang.qiang", "admin", "信息部"),
        ],
    )
    def test_each_role_signs_in_through_the_api_and_appears_with_role_and_team(self, client, uid, role, team):
        person = BY_UID[uid]
        response = token(client, uid, person.password)
        assert response.status_code == 200, response.text
        assert response.json()["role"] == role
        me = client.get("/api/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}).json()
        assert me == {"username": uid, "role": role, "team": team, "display_name": person.name}

    @pytest.mark.parametrize("uid", ["li.wei", "xu.ming", "zhang.hua", "wang.qiang"])
    def test_each_role_signs_in_through_the_page(self, app, uid):
        web, response = login_page(app, uid, BY_UID[uid].password)
        assert response.status_code == 303 and response.headers["location"] == "/"
        page = web.get("/me/profile")
        assert page.status_code == 200
        facts = BeautifulSoup(page.text, "html.parser").select_one("dl.facts").get_text()
        assert BY_UID[uid].department in facts and "公司目录账号" in facts

    def test_the_username_is_matched_whatever_its_case(self, client):
        assert token(client, "Li.Wei", BY_UID["li.wei"].password).json()["role"] == "agent"
        assert token(client, "li.wei", BY_UID["li.wei"].password).status_code == 200

    def test_a_wrong_password_or_an_unknown_person_is_a_plain_401(self, client):
        wrong = token(client, "li.wei", "not-the-password")
        unknown = token(client, "nobody", "not-the-password")
        assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
        assert token(client, "li.wei", "").status_code == 401  # no anonymous bind passes for a login

    def test_a_person_in_no_mapped_group_is_refused_with_a_clear_message(self, app, client):
        response = token(client, "chen.jing", BY_UID["chen.jing"].password)
        assert response.status_code == 403 and "no directory group" in response.json()["detail"]
        _, page = login_page(app, "chen.jing", BY_UID["chen.jing"].password)
        assert page.status_code == 403
        assert "不在任何有本系统角色的目录组中" in BeautifulSoup(page.text, "html.parser").select_one(".error").text
        assert stored(app, "chen.jing") is None

    def test_changes_in_the_directory_reach_the_account_at_the_next_login(self, app, client, slapd):
        assert token(client, "li.wei", BY_UID["li.wei"].password).status_code == 200
        slapd.replace(BY_UID["li.wei"].dn, departmentNumber=["酒店二组"], displayName=["李伟伟"])
        slapd.add_member("supervisor", BY_UID["li.wei"].dn)
        assert token(client, "li.wei", BY_UID["li.wei"].password).json()["role"] == "supervisor"
        user = stored(app, "li.wei")
        assert (user.role, user.team.name, user.display_name, user.source) == (
            "supervisor",
            "酒店二组",
            "李伟伟",
            "directory",
        )

    def test_a_person_disabled_or_removed_in_the_directory_is_refused(self, client, slapd):
        slapd.replace(BY_UID["li.wei"].dn, employeeType=["disabled"])
        assert token(client, "li.wei", BY_UID["li.wei"].password).status_code == 401
        slapd.delete(BY_UID["zhao.lei"].dn)
        assert token(client, "zhao.lei", BY_UID["zhao.lei"].password).status_code == 401

    @pytest.mark.parametrize("typed", ["*)(uid=*", "*", "li.wei)(|(uid=*", "*)(objectClass=*))(|(uid=*", "\\2a"])
    def test_a_filter_injection_in_the_username_finds_nobody(self, app, client, typed):
        for person in PEOPLE_LDIF[:5]:  # five tries: a sixth would meet the login throttle
            response = token(client, typed, person.password)
            assert response.status_code == 401, (typed, person.uid)
        with db.session_scope(app.state.engine) as session:
            assert session.exec(select(User)).all() == []

    def test_local_accounts_sign_in_beside_the_directory(self, make_actor, client):
        make_actor("admin", "local_admin", team=None)
        assert token(client, "local_admin", PASSWORD).json()["role"] == "admin"

    def test_a_local_account_of_the_same_name_is_not_taken_over_by_the_directory(self, make_actor, client):
        make_actor("trainee", "li.wei")
        assert token(client, "li.wei", BY_UID["li.wei"].password).status_code == 401
        assert token(client, "li.wei", PASSWORD).json()["role"] == "trainee"

    def test_a_directory_person_cannot_change_their_password_here(self, client):
        access = token(client, "li.wei", BY_UID["li.wei"].password).json()["access_token"]
        response = client.post(
            "/api/me/password",
            json={"current_password": BY_UID["li.wei"].password, "new_password": "Another-long-pass-9"},
            headers={"Authorization": f"Bearer {access}"},
        )
        assert response.status_code == 403


class TestDirectoryDown:
    def test_a_stopped_directory_is_a_clear_error_and_the_local_admin_still_signs_in(
        self, app, client, slapd, make_actor
    ):
        make_actor("admin", "local_admin", team=None)
        assert token(client, "li.wei", BY_UID["li.wei"].password).status_code == 200
        slapd.stop()
        started = time.monotonic()
        response = token(client, "li.wei", BY_UID["li.wei"].password)
        assert response.status_code == 503 and "directory" in response.json()["detail"]
        _, page = login_page(app, "li.wei", BY_UID["li.wei"].password, lang="en")
        assert page.status_code == 503
        assert "company directory is not answering" in BeautifulSoup(page.text, "html.parser").select_one(".error").text
        _, page = login_page(app, "li.wei", BY_UID["li.wei"].password)
        assert "公司目录暂时无法连接" in BeautifulSoup(page.text, "html.parser").select_one(".error").text
        assert time.monotonic() - started < 5
        assert token(client, "local_admin", PASSWORD).json()["role"] == "admin"
        web, response = login_page(app, "local_admin", PASSWORD)
        assert response.status_code == 303 and web.get("/admin/users").status_code == 200

    def test_a_directory_that_hangs_answers_within_the_timeout(self, client, slapd, make_actor):
        make_actor("admin", "local_admin", team=None)
        slapd.freeze()
        try:
            started = time.monotonic()
            response = token(client, "li.wei", BY_UID["li.wei"].password)
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert elapsed < 4, elapsed  # the timeout is 1 s in these tests (5 s by default)
            assert token(client, "local_admin", PASSWORD).status_code == 200
        finally:
            slapd.thaw()

    def test_outages_do_not_count_towards_the_login_lock(self, client, slapd):
        slapd.stop()
        for _ in range(7):
            assert token(client, "li.wei", "whatever-it-is").status_code == 503

    def test_a_wrong_service_password_is_an_outage_not_a_500(self, app, settings, slapd):
        from heatcases.app import create_app

        broken = create_app(settings.model_copy(update=ldap_settings(slapd.url, ldap_bind_password="wrong")))
        with TestClient(broken) as other:
            assert token(other, "li.wei", BY_UID["li.wei"].password).status_code == 503


class TestSeveralServers:
    def test_the_next_server_answers_when_the_first_is_down(self, settings, slapd):
        from heatcases.app import create_app
        from tests.directory.conftest import _free_port

        dead = f"ldap://127.0.0.1:{_free_port()}"  # nothing listens there
        pooled = create_app(settings.model_copy(update={"ldap_url": f"{dead} {slapd.url}"}))
        with TestClient(pooled) as other:
            for _ in range(2):
                assert token(other, "li.wei", BY_UID["li.wei"].password).json()["role"] == "agent"
            slapd.stop()
            assert token(other, "li.wei", BY_UID["li.wei"].password).status_code == 503


class TestGroupSearch:
    """Groups found by searching them (member=the person), for directories without memberOf."""

    def test_roles_come_from_a_group_search(self, settings, slapd):
        from heatcases.app import create_app

        searching = create_app(
            settings.model_copy(update=ldap_settings(slapd.url, ldap_group_base=group_dn("agent").split(",", 1)[1]))
        )
        with TestClient(searching) as other:
            assert token(other, "zhang.hua", BY_UID["zhang.hua"].password).json()["role"] == "supervisor"
            assert token(other, "xu.ming", BY_UID["xu.ming"].password).json()["role"] == "trainee"
            assert token(other, "chen.jing", BY_UID["chen.jing"].password).status_code == 403


class TestNothingSecretIsLogged:
    def test_no_password_reaches_the_log_whatever_happens(self, app, settings, slapd, caplog):
        import logging

        from heatcases.app import create_app

        caplog.set_level(logging.DEBUG)
        broken = create_app(settings.model_copy(update=ldap_settings(slapd.url, ldap_bind_password="wrong-service-pw")))
        with TestClient(broken) as other:
            token(other, "li.wei", BY_UID["li.wei"].password)
        with TestClient(app) as client:
            token(client, "li.wei", BY_UID["li.wei"].password)
            token(client, "li.wei", "typed-wrong-password")
            slapd.stop()
            token(client, "li.wei", BY_UID["li.wei"].password)
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "directory" in logged  # the outage and the refused service account were logged
        for secret in (BY_UID["li.wei"].password, "typed-wrong-password", "wrong-service-pw", "service-secret"):
            assert secret not in logged


class TestEncryptedConnections:
    """StartTLS and ldaps:// against a slapd with a certificate from a throw-away CA; the certificate is checked."""

    @pytest.fixture
    def settings(self, settings, tls_slapd):
        return settings.model_copy(update=ldap_settings(tls_slapd.url, ldap_start_tls=True,
                                                        ldap_ca_file=str(tls_slapd.ca_file)))  # fmt: skip

    def test_starttls_with_the_directory_ca(self, client):
        assert token(client, "li.wei", BY_UID["li.wei"].password).json()["role"] == "agent"

    def test_ldaps_with_the_directory_ca(self, settings, tls_slapd):
        from heatcases.app import create_app

        url = f"ldaps://127.0.0.1:{tls_slapd.tls_port}"
        ldaps = create_app(settings.model_copy(update={"ldap_url": url, "ldap_start_tls": False}))
        with TestClient(ldaps) as other:
            assert token(other, "xu.ming", BY_UID["xu.ming"].password).json()["role"] == "trainee"

    def test_a_certificate_from_another_ca_is_refused(self, settings, tls_slapd):
        from heatcases.app import create_app

        untrusted = create_app(settings.model_copy(update={"ldap_ca_file": ""}))  # the system's CAs only
        with TestClient(untrusted) as other:
            assert token(other, "li.wei", BY_UID["li.wei"].password).status_code == 503


class TestFirstLoginsAtOnce:
    def test_parallel_first_logins_make_one_account_each_and_no_error(self, app, live_server, slapd):
        from concurrent.futures import ThreadPoolExecutor

        import httpx

        slapd.replace(BY_UID["xu.ming"].dn, departmentNumber=["新班组"])
        slapd.replace(BY_UID["li.wei"].dn, departmentNumber=["新班组"])
        attempts = [uid for uid in ("li.wei", "xu.ming", "zhang.hua") for _ in range(4)]

        def sign_in(uid: str) -> int:
            body = {"username": uid, "password": BY_UID[uid].password}
            return httpx.post(f"{live_server}/api/auth/token", json=body, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            statuses = list(pool.map(sign_in, attempts))
        assert statuses == [200] * len(attempts)
        with db.session_scope(app.state.engine) as session:
            users = session.exec(select(User)).all()
            assert sorted(user.username for user in users) == ["li.wei", "xu.ming", "zhang.hua"]
            assert {user.team.name for user in users if user.username != "zhang.hua"} == {"新班组"}
