"""Tokens and the current user over the API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from heatcases import db
from heatcases.accounts import service as accounts
from heatcases.models import AuthToken
from tests.conftest import PASSWORD


class TestToken:
    def test_good_credentials_give_a_bearer_token_and_the_role(self, make_actor, client):
        make_actor("supervisor", "sup_a")
        response = client.post("/api/auth/token", json={"username": "sup_a", "password": PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and body["role"] == "supervisor" and len(body["access_token"]) > 20

    def test_wrong_password_and_unknown_user_get_the_same_401(self, make_actor, client):
        make_actor("agent", "agent_a")
        wrong = client.post("/api/auth/token", json={"username": "agent_a", "password": "nope-nope"})
        unknown = client.post("/api/auth/token", json={"username": "nobody", "password": "nope-nope"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()

    def test_missing_fields_422(self, client):
        assert client.post("/api/auth/token", json={"username": "x"}).status_code == 422

    def test_token_is_stored_only_as_a_digest(self, app, agent):
        with db.session_scope(app.state.engine) as session:
            stored = list(session.exec(select(AuthToken.token_hash)))
        assert agent.token not in stored and len(stored[0]) == 64


class TestMe:
    def test_me(self, agent):
        assert agent.get("/api/me").json() == {
            "username": "agent_li",
            "role": "agent",
            "team": "一组",
            "display_name": "李客服",
        }

    def test_no_token_401_with_challenge(self, client):
        response = client.get("/api/me")
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"

    def test_garbage_tokens_401(self, client):
        for header in ["Bearer nonsense", "Bearer ", "Basic abc", "bearer" + "x" * 500]:
            assert client.get("/api/me", headers={"Authorization": header}).status_code == 401

    def test_page_session_cookie_is_not_an_api_token(self, agent, browser):
        web = browser("agent_li")
        assert web.get("/api/me").status_code == 401


class TestTokenLifetime:
    def test_expired_token_401(self, app, agent):
        with db.session_scope(app.state.engine) as session:
            session.execute(update(AuthToken).values(expires_at=db.utcnow() - timedelta(seconds=1)))
            session.commit()
        assert agent.get("/api/me").status_code == 401

    def test_revoked_token_401(self, agent):
        assert agent.delete("/api/auth/token").status_code == 204
        assert agent.get("/api/me").status_code == 401

    def test_disabling_a_user_ends_their_tokens_and_logins(self, app, agent, client):
        with db.session_scope(app.state.engine) as session:
            accounts.update_user(session, "agent_li", active=False)
        assert agent.get("/api/me").status_code == 401
        assert client.post("/api/auth/token", json={"username": "agent_li", "password": PASSWORD}).status_code == 401

    def test_password_reset_ends_old_tokens(self, app, agent, client):
        with db.session_scope(app.state.engine) as session:
            accounts.update_user(session, "agent_li", password="brand-new-pass")
        assert agent.get("/api/me").status_code == 401
        response = client.post("/api/auth/token", json={"username": "agent_li", "password": "brand-new-pass"})
        assert response.status_code == 200
