"""Black-box helpers for the Parley integration suite.

Everything here talks to a real `parley serve` process over real sockets:
`Server` runs the binary, `api`/`request` speak HTTP with the standard library,
`WS` wraps a `websockets` (10.x, legacy asyncio API) client connection.

Rule of the suite: nothing sleeps to synchronise. Every wait is bounded
(`asyncio.wait_for`, queue timeouts, process wait timeouts) and waits for an
observable fact (a line, a frame, a close code).
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import websockets
import websockets.exceptions

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "release" / "src" / "app" / "parley"

PASSWORD = "correct horse battery staple"
GOOD_ORIGIN = "http://good.example"
EVIL_ORIGIN = "http://evil.example"

START_TIMEOUT = 15.0   # seconds to wait for the "listening" line
STOP_TIMEOUT = 10.0    # seconds between SIGTERM and SIGKILL
HTTP_TIMEOUT = 10.0    # socket timeout of every HTTP request
WS_TIMEOUT = 5.0       # default bound of every WebSocket wait

LISTEN_RE = re.compile(r"^parley listening on (https?://127\.0\.0\.1:(\d+))$")


def parley_bin() -> Path:
    env = os.environ.get("PARLEY_BIN")
    return Path(env).resolve() if env else DEFAULT_BIN


def unique(name: str) -> str:
    """A username unique per call, valid under the documented rules (3..32, [A-Za-z0-9_.-])."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "", name)[:20] or "u"
    if not base[0].isalnum():
        base = "u" + base
    return f"{base}_{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def error_code(self) -> Optional[str]:
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("code")
        return None

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:300]!r}>"


def http_request(host: str, port: int, method: str, path: str, body: Optional[bytes] = None,
                 headers: Optional[dict] = None, timeout: float = HTTP_TIMEOUT,
                 ssl_context=None) -> Response:
    if ssl_context is not None:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl_context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        try:
            conn.request(method, path, body=body, headers=hdrs)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (e.g. 413) and close before reading the whole body;
            # the answer is still in our receive buffer.
            pass
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.headers, data)
    finally:
        conn.close()


# --------------------------------------------------------------------------- server process


class Server:
    """One `parley serve` process on a fixed data dir; restartable."""

    def __init__(self, data_dir: Path, log_dir: Path, args: Iterable[str] = (),
                 binary: Optional[Path] = None):
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.args = list(args)
        self.binary = Path(binary) if binary else parley_bin()
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.url: Optional[str] = None
        self.generation = 0
        self.stderr_paths: list[Path] = []
        self.stdout_lines: list[str] = []
        self._stderr_file = None
        self._pump: Optional[threading.Thread] = None
        self.stopped_by_us = False
        self.ssl_context = None  # an ssl.SSLContext trusting the server's CA, for --tls-cert

    # ---- lifecycle

    def command(self) -> list[str]:
        # Tests register users freely: sign-up is open unless a test chooses a mode (a new
        # install's default is invite, docs/operations.md "Sign-up").
        mode = [] if any(a.startswith("--registration") for a in self.args) else ["--registration", "open"]
        return [str(self.binary), "serve", "--listen", "127.0.0.1:0",
                "--data-dir", str(self.data_dir), *mode, *self.args]

    def start(self, timeout: float = START_TIMEOUT) -> "Server":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stopped_by_us = False
        self.generation += 1
        stderr_path = self.log_dir / f"parley-{self.data_dir.name}-{self.generation}.stderr.log"
        self.stderr_paths.append(stderr_path)
        self._stderr_file = open(stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr_file)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        proc = self.proc

        def pump() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:  # keeps draining so the server never blocks on stdout
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError(f"no listening line within {timeout}s; stderr:\n{self.stderr_tail()}")
            try:
                line = lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if proc.poll() is not None and lines.empty():
                    raise RuntimeError(f"server exited with {proc.returncode} before listening; "
                                       f"stderr:\n{self.stderr_tail()}")
                continue
            if line is None:
                proc.wait(timeout=STOP_TIMEOUT)
                raise RuntimeError(f"server closed stdout (exit {proc.returncode}) before listening; "
                                   f"stderr:\n{self.stderr_tail()}")
            m = LISTEN_RE.match(line)
            if not m:
                self.kill()
                raise RuntimeError(f"first stdout line is not the listening line: {line!r}")
            self.url = m.group(1)
            self.port = int(m.group(2))
            return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            self.stopped_by_us = True
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        self._close_files()
        return proc.returncode

    def kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            self.stopped_by_us = True
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)
        self._close_files()

    def restart(self, timeout: float = START_TIMEOUT) -> "Server":
        self.stop()
        return self.start(timeout=timeout)

    def _close_files(self) -> None:
        if self._pump is not None:
            self._pump.join(timeout=2)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ---- logs

    def stderr_bytes(self) -> bytes:
        if self._stderr_file is not None:
            self._stderr_file.flush()
        return b"".join(p.read_bytes() for p in self.stderr_paths if p.exists())

    def stderr_tail(self, n: int = 4000) -> str:
        return self.stderr_bytes()[-n:].decode("utf-8", "replace")

    # ---- addresses

    @property
    def ws_url(self) -> str:
        scheme = "wss" if self.url and self.url.startswith("https:") else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/api/v1/ws"

    @property
    def origin(self) -> str:
        return self.url  # the server's own origin

    # ---- HTTP

    def request(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
                headers: Optional[dict] = None, raw: Optional[bytes] = None) -> Response:
        """Full HTTP request. `path` not starting with /api/ or an ops path gets /api/v1 prefixed."""
        if not (path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics")):
            path = "/api/v1" + (path if path.startswith("/") else "/" + path)
        hdrs = {"Accept": "application/json"}
        data = raw
        if data is None and body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        return http_request("127.0.0.1", self.port, method, path, body=data, headers=hdrs,
                            ssl_context=self.ssl_context)

    def api(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
            headers: Optional[dict] = None, raw: Optional[bytes] = None) -> tuple[int, Any]:
        r = self.request(method, path, body=body, token=token, headers=headers, raw=raw)
        return r.status, r.json


# --------------------------------------------------------------------------- REST helpers


def assert_error(resp: tuple[int, Any] | Response, status: int, code: str) -> None:
    if isinstance(resp, Response):
        st, js = resp.status, resp.json
    else:
        st, js = resp
    assert st == status, f"expected {status} {code}, got {st} {js}"
    assert isinstance(js, dict) and isinstance(js.get("error"), dict), f"no error object: {js}"
    assert js["error"].get("code") == code, f"expected code {code}, got {js}"
    assert isinstance(js["error"].get("message"), str)


def register(server: Server, username: str, password: str = PASSWORD) -> dict:
    st, js = server.api("POST", "/register", {"username": username, "password": password})
    assert st == 201, f"register {username}: {st} {js}"
    return js["user"]


def login(server: Server, username: str, password: str = PASSWORD, device: str = "pytest") -> dict:
    st, js = server.api("POST", "/login", {"username": username, "password": password, "device": device})
    assert st == 200, f"login {username}: {st} {js}"
    return js


def register_and_login(server: Server, name: str, device: str = "pytest") -> tuple[str, dict]:
    """Register a fresh, unique user derived from `name` and log in. Returns (token, user)."""
    username = unique(name)
    user = register(server, username)
    js = login(server, username, device=device)
    assert js["user"]["id"] == user["id"]
    return js["token"], js["user"]


def create_room(server: Server, token: str, name: str = "room", public: bool = True,
                topic: Optional[str] = None) -> dict:
    body: dict = {"name": name, "public": public}
    if topic is not None:
        body["topic"] = topic
    st, js = server.api("POST", "/rooms", body, token=token)
    assert st == 201, f"create room: {st} {js}"
    return js["room"]


def add_member(server: Server, token: str, room_id: int, username: str) -> dict:
    st, js = server.api("POST", f"/rooms/{room_id}/members", {"username": username}, token=token)
    assert st == 201, f"add member: {st} {js}"
    return js["member"]


def room_last_seq(server: Server, token: str, room_id: int) -> int:
    """The room's last seq as a member reads it (GET /rooms/{id}): it moves on every event."""
    st, js = server.api("GET", f"/rooms/{room_id}", token=token)
    assert st == 200, js
    return js["room"]["last_seq"]


def room_of_three(server: Server, users: Callable, name: str, public: bool = False):
    """A room made by a fresh owner with two fresh members added:
    ((token, user) of the owner, of the second, of the third, room)."""
    owner, second, third = (users(f"{name[:8]}{i}") for i in "abc")
    room = create_room(server, owner[0], name, public=public)
    for _, who in (second, third):
        add_member(server, owner[0], room["id"], who["username"])
    return owner, second, third, room


def join(server: Server, token: str, room_id: int) -> dict:
    st, js = server.api("POST", f"/rooms/{room_id}/join", token=token)
    assert st == 200, f"join: {st} {js}"
    return js["room"]


_cmid = itertools.count(1)


def new_cmid() -> str:
    return f"c-{next(_cmid)}-{uuid.uuid4().hex[:10]}"


def send_rest(server: Server, token: str, room_id: int, text: str,
              client_msg_id: Optional[str] = None, **extra) -> tuple[int, Any]:
    body = {"client_msg_id": client_msg_id or new_cmid(), "text": text, **extra}
    return server.api("POST", f"/rooms/{room_id}/messages", body, token=token)


def post_message(server: Server, token: str, room_id: int, text: str,
                 client_msg_id: Optional[str] = None) -> dict:
    st, js = send_rest(server, token, room_id, text, client_msg_id)
    assert st == 201, f"send: {st} {js}"
    return js["message"]


def history(server: Server, token: str, room_id: int, **params) -> dict:
    q = "&".join(f"{k}={v}" for k, v in params.items())
    st, js = server.api("GET", f"/rooms/{room_id}/messages" + (f"?{q}" if q else ""), token=token)
    assert st == 200, f"history: {st} {js}"
    return js


def my_rooms(server: Server, token: str) -> dict:
    st, js = server.api("GET", "/rooms", token=token)
    assert st == 200, f"rooms: {st} {js}"
    return {r["id"]: r for r in js["rooms"]}


# --------------------------------------------------------------------------- WebSocket


def run(coro, timeout: float = 20.0):
    """Run one async test body with a hard bound."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


def is_type(t: str) -> Callable[[dict], bool]:
    return lambda f: f.get("type") == t


def is_event(room: Optional[int] = None, seq: Optional[int] = None, kind: Optional[str] = None,
             text: Optional[str] = None) -> Callable[[dict], bool]:
    def pred(f: dict) -> bool:
        if f.get("type") != "event":
            return False
        e = f.get("event") or {}
        return ((room is None or e.get("room") == room) and (seq is None or e.get("seq") == seq)
                and (kind is None or e.get("kind") == kind) and (text is None or e.get("text") == text))
    return pred


def frame_room(f: dict) -> Optional[int]:
    if f.get("type") == "event":
        return (f.get("event") or {}).get("room")
    r = f.get("room")
    return r.get("id") if isinstance(r, dict) else r


class WSClosed(AssertionError):
    pass


class WS:
    """A WebSocket client that keeps every frame it received.

    `frames` is the full log; `pending` holds received frames not yet consumed by a
    `recv_until`/`collect_until`. Waits are bounded by `asyncio.wait_for`.
    """

    _req = itertools.count(1)

    def __init__(self, server: Server, token: Optional[str] = None, *, origin: Optional[str] = None,
                 headers: Optional[dict] = None, max_size: int = 2 ** 22, max_queue: int = 2 ** 10,
                 read_limit: int = 2 ** 16, rcvbuf: Optional[int] = None, name: str = "ws"):
        self.server = server
        self.token = token
        self.origin = origin
        self.headers = headers or {}
        self.max_size = max_size
        self.max_queue = max_queue
        self.read_limit = read_limit
        self.rcvbuf = rcvbuf
        self.name = name
        self.ws = None
        self.frames: list[dict] = []
        self.pending: list[dict] = []
        self.ready: Optional[dict] = None

    async def connect(self, timeout: float = WS_TIMEOUT) -> "WS":
        kw: dict = dict(compression=None, max_size=self.max_size, max_queue=self.max_queue,
                        read_limit=self.read_limit, open_timeout=timeout, close_timeout=2,
                        ping_interval=None, extra_headers=self.headers or None)
        if self.origin is not None:
            kw["origin"] = self.origin
        if self.server.ssl_context is not None:
            kw["ssl"] = self.server.ssl_context
        if self.rcvbuf is not None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            sock.setblocking(False)
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(
                sock, ("127.0.0.1", self.server.port)), timeout)
            kw["sock"] = sock
        self.ws = await asyncio.wait_for(websockets.connect(self.server.ws_url, **kw), timeout)
        return self

    async def __aenter__(self) -> "WS":
        if self.ws is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass

    @property
    def close_code(self) -> Optional[int]:
        return self.ws.close_code if self.ws is not None else None

    async def send_json(self, obj: Any) -> None:
        await self.ws.send(json.dumps(obj))

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def _recv_one(self, timeout: float) -> dict:
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed as e:
            raise WSClosed(f"{self.name}: connection closed (code {self.ws.close_code}, "
                           f"{e}) ; pending={self.pending[-5:]}") from e
        assert isinstance(raw, str), f"{self.name}: server sent a binary frame: {raw[:100]!r}"
        frame = json.loads(raw)
        assert isinstance(frame, dict) and "type" in frame, f"{self.name}: frame without type: {raw[:300]}"
        self.frames.append(frame)
        return frame

    async def recv_until(self, pred: Callable[[dict], bool], timeout: float = WS_TIMEOUT,
                         what: str = "") -> dict:
        """Return (and consume) the first frame matching `pred`; other frames stay pending."""
        for i, f in enumerate(self.pending):
            if pred(f):
                return self.pending.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no frame {what} within {timeout}s; "
                                     f"pending={self.pending[-10:]}")
            try:
                f = await self._recv_one(remaining)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.name}: no frame {what} within {timeout}s; "
                                     f"pending={self.pending[-10:]}") from None
            if pred(f):
                return f
            self.pending.append(f)

    async def collect_until(self, pred: Callable[[dict], bool], timeout: float = WS_TIMEOUT,
                            what: str = "") -> list[dict]:
        """Consume frames in arrival order up to and including the first matching `pred`."""
        out: list[dict] = []
        while self.pending:
            f = self.pending.pop(0)
            out.append(f)
            if pred(f):
                return out
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no frame {what} within {timeout}s; got={out[-10:]}")
            try:
                f = await self._recv_one(remaining)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.name}: no frame {what} within {timeout}s; got={out[-10:]}") from None
            out.append(f)
            if pred(f):
                return out

    async def expect_silence(self, pred: Callable[[dict], bool], duration: float, what: str = "") -> None:
        """Assert that no frame matching `pred` is pending or arrives within `duration` seconds.

        This is a bounded negative check, not synchronisation."""
        bad = [f for f in self.pending if pred(f)]
        assert not bad, f"{self.name}: unexpected frame {what}: {bad}"
        deadline = asyncio.get_running_loop().time() + duration
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            try:
                f = await self._recv_one(remaining)
            except asyncio.TimeoutError:
                return
            assert not pred(f), f"{self.name}: unexpected frame {what}: {f}"
            self.pending.append(f)

    async def wait_closed(self, timeout: float = WS_TIMEOUT) -> int:
        """Read (and keep) frames until the server closes; return the close code."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: not closed within {timeout}s; pending={self.pending[-5:]}")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except websockets.exceptions.ConnectionClosed:
                return self.ws.close_code
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.name}: not closed within {timeout}s; pending={self.pending[-5:]}") from None
            try:
                f = json.loads(raw)
            except ValueError:
                f = {"type": "<non-json>", "raw": raw[:200]}
            self.frames.append(f)
            self.pending.append(f)

    # ---- protocol helpers

    async def hello(self, resume: Optional[dict] = None, token: Any = ..., timeout: float = WS_TIMEOUT) -> dict:
        """Send hello and wait for `ready`. Frames after `ready` (replay, caught_up) stay pending."""
        frame: dict = {"type": "hello"}
        tok = self.token if token is ... else token
        if tok is not None:
            frame["token"] = tok
        if resume is not None:
            frame["resume"] = {str(k): v for k, v in resume.items()}
        await self.send_json(frame)
        f = await self.recv_until(lambda f: f.get("type") in ("ready", "error"), timeout, "ready")
        assert f["type"] == "ready", f"{self.name}: hello refused: {f}"
        self.ready = f
        return f

    async def hello_caught_up(self, resume: Optional[dict] = None, timeout: float = WS_TIMEOUT) -> tuple[dict, list[dict]]:
        """hello + everything up to and including caught_up. Returns (ready, frames before caught_up)."""
        ready = await self.hello(resume=resume, timeout=timeout)
        frames = await self.collect_until(is_type("caught_up"), timeout, "caught_up")
        return ready, frames[:-1]

    def next_req(self) -> int:
        return next(WS._req)

    async def request(self, frame: dict, timeout: float = WS_TIMEOUT) -> dict:
        """Send a frame with a fresh `req`; return the ack/pong/error answering it."""
        req = self.next_req()
        frame = dict(frame, req=req)
        await self.send_json(frame)
        return await self.recv_until(
            lambda f: f.get("req") == req and f.get("type") in ("ack", "pong", "error"),
            timeout, f"answer to req {req} ({frame.get('type')})")

    async def send_msg(self, room: int, text: str, client_msg_id: Optional[str] = None,
                       timeout: float = WS_TIMEOUT) -> dict:
        ack = await self.request({"type": "send", "room": room,
                                  "client_msg_id": client_msg_id or new_cmid(), "text": text}, timeout)
        assert ack["type"] == "ack", f"{self.name}: send failed: {ack}"
        return ack

    async def ping(self, timeout: float = WS_TIMEOUT) -> None:
        """Round trip barrier: the server has processed every frame sent before this one."""
        f = await self.request({"type": "ping"}, timeout)
        assert f["type"] == "pong", f

    def events(self, room: Optional[int] = None) -> list[dict]:
        """All `event` payloads received so far (full log), optionally for one room."""
        return [f["event"] for f in self.frames
                if f.get("type") == "event" and (room is None or f["event"].get("room") == room)]


def snapshot_ids(ws: "WS") -> set[int]:
    """The user ids in the last presence_snapshot this socket received (after ready)."""
    snaps = [f for f in ws.frames if f.get("type") == "presence_snapshot"]
    assert snaps, f"{ws.name}: no presence_snapshot received"
    return {u["id"] for u in snaps[-1]["online"]}


def is_presence(uid: int, online: Optional[bool] = None) -> Callable[[dict], bool]:
    return lambda f: (f.get("type") == "presence" and f["user"]["id"] == uid
                      and (online is None or f["online"] is online))


def saw_online(ws: "WS", uid: int) -> bool:
    """Whether `uid` was reported online to this socket: in its snapshot or by a presence frame."""
    return any(is_presence(uid, True)(f) or (f.get("type") == "presence_snapshot"
                                               and uid in {u["id"] for u in f["online"]})
               for f in ws.frames)


async def connect_ready(server: Server, token: str, resume: Optional[dict] = None, name: str = "ws",
                        **kw) -> WS:
    """Connect, hello, and consume through `caught_up`."""
    ws = WS(server, token, name=name, **kw)
    await ws.connect()
    await ws.hello_caught_up(resume=resume)
    return ws
