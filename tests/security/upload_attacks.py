"""What the upload attacks share: raw HTTP/1.1 uploads over a socket (headers first, then
as much of the body as the attacker likes), images built byte by byte, and the server's
own figures (/metrics, /proc/PID/status)."""
from __future__ import annotations

import functools
import http.client
import io
import re
import socket
import struct
import time
import zlib
from urllib.parse import quote

from parley_client import Response, Server, create_room, http_request, register_and_login


def upload_path(room: int, name: str = "f.bin") -> str:
    return f"/api/v1/rooms/{room}/files?name={quote(name, safe='')}"


def open_upload(server: Server, token: str, room: int, length: int | None,
                expect_continue: bool = False, name: str = "f.bin",
                timeout: float = 20.0) -> socket.socket:
    """Sends an upload's headers only: Content-Length `length`, or chunked when None."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    head = (f"POST {upload_path(room, name)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n")
    head += f"Content-Length: {length}\r\n" if length is not None else \
        "Transfer-Encoding: chunked\r\n"
    if expect_continue:
        head += "Expect: 100-continue\r\n"
    s.sendall((head + "\r\n").encode())
    return s


def read_interim_or_final(s: socket.socket) -> int:
    """The status of the first response line (100 for Continue), reading only that head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1)
        assert chunk, f"connection closed before a response head: {data!r}"
        data += chunk
    return int(data.split(b" ", 2)[1])


def read_response(s: socket.socket) -> Response:
    r = http.client.HTTPResponse(s)
    r.begin()
    body = r.read()
    return Response(r.status, r.headers, body)


def wait_closed(s: socket.socket, bound_s: float = 20.0) -> bytes:
    """Blocks until the server closes the connection (EOF or reset); what it sent meanwhile.
    Fails if it is still open after `bound_s`."""
    s.settimeout(bound_s)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk
    except ConnectionResetError:
        return got
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open for {bound_s}s")


def upload(server: Server, token: str, room: int, data, name: str = "f.bin",
           timeout: float = 10.0) -> Response:
    """An ordinary upload; `data` bytes (Content-Length) or an iterable of chunks (chunked)."""
    return http_request("127.0.0.1", server.port, "POST", upload_path(room, name), body=data,
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/octet-stream"},
                        timeout=timeout)


def owner_with_room(server: Server, name: str) -> tuple[str, int]:
    token, _ = register_and_login(server, name)
    return token, create_room(server, token, f"{name}-room", public=False)["id"]


def metric(server: Server, name: str) -> int:
    text = server.request("GET", "/metrics").text
    m = re.search(rf"^{re.escape(name)} (\d+)$", text, re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


def wait_for_metric(server: Server, name: str, value: int, bound_s: float = 10.0) -> None:
    """Polls /metrics until `name` reaches `value`: a server may close a socket a moment
    before it counts why."""
    end = time.monotonic() + bound_s
    while metric(server, name) < value:
        assert time.monotonic() < end, f"{name} never reached {value}"
        time.sleep(0.02)


def vm_hwm_kib(server: Server) -> int:
    """The server process's peak resident set (VmHWM), KiB."""
    status = open(f"/proc/{server.proc.pid}/status").read()
    return int(re.search(r"^VmHWM:\s+(\d+) kB$", status, re.M).group(1))


# ---- images


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


_ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2)]


def black_png(width: int, height: int, colour_type: int = 6, bit_depth: int = 16,
              interlaced: bool = True, tag: bytes = b"") -> bytes:
    """A valid PNG of black pixels, compressed as it is built (never whole in memory): tiny
    on the wire, width × height × bands × bytes per band once decoded. PIL cannot write
    Adam7, so it is made with zlib and struct. `tag` makes otherwise equal files differ."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0,
                       1 if interlaced else 0)
    text = _png_chunk(b"tEXt", b"tag\x00" + tag) if tag else b""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + text +
            _png_chunk(b"IDAT", _black_idat(width, height, colour_type, bit_depth, interlaced)) +
            _png_chunk(b"IEND", b""))


@functools.lru_cache(maxsize=16)
def _black_idat(width: int, height: int, colour_type: int, bit_depth: int,
                interlaced: bool) -> bytes:
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    pixel = channels * bit_depth // 8
    if interlaced:
        passes = [((width - x0 + dx - 1) // dx if width > x0 else 0,
                   (height - y0 + dy - 1) // dy if height > y0 else 0)
                  for x0, y0, dx, dy in _ADAM7]
    else:
        passes = [(width, height)]
    z = zlib.compressobj(9)
    idat = io.BytesIO()
    for pw, ph in passes:
        if pw == 0 or ph == 0:
            continue
        row = b"\x00" * (1 + pw * pixel)
        for _ in range(ph):
            idat.write(z.compress(row))
    idat.write(z.flush())
    return idat.getvalue()


def small_png(width: int = 200, height: int = 150) -> bytes:
    from PIL import Image
    img = Image.new("RGB", (width, height), (30, 120, 200))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
