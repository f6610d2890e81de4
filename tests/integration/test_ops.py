"""Operations endpoints and the process contract."""

import re

from parley_client import LISTEN_RE, create_room, post_message


def test_healthz_readyz(server):
    r = server.request("GET", "/healthz")
    assert r.status == 200
    assert "ok" in r.text.lower()
    r = server.request("GET", "/readyz")
    assert r.status == 200
    assert "ready" in r.text.lower()


def test_metrics_prometheus_text(server, users):
    tok, _ = users("metrics")
    room = create_room(server, tok, "m")
    post_message(server, tok, room["id"], "count me")
    server.api("GET", "/me", token="bad")  # an error, for the errors-by-code counter
    r = server.request("GET", "/metrics", headers={"Accept": "text/plain"})
    assert r.status == 200
    names = set(re.findall(r"^(parley_[a-zA-Z0-9_:]+)", r.text, flags=re.M))
    assert names, r.text[:500]
    # documented families: connections, messages, send-to-ack latency histogram, errors by code
    assert any("connection" in n for n in names), names
    assert any("message" in n for n in names), names
    assert any(n.endswith("_bucket") for n in names), names
    assert any("error" in n for n in names), names
    # every sample line parses as Prometheus text
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+( \d+)?$", line), line


def test_prints_exactly_one_stdout_line(server):
    assert len(server.stdout_lines) == 1
    assert LISTEN_RE.match(server.stdout_lines[0])
    server.api("GET", "/rooms")
    assert len(server.stdout_lines) == 1, server.stdout_lines
