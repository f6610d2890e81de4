"""When the key service is down (docs/operations.md, "When the key service is down").

A node on the real KMS test server (moto), reached through a TCP relay that the test cuts
and restores: a network outage of the key service, with the service itself untouched. While
it is cut, rooms whose keys the node holds keep working; a room whose key is cold answers
`503 unavailable` to reads and sends and stores nothing; after a few failures the circuit
breaker answers cold reads at once; /readyz and /metrics say so. When the relay is back,
everything recovers by itself and every refused send succeeds when retried, with no acked
message lost.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

import backends
from parley_client import (
    GOOD_ORIGIN, Server, create_room, history, parley_bin, post_message, register_and_login,
    send_rest,
)

pytestmark = pytest.mark.skipif(not backends.scaled(),
                                reason="needs a key service behind the network (KMS)")


class Relay:
    """A TCP relay on a fixed loopback port to `upstream`; cut() refuses and drops every
    connection, restore() listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self.listener: socket.socket | None = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
            conns, self.conns = self.conns, []
        if listener is not None:
            listener.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    up.close()
                    return
                self.conns += [client, up]
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def through(kms_url: str, port: int) -> str:
    """The KMS URL with its host and port replaced by the relay's."""
    p = urlsplit(kms_url)
    auth = p.netloc.rsplit("@", 1)[0] + "@" if "@" in p.netloc else ""
    return urlunsplit(p._replace(netloc=f"{auth}127.0.0.1:{port}"))


def metric(server: Server, name: str) -> float:
    text = server.request("GET", "/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.mark.timeout_s(150)
def test_a_dead_key_service_refuses_cold_rooms_and_everything_recovers(tmp_path):
    kms = backends.kms_url()
    p = urlsplit(kms)
    relay = Relay((p.hostname, p.port))
    scaled = backends.scaled_args()
    keyring = scaled.index("--keyring")
    scaled[keyring + 1] = through(kms, relay.port)
    server = Server(tmp_path / "data", tmp_path,
                    ["--allowed-origin", GOOD_ORIGIN, "--send-rate", "1000", *scaled],
                    binary=parley_bin())
    try:
        server.start()
        token, _ = register_and_login(server, "alice")
        warm = create_room(server, token, "warm")["id"]
        cold = create_room(server, token, "cold")["id"]
        post_message(server, token, cold, "before the outage")
        server.restart()  # forgets every unwrapped key
        post_message(server, token, warm, "warm again")  # this one's key is in memory now

        relay.cut()
        refused = []
        for i in range(4):
            st, js = send_rest(server, token, cold, f"refused {i}", client_msg_id=f"cold-{i}")
            assert st == 503 and js["error"]["code"] == "unavailable", (st, js)
            refused.append((f"cold-{i}", f"refused {i}"))
        st, js = server.api("GET", f"/rooms/{cold}/messages", token=token)
        assert st == 503 and js["error"]["code"] == "unavailable", (st, js)
        # The breaker is open: a cold read costs no call and no wait.
        started = time.monotonic()
        st, _ = server.api("GET", f"/rooms/{cold}/messages", token=token)
        assert st == 503 and time.monotonic() - started < 0.5
        assert metric(server, "parley_key_service_up") == 0
        assert metric(server, "parley_key_breaker_state") == 2
        ready = server.request("GET", "/readyz")
        assert ready.status == 200 and "key service: down" in ready.text
        acked = [post_message(server, token, warm, f"during {i}")["seq"] for i in range(20)]
        assert [m["text"] for m in history(server, token, warm)["messages"]][-20:] == \
            [f"during {i}" for i in range(20)]

        relay.restore()
        deadline = time.monotonic() + 30
        for cmid, text in refused:
            while True:
                st, js = send_rest(server, token, cold, text, client_msg_id=cmid)
                if st == 201:
                    break
                assert st == 503 and time.monotonic() < deadline, (st, js)
                time.sleep(0.2)  # the breaker probes again after its open period
        texts = [m["text"] for m in history(server, token, cold)["messages"]]
        assert texts == ["before the outage"] + [t for _, t in refused]
        assert metric(server, "parley_key_service_up") == 1
        assert server.request("GET", "/readyz").text == "ready\n"
        seqs = [m["seq"] for m in history(server, token, warm, limit=100)["messages"]]
        assert set(acked) <= set(seqs)
    finally:
        server.stop()
        relay.cut()
        backends.drop_database(scaled[scaled.index("--db") + 1])
