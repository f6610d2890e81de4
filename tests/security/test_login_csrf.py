"""Login CSRF (issue 11, finding 7): a page on another site makes the victim's browser log
in (or register) with the attacker's credentials, so what the victim types next lands in
the attacker's account. A browser sends Origin on every cross-site POST, form posts of
any content type included; the server refuses a foreign or opaque Origin on login and
register before it reads anything, and sets no cookie. Clients without Origin (curl,
bots) are not browsers and keep working, whatever Content-Type they send.
"""
import json

import pytest

from parley_client import (EVIL_ORIGIN, GOOD_ORIGIN, PASSWORD, assert_error, http_request,
                           register, unique)

FOREIGN_ORIGINS = [
    EVIL_ORIGIN,
    "null",                              # sandboxed iframe, data: URL, file:
    "http://good.example:8443",          # allowed host, other port
    "https://good.example",              # allowed host, other scheme
    "http://evil.good.example",          # a subdomain of an allowed host
    "http://good.example.evil.example",  # an allowed host as a prefix
    "http://good.example/",              # not an origin: trailing path
    "HTTP://GOOD.EXAMPLE",               # browsers never send this; exact match only
    "http://127.0.0.1:1",                # loopback, another port
]

# What a cross-site <form> can send: the three "simple" content types of the Fetch spec.
FORM_BODIES = [
    ("text/plain", lambda name: (json.dumps({"username": name, "password": PASSWORD,
                                             "x": "="})).encode()),
    ("application/x-www-form-urlencoded",
     lambda name: json.dumps({"username": name, "password": PASSWORD}).encode()),
    ("multipart/form-data; boundary=b",
     lambda name: json.dumps({"username": name, "password": PASSWORD}).encode()),
    ("application/json", lambda name: json.dumps({"username": name, "password": PASSWORD}).encode()),
]


def post(server, path, origin, content_type, body):
    headers = {"Content-Type": content_type}
    if origin is not None:
        headers["Origin"] = origin
    return server.request("POST", path, raw=body, headers=headers)


def sessions_of(server, name):
    st, js = server.api("POST", "/login", {"username": name, "password": PASSWORD})
    assert st == 200, js
    st, js = server.api("GET", "/sessions", token=js["token"])
    assert st == 200, js
    return js["sessions"]


@pytest.mark.timeout_s(90)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_login_from_a_foreign_origin_is_refused_without_a_cookie(server, origin):
    name = unique("csrf")
    register(server, name)
    for content_type, body in FORM_BODIES:
        r = post(server, "/api/v1/login", origin, content_type, body(name))
        assert_error(r, 403, "origin_not_allowed")
        assert r.headers.get_all("Set-Cookie") is None, (origin, content_type)
    # None of those made a session: the only one is the check's own.
    assert len(sessions_of(server, name)) == 1


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("origin", [EVIL_ORIGIN, "null", "https://good.example"])
def test_register_from_a_foreign_origin_creates_nothing(server, origin):
    name = unique("csrfreg")
    for content_type, body in FORM_BODIES:
        assert_error(post(server, "/api/v1/register", origin, content_type, body(name)),
                     403, "origin_not_allowed")
    register(server, name)  # the name is still free


def test_allowed_origins_log_in(server):
    name = unique("csrfok")
    register(server, name)
    for origin in (GOOD_ORIGIN, server.origin):
        r = post(server, "/api/v1/login", origin, "application/json",
                 json.dumps({"username": name, "password": PASSWORD}).encode())
        assert r.status == 200, r
        assert any(c.startswith("parley_session=") for c in r.headers.get_all("Set-Cookie"))


@pytest.mark.parametrize("content_type", [None, "application/json", "application/x-www-form-urlencoded",
                                          "text/plain"])
def test_clients_without_origin_keep_working(server, content_type):
    """curl -d sends application/x-www-form-urlencoded; bots often send nothing."""
    name = unique("cli")
    body = json.dumps({"username": name, "password": PASSWORD}).encode()
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = http_request("127.0.0.1", server.port, "POST", "/api/v1/register", body, headers)
    assert r.status == 201, r
    r = http_request("127.0.0.1", server.port, "POST", "/api/v1/login", body, headers)
    assert r.status == 200, r
