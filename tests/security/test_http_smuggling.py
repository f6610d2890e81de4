"""HTTP request smuggling, with raw sockets. Whatever framing a message's headers claim, the
server either refuses it (400 bad_request, then closes the connection) or reads it exactly
one way; bytes that one reading takes for a body and another for a request are never
answered as a request of their own (docs/api.md, "Errors")."""
from __future__ import annotations

import json

import pytest

from probe_sockets import exchange, request
from probe_world import start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module: every probe here is refused or reads nothing, and the
    last test checks the server is still well."""
    s, dbs = start_server(tmp_path_factory.mktemp("smuggling"), [])
    try:
        yield s
    finally:
        complaint = stop_server(s, dbs)
    assert complaint is None, complaint


# The smuggled request: its answer ("ok\n" from /healthz) is unlike any other here.
SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BOUND = 4.0  # seconds to wait for the server's close
CLOSE_AFTER = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _smuggled_answered(responses) -> bool:
    return any(r.body == b"ok\n" for r in responses)


def assert_refused(port: int, raw: bytes, status: int = 400, code: str = "bad_request") -> None:
    responses, closed = exchange(port, raw, BOUND)
    assert not _smuggled_answered(responses), f"the smuggled request was answered: {responses}"
    assert closed, f"the connection stayed open after a refused request: {responses}"
    assert [r.status for r in responses] == [status], responses
    assert json.loads(responses[0].body)["error"]["code"] == code, responses
    assert responses[0].headers.get("connection", "").lower() == "close", responses[0].headers


def _raw(method: str, path: str, header_lines: list[str], body: bytes) -> bytes:
    """A request with header lines given verbatim (so odd spacing survives)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    head += b"".join(line.encode("latin-1") + b"\r\n" for line in header_lines)
    return head + b"\r\n" + body


CL_TE_BODY = b"0\r\n\r\n" + SMUGGLED                       # chunked readers see S as next
TE_CL_BODY = f"{len(SMUGGLED):x}\r\n".encode() + SMUGGLED + b"\r\n0\r\n\r\n"
TE_CL_PREFIX = len(f"{len(SMUGGLED):x}\r\n")              # length readers see S as next

OBFUSCATED_TE = [
    "Transfer-Encoding: chunked ",
    "Transfer-Encoding:\tchunked",
    "Transfer-Encoding: xchunked",
    "Transfer-Encoding: chunked, identity",
    "Transfer-Encoding: identity",
    "Transfer-Encoding: chunked;q=1",
    "Transfer-Encoding: Chunked",
    "Transfer-encoding: chunked",
    "Transfer-Encoding : chunked",
    "Transfer-Encoding: \x0bchunked",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity",
    "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding:\r\n chunked",
    "X-Padding: x\r\n Transfer-Encoding: chunked",
    "Transfer_Encoding: chunked",
]


@pytest.mark.parametrize("order", ["cl_first", "te_first"])
@pytest.mark.parametrize("te", OBFUSCATED_TE + ["Transfer-Encoding: chunked"])
def test_content_length_with_any_transfer_encoding_is_refused(server, te, order):
    """CL.TE and TE.CL: both framings in one message, the TE spelt every which way."""
    for body, cl in ((CL_TE_BODY, len(CL_TE_BODY)), (TE_CL_BODY, TE_CL_PREFIX)):
        cl_line = f"Content-Length: {cl}"
        lines = [cl_line, te] if order == "cl_first" else [te, cl_line]
        raw = _raw("POST", "/api/v1/login", lines, body)
        if te.startswith(("Transfer_Encoding", "X-Padding")):
            # Not a Transfer-Encoding at all: a field named with an underscore, or a line
            # folded into the field before it (obs-fold, which RFC 9112 section 5.2 lets a
            # server unfold). Framed by the Content-Length alone, one reading.
            responses, closed = exchange(server.port, raw + CLOSE_AFTER, BOUND)
            assert responses and responses[0].status == 400, responses
            assert closed
            continue
        assert_refused(server.port, raw)


@pytest.mark.parametrize("te", [
    "Transfer-Encoding: xchunked", "Transfer-Encoding: chunked, identity",
    "Transfer-Encoding: identity", "Transfer-Encoding: gzip", "Transfer-Encoding: ",
    "Transfer-Encoding: chunked;q=1", "Transfer-Encoding: \x0bchunked",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity",
    "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding:\r\n chunked", "Transfer-Encoding : chunked"])
def test_a_transfer_encoding_that_is_not_chunked_is_refused(server, te):
    """Without a Content-Length, a reader that ignores an unknown coding sees no body and
    takes the body for the next request: RFC 9112 §6.3 says 400 and close."""
    assert_refused(server.port, _raw("POST", "/api/v1/login", [te], SMUGGLED))


@pytest.mark.parametrize("values", [("0", str(len(SMUGGLED))), (str(len(SMUGGLED)), "0"),
                                    ("0, 44",), ("44, 0",), ("1", "2")])
def test_conflicting_content_lengths_are_refused(server, values):
    lines = [f"Content-Length: {v}" for v in values]
    assert_refused(server.port, _raw("POST", "/api/v1/login", lines, SMUGGLED))


@pytest.mark.parametrize("value", ["+44", "-1", "0x2c", "44.0", "4 4", "", "abc",
                                   "99999999999999999999999", "44;", " ,44"])
def test_malformed_content_length_is_refused(server, value):
    assert_refused(server.port, _raw("POST", "/api/v1/login", [f"Content-Length: {value}"],
                                     SMUGGLED))


def test_identical_content_lengths_are_read_one_way(server):
    body = b'{"username":"nobody_x","password":"wrong password"}'
    raw = _raw("POST", "/api/v1/login", [f"Content-Length: {len(body)}"] * 2, body) + SMUGGLED
    responses, _ = exchange(server.port, raw + CLOSE_AFTER, BOUND)
    # one message with one body, then the pipelined requests after it: a single reading
    assert [r.status for r in responses] == [401, 200, 200], responses
    assert responses[1].body == b"ok\n"


@pytest.mark.parametrize("size", ["ffffffffffffffffffff", "10000000000000000",
                                  "fffffffffffffffff", "-1", "0x10", "1 0", "g", ""])
def test_chunk_size_overflow_and_garbage_are_refused(server, size):
    body = f"{size}\r\n".encode() + SMUGGLED + b"\r\n0\r\n\r\n"
    assert_refused(server.port, _raw("POST", "/api/v1/login", ["Transfer-Encoding: chunked"],
                                     body))


def test_chunked_body_over_the_limit_is_refused_with_413(server):
    big = 70 * 1024
    body = f"{big:x}\r\n".encode() + b"x" * big + b"\r\n0\r\n\r\n" + SMUGGLED
    assert_refused(server.port, _raw("POST", "/api/v1/login", ["Transfer-Encoding: chunked"],
                                     body), 413, "payload_too_large")


def test_declared_body_over_the_limit_is_refused_and_never_read_as_requests(server):
    body = SMUGGLED * 2000  # over 64 KiB, made of requests
    assert_refused(server.port, _raw("POST", "/api/v1/login", [f"Content-Length: {len(body)}"],
                                     body), 413, "payload_too_large")


def test_a_refused_upload_never_reads_its_body_as_requests(server):
    raw = _raw("POST", "/api/v1/rooms/1/files?name=x.txt", [f"Content-Length: {len(SMUGGLED)}"],
               SMUGGLED)
    assert_refused(server.port, raw, 401, "unauthorized")
    raw = _raw("POST", "/api/v1/rooms/1/files?name=x.txt",
               ["Content-Length: 5", "Transfer-Encoding: chunked"], CL_TE_BODY)
    assert_refused(server.port, raw)


@pytest.mark.parametrize("raw", [
    b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\n\r\n",
    b"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 5\r\n\r\n" + CL_TE_BODY,
    b"GET /healthz HTTP/1.1\rHost: 127.0.0.1\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\rb\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\x00b\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n: empty-name\r\n\r\n",
    b"GET /healthz  HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /healthz HTTP/1.1 \r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"G\x00T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
], ids=["bare_lf", "bare_lf_end", "bare_lf_hides_te", "bare_cr", "cr_in_value", "nul_in_value",
        "empty_name", "double_space", "trailing_space", "bad_version", "nul_in_method"])
def test_bad_line_endings_and_bytes_are_refused(server, raw):
    assert_refused(server.port, raw)


@pytest.mark.parametrize("shape", ["one_big", "many_small"])
def test_header_over_the_limit_is_refused(server, shape):
    if shape == "one_big":
        lines = ["X-Big: " + "a" * (20 * 1024)]
    else:
        lines = [f"X-H{i}: " + "b" * 100 for i in range(200)]
    assert_refused(server.port, _raw("GET", "/healthz", lines, b""))


def test_http10_with_transfer_encoding_is_refused(server):
    raw = (b"POST /api/v1/login HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
           b"Connection: keep-alive\r\n\r\n" + CL_TE_BODY)
    assert_refused(server.port, raw)


def test_pipelined_requests_are_answered_in_order_each_once(server):
    login = b'{"username":"nobody_y","password":"wrong password"}'
    raw = (request("GET", "/healthz")
           + request("GET", "/api/v1/me")
           + request("POST", "/api/v1/login", [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(login)))], login)
           + request("POST", "/api/v1/login", [("Transfer-Encoding", "chunked")],
                     f"{len(login):x}\r\n".encode() + login + b"\r\n0\r\n\r\n")
           + request("GET", "/readyz", [("Connection", "close")]))
    responses, closed = exchange(server.port, raw, BOUND)
    assert [r.status for r in responses] == [200, 401, 401, 401, 200], responses
    assert responses[0].body == b"ok\n" and responses[4].body == b"ready\n"
    assert closed


def test_pipelined_requests_after_a_refusal_are_not_answered(server):
    bad = _raw("POST", "/api/v1/login", ["Content-Length: 3", "Content-Length: 4"], b"abcd")
    responses, closed = exchange(server.port, request("GET", "/readyz") + bad + SMUGGLED, BOUND)
    assert [r.status for r in responses] == [200, 400], responses
    assert closed and not _smuggled_answered(responses)


def test_the_server_still_serves_after_every_probe(server):
    """A last sanity check on a fresh connection: the probes left nothing behind."""
    responses, _ = exchange(server.port, request("GET", "/healthz", [("Connection", "close")]),
                            BOUND)
    assert [r.status for r in responses] == [200]
