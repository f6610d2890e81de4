"""TLS in the server (docs/operations.md, "TLS"): --tls-cert/--tls-key with a CA the test
makes, checked by curl and by Python (http.client and a wss:// WebSocket); TLS 1.0/1.1
refused; plain HTTP on the TLS port answered by nothing and harming nothing; --hsts; bad
files refused at start with a clear error; SIGHUP reloads the files without dropping a
connection."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from parley_client import (WS, Server, create_room, http_request, new_cmid, parley_bin,
                           register_and_login, run)
from tls_pki import Pki, serial_of

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture
def pki(tmp_path):
    return Pki(tmp_path / "pki")


def client_context(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca_pem))


def tls_server(server_factory, pki: Pki, crt, key, extra=()) -> Server:
    s = server_factory(extra=["--tls-cert", str(crt), "--tls-key", str(key), *extra])
    s.ssl_context = client_context(pki)
    return s


def peer_serial(port: int, ctx: ssl.SSLContext) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return serial_of(tls.getpeercert(binary_form=True))


def metric(server: Server, name: str) -> int:
    m = re.search(rf"^{re.escape(name)} (\d+)$", server.request("GET", "/metrics").text, re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


def wait_for_log(server: Server, needle: bytes, count: int, bound_s: float = 10.0) -> None:
    end = time.monotonic() + bound_s
    while server.stderr_bytes().count(needle) < count:
        assert time.monotonic() < end, f"{needle!r} never logged {count} time(s)"
        time.sleep(0.02)


def test_curl_speaks_https_with_the_test_ca_and_sees_hsts(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key, ["--hsts"])
    assert s.url.startswith("https://127.0.0.1:")
    out = subprocess.run(["curl", "-sS", "-D", "-", "--cacert", str(pki.ca_pem),
                          f"https://127.0.0.1:{s.port}/healthz"],
                         capture_output=True, timeout=20, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200"), out.stdout
    assert re.search(r"(?im)^strict-transport-security: max-age=63072000\r?$", out.stdout)
    assert out.stdout.rstrip().endswith("ok")
    # Without the CA, curl refuses the certificate (60: peer certificate cannot be verified).
    bare = subprocess.run(["curl", "-sS", f"https://127.0.0.1:{s.port}/healthz"],
                          capture_output=True, timeout=20, text=True)
    assert bare.returncode == 60, (bare.returncode, bare.stderr)


def test_no_hsts_header_unless_asked(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key)
    r = s.request("GET", "/healthz")
    assert r.status == 200 and "Strict-Transport-Security" not in r.headers


def test_python_rest_and_wss_over_tls(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key)
    token, _user = register_and_login(s, "tls")  # REST over https (http.client)
    room = create_room(s, token, "tls-room")["id"]
    assert s.ws_url.startswith("wss://")

    async def go():
        async with WS(s, token, origin=s.url) as ws:
            await ws.hello()
            ack = await ws.send_msg(room, "over TLS")
            assert ack["seq"] >= 1
            # Messages that fill more than one TLS record and one read chunk come back whole.
            texts = [str(i) * 16000 for i in range(10)]
            for t in texts:
                await ws.send_json({"type": "send", "room": room, "client_msg_id": new_cmid(),
                                    "text": t})
            events = await ws.collect_until(lambda f: f.get("type") == "event"
                                            and f["event"].get("text") == texts[-1])
            assert [e["event"]["text"] for e in events if e.get("type") == "event"][-10:] == texts
    run(go())


def test_tls_1_2_works_and_1_0_1_1_are_refused(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key)
    ctx12 = client_context(pki)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
        with ctx12.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.2"
            assert re.fullmatch(r"ECDHE-ECDSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)", tls.cipher()[0])
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        old.set_ciphers("ALL:@SECLEVEL=0")  # so that the client itself offers the old version
        old.minimum_version = version
        old.maximum_version = version
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with pytest.raises((ssl.SSLError, ConnectionResetError)):
                old.wrap_socket(raw, server_hostname="127.0.0.1")
    assert s.request("GET", "/healthz").status == 200


def test_plain_http_on_the_tls_port_harms_nothing(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key)
    before = metric(s, "parley_tls_handshakes_failed_total")
    for request in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 4096, b"\x16\x03\x01\xff\xff"):
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as raw:
            raw.sendall(request)
            raw.shutdown(socket.SHUT_WR)
            got = b""
            try:
                while chunk := raw.recv(4096):
                    got += chunk
            except ConnectionResetError:
                pass
            assert b"HTTP/1.1 200" not in got
    assert s.running
    assert s.request("GET", "/healthz").status == 200
    assert metric(s, "parley_tls_handshakes_failed_total") >= before + 3


@pytest.mark.parametrize("case", ["missing", "mismatch", "garbage", "cert_only"])
def test_bad_certificate_or_key_stops_the_start_with_a_clear_error(tmp_path, pki, case):
    crt, key, _ = pki.issue("server")
    _crt2, key2, _ = pki.issue("other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    args, code, needle = {
        "missing": (["--tls-cert", str(tmp_path / "nope.crt"), "--tls-key", str(key)], 1,
                    b"--tls-cert: cannot use the PEM certificate chain in " + str(tmp_path / "nope.crt").encode()),
        "mismatch": (["--tls-cert", str(crt), "--tls-key", str(key2)], 1,
                     b"--tls-key: cannot use the PEM private key in " + str(key2).encode()),
        "garbage": (["--tls-cert", str(garbage), "--tls-key", str(key)], 1,
                    b"cannot use the PEM certificate chain in " + str(garbage).encode()),
        "cert_only": (["--tls-cert", str(crt)], 2, b"--tls-cert and --tls-key go together"),
    }[case]
    s = Server(tmp_path / "data", tmp_path, args, binary=parley_bin())
    with pytest.raises(RuntimeError, match=rf"(exited with|exit) {code}\)? before listening"):
        s.start()
    assert needle in s.stderr_bytes(), s.stderr_tail()


@pytest.mark.timeout_s(40)
def test_sighup_reloads_the_certificate_without_dropping_connections(server_factory, pki, tmp_path):
    live_crt, live_key = tmp_path / "live.crt", tmp_path / "live.key"
    crt1, key1, serial1 = pki.issue("first")
    crt2, key2, serial2 = pki.issue("second")
    shutil.copy(crt1, live_crt)
    shutil.copy(key1, live_key)
    s = tls_server(server_factory, pki, live_crt, live_key)
    ctx = client_context(pki)
    assert peer_serial(s.port, ctx) == serial1
    token, _user = register_and_login(s, "reload")
    room = create_room(s, token, "reload-room")["id"]

    async def go():
        async with WS(s, token, origin=s.url) as ws:
            await ws.hello()
            await ws.send_msg(room, "before the reload")
            shutil.copy(crt2, live_crt)
            shutil.copy(key2, live_key)
            s.proc.send_signal(signal.SIGHUP)
            wait_for_log(s, b"tls_reloaded", 1)
            assert peer_serial(s.port, ctx) == serial2  # a new handshake sees the new cert
            await ws.send_msg(room, "after the reload")  # the old connection is still up
            # A reload that fails (a key that does not match) keeps the current context.
            shutil.copy(key1, live_key)
            s.proc.send_signal(signal.SIGHUP)
            wait_for_log(s, b"tls_reload_failed", 1)
            assert peer_serial(s.port, ctx) == serial2
            await ws.send_msg(room, "after a failed reload")
    run(go())
    assert s.running


def test_sighup_without_tls_changes_nothing(server_factory):
    s = server_factory()
    s.proc.send_signal(signal.SIGHUP)
    wait_for_log(s, b"sighup_ignored", 1)
    assert s.running and s.request("GET", "/healthz").status == 200


def test_files_stream_over_tls_and_an_oversized_upload_is_answered_413(server_factory, pki):
    crt, key, _ = pki.issue("server")
    s = tls_server(server_factory, pki, crt, key, ["--max-upload", str(1 << 20), "--hsts"])
    token, _user = register_and_login(s, "tlsfiles")
    room = create_room(s, token, "tls-files")["id"]
    data = os.urandom(700_000)  # several TLS records and upload pieces
    hdrs = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    r = http_request("127.0.0.1", s.port, "POST", f"/api/v1/rooms/{room}/files?name=a.bin",
                     body=data, headers=hdrs, ssl_context=s.ssl_context)
    assert r.status == 201, r
    file_id = r.json["file"]["id"]
    got = http_request("127.0.0.1", s.port, "GET", f"/api/v1/rooms/{room}/files/{file_id}",
                       headers={"Authorization": f"Bearer {token}"}, ssl_context=s.ssl_context)
    assert got.status == 200 and got.body == data
    assert got.headers["Strict-Transport-Security"] == "max-age=63072000"
    big = http_request("127.0.0.1", s.port, "POST", f"/api/v1/rooms/{room}/files?name=b.bin",
                       body=os.urandom((1 << 20) + 1), headers=hdrs, ssl_context=s.ssl_context)
    assert big.status == 413, big
