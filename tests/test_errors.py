"""Error shapes: JSON `detail` for the API, friendly pages for the web, never a stack trace."""

from __future__ import annotations

import socket

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import case_payload


def explode_at(app, path: str):
    """Add a route that fails unexpectedly, and call it."""

    @app.get(path)
    def explode():
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path)
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    return response


class TestApiErrors:
    def test_unknown_api_path_is_json_404(self, agent):
        response = agent.get("/api/nothing-here")
        assert response.status_code == 404 and response.json() == {"detail": "Not Found"}

    def test_wrong_method_is_json_405(self, agent):
        assert agent.request("PUT", "/api/me").status_code == 405

    def test_unexpected_error_is_a_json_500_without_a_trace(self, app):
        assert explode_at(app, "/api/explode").json()["detail"]

    @pytest.mark.parametrize("path", ["/api/explode", "/explode"])
    def test_a_500_carries_the_security_headers(self, app, path):
        response = explode_at(app, path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert (response.headers["x-frame-options"], response.headers["x-content-type-options"]) == ("DENY", "nosniff")


class TestBodyLimit:
    def test_body_over_one_mebibyte_gets_413(self, agent):
        response = agent.post("/api/cases", json=case_payload(body="长" * 400_000))
        assert response.status_code == 413 and "detail" in response.json()

    def test_declared_length_is_refused_before_the_body_is_read(self, live_server, agent):
        host, port = live_server.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(
                b"POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + agent.token.encode() + b"\r\nContent-Length: 50000000\r\n\r\n"
            )
            reply = connection.recv(4096)  # answered although not one byte of the body was sent
        assert reply.startswith(b"HTTP/1.1 413")

    def test_chunked_body_over_the_limit_gets_413(self, agent):
        def chunks():
            for _ in range(40):
                yield b"x" * 32_768

        response = agent.post("/api/cases", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413

    def test_body_under_the_limit_is_accepted(self, agent):
        assert agent.post("/api/cases", json=case_payload(body="长" * 20_000)).status_code == 201


class TestPageErrors:
    def test_unknown_page_is_a_friendly_404(self, agent, browser):
        response = browser("agent_li").get("/no/such/page")
        assert response.status_code == 404
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one(".error-code").get_text(strip=True) == "404"
        assert page.select_one("a.button")["href"] == "/"

    def test_bad_query_parameter_is_a_friendly_422(self, agent, browser):
        response = browser("agent_li").get("/cases?page=zero")
        assert response.status_code == 422 and "error-code" in response.text

    def test_unexpected_error_page_has_no_trace(self, app):
        assert "服务器出了点问题" in explode_at(app, "/explode").text

    @pytest.mark.parametrize("path", ["/", "/cases", "/featured", "/review", "/cases/new", "/admin/users", "/cases/1"])
    def test_pages_need_login(self, client, path):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


class TestHostileInput:
    """Input that breaks naive code (NUL bytes, huge numbers, odd encodings) gets a clear 4xx."""

    def test_nul_bytes_in_login(self, client):
        response = client.post("/api/auth/token", json={"username": "a\x00b", "password": "x\x00y"})
        assert response.status_code == 401

    def test_nul_bytes_in_a_case_are_dropped(self, agent):
        response = agent.post("/api/cases", json=case_payload(title="标\x00题", body="正文\x00" * 20))
        assert response.status_code == 201 and "\x00" not in response.json()["body"]

    @pytest.mark.parametrize("case_id", ["99999999999999999999", "-1", "0", "1e3", "%00"])
    def test_absurd_case_ids(self, agent, case_id):
        assert agent.get(f"/api/cases/{case_id}").status_code in (404, 422)

    def test_wrong_types_everywhere(self, agent):
        for payload in [[], "text", 42, None, {"title": 1, "body": [], "tags": {"a": 1}}]:
            assert agent.post("/api/cases", json=payload).status_code == 422

    def test_multipart_without_boundary_is_a_clear_400(self, agent, browser):
        web = browser("agent_li")
        response = web.post("/cases/new", content=b"x", headers={"Content-Type": "multipart/form-data"})
        assert response.status_code == 400

    def test_form_encoded_body_to_the_api(self, agent):
        assert agent.post("/api/cases", data={"title": "x"}).status_code == 422
