"""Raw TCP for the HTTP probes (smuggling, slow clients): bytes go out exactly as written,
answers are read until the server closes or a bound passes, and split into responses by
their own framing (Content-Length or chunked)."""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass
class RawResponse:
    status: int
    headers: dict          # lower-case name -> last value
    body: bytes


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(s: socket.socket, bound: float) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or `bound` seconds pass (False)."""
    data = b""
    end = time.monotonic() + bound
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return data, False
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


def exchange(port: int, raw: bytes, bound: float = 3.0) -> tuple[list[RawResponse], bool]:
    """Sends `raw` on a fresh connection, half-closes nothing, and reads what comes back
    until the server closes or `bound` passes. Returns (responses, closed_by_server)."""
    s = connect(port)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = read_until_closed(s, bound)
    finally:
        s.close()
    return parse_responses(data), closed


def parse_responses(data: bytes) -> list[RawResponse]:
    out: list[RawResponse] = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError(f"a response cut short or not HTTP: {data[:200]!r}")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        assert parts[0].startswith(b"HTTP/1."), f"not a status line: {lines[0]!r}"
        status = int(parts[1])
        headers: dict = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                n = int(size_line.split(b";")[0], 16)
                if n == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:n]
                rest = rest[n + 2:]
        elif status in (101, 204, 304) or 100 <= status < 200:
            body = b""
        else:
            n = int(headers.get("content-length", "0"))
            body, rest = rest[:n], rest[n:]
        out.append(RawResponse(status, headers, body))
        data = rest
    return out


def request(method: str, path: str, headers: list[tuple[str, str]] = (), body: bytes = b"",
            version: str = "HTTP/1.1", eol: bytes = b"\r\n") -> bytes:
    """One request, byte for byte as given (no header is added but Host)."""
    lines = [f"{method} {path} {version}".encode(), b"Host: 127.0.0.1"]
    lines += [f"{k}: {v}".encode() for k, v in headers]
    return eol.join(lines) + eol + eol + body


# --------------------------------------------------------------------------- raw WebSocket


class RawWS:
    """A WebSocket client that writes frames byte for byte (masked or not, any opcode,
    any length field), for probing the server's frame reader."""

    def __init__(self, port: int, headers: list[tuple[str, str]] = ()):
        import base64
        import os
        self.sock = connect(port)
        self.pongs: list[bytes] = []
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                 ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", key), *headers]
        self.sock.sendall(request("GET", "/api/v1/ws", lines))
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, f"closed during the handshake: {head!r}"
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head[:200]

    @staticmethod
    def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True, rsv: int = 0,
              length: int | None = None, length_form: str = "minimal") -> bytes:
        import os
        import struct
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        mbit = 0x80 if mask else 0
        if length_form == "minimal":
            length_form = "7" if n < 126 else "16" if n < 65536 else "64"
        if length_form == "7":
            head = bytes([b0, mbit | n])
        elif length_form == "16":
            head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
        else:
            head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def text(self, s: str | bytes, **kw) -> None:
        self.send(self.frame(1, s.encode() if isinstance(s, str) else s, **kw))

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame within the bound")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next_frame(self, bound: float = 5.0) -> tuple[int, bytes]:
        """(opcode, payload) of the server's next frame (server frames are never masked)."""
        import struct
        deadline = time.monotonic() + bound
        b0, b1 = self._read(2, deadline)
        assert not (b1 & 0x80), "the server masked a frame"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2, deadline))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8, deadline))[0]
        return b0 & 0x0F, self._read(n, deadline)

    def json_until(self, pred, bound: float = 5.0) -> dict:
        import json
        deadline = time.monotonic() + bound
        while True:
            op, payload = self.next_frame(max(0.01, deadline - time.monotonic()))
            if op == 10:
                self.pongs.append(payload)
                continue
            assert op == 1, f"expected a text frame, got opcode {op}: {payload[:100]!r}"
            f = json.loads(payload)
            if pred(f):
                return f

    def close_code(self, bound: float = 5.0) -> int:
        """Reads frames until the server's close frame; returns its code. Then expects the
        server to end the TCP connection (within the bound: a client whose close frame is
        stuck behind half a frame of its own waits for the server's 5 s close timer)."""
        import struct
        deadline = time.monotonic() + bound
        while True:
            op, payload = self.next_frame(max(0.01, deadline - time.monotonic()))
            if op == 8:
                self.close_at = time.monotonic()
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.send(self.frame(8, payload[:2]))
                try:
                    while True:
                        self._read(1, deadline)
                except EOFError:
                    return code

    def close(self) -> None:
        self.sock.close()
