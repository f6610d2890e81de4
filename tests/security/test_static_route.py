"""Files outside the built client are never served: the static route once read any
absolute path after `//`, the keyring included (issue 11, finding 1).

The server now loads the client's files into memory at start and answers a path only by
exact lookup in that table (docs/security.md, "The static route"). Each test below is one
class of attack, with variants; every refusal must be the 404 of any missing route, byte
for byte, and no secret's bytes may ever appear in an answer."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from parley_client import REPO_ROOT, parley_bin

# ----------------------------------------------------------------------------- helpers


@dataclass
class Raw:
    status: int | None  # None: the server closed the connection without an answer
    headers: dict
    body: bytes
    raw: bytes


def raw_request(port: int, method: str, target: bytes, timeout: float = 10.0) -> Raw:
    """One request with the target sent byte for byte (no client-side normalising)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(method.encode() + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n")
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    if not raw:
        return Raw(None, {}, b"", raw)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Raw(status, headers, body, raw)


PAGE = b"<!doctype html><title>parley</title><script src=/assets/app-1a2b.js></script>"
CLIENT_FILES = {
    "/index.html": PAGE,
    "/assets/app-1a2b.js": b"console.log('client')",
    "/assets/style-9f8e.css": b"body{margin:0}",
    "/assets/fonts/inter-3c4d.woff2": b"wOF2-font-bytes",
    "/favicon.ico": b"ico-bytes",
    "/manifest.json": b'{"name":"parley"}',
}


@dataclass
class Site:
    server: object
    static: Path
    secrets: dict  # name -> (path, bytes)
    not_found: Raw

    def get(self, target: bytes | str, method: str = "GET") -> Raw:
        if isinstance(target, str):
            target = target.encode()
        return raw_request(self.server.port, method, target)

    def assert_not_found(self, target: bytes | str, method: str = "GET") -> None:
        r = self.get(target, method)
        assert r.status == 404, f"{method} {target!r}: {r.status} {r.raw[:200]!r}"
        self.assert_no_secret(r, target)
        assert r.headers.get("content-type") == self.not_found.headers["content-type"], target
        if method == "HEAD":
            assert r.body == b"", f"HEAD {target!r} has a body"
            assert r.headers.get("content-length") == str(len(self.not_found.body)), target
        else:
            assert r.body == self.not_found.body, f"{target!r}: {r.body!r}"

    def assert_no_secret(self, r: Raw, target) -> None:
        for name, (_, data) in self.secrets.items():
            assert data not in r.raw, f"{target!r} leaked {name}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _keyring_or_stand_in(server) -> Path:
    """The data dir's keyring; on the scaled backend (master key in a KMS) a file in its
    place, so that both backends attack the same secret."""
    keyring = server.data_dir / "keyring.json"
    if not keyring.exists():
        keyring.write_bytes(b'{"stand-in":"SECRET-KEYRING-' + uuid.uuid4().hex.encode() + b'"}')
    return keyring


@pytest.fixture
def site(server_factory, tmp_path) -> Site:
    """A client dir with secrets next to it, above it, and in the data dir, and symlinks
    planted inside it pointing at each of them (and at directories holding them)."""
    outer = tmp_path / "outer"
    static = outer / "site" / "dist"
    for key, data in CLIENT_FILES.items():
        _write(static / key.lstrip("/"), data)
    beside = outer / "site" / "secret.txt"
    above = outer / "secret-above.txt"
    _write(beside, b"SECRET-BESIDE-" + uuid.uuid4().hex.encode())
    _write(above, b"SECRET-ABOVE-" + uuid.uuid4().hex.encode())
    data_dir = tmp_path / "data0"  # server_factory's first data dir
    links = {
        "leak.txt": beside, "leak-above.txt": above, "up": outer / "site", "top": outer,
        "keyring.json": data_dir / "keyring.json", "data": data_dir, "cwd": Path("/proc/self/cwd"),
        "root": Path("/"), "passwd.txt": Path("/etc/passwd"),
    }
    for name, target in links.items():
        os.symlink(target, static / name)
    os.symlink(beside, static / "assets" / "leak.js")
    server = server_factory(extra=["--static-dir", str(static)])
    keyring = _keyring_or_stand_in(server)
    # Restart, so that the symlink to the keyring resolves when the client is loaded.
    server.restart()
    secrets = {"beside": (beside, beside.read_bytes()), "above": (above, above.read_bytes()),
               "keyring": (keyring, keyring.read_bytes())}
    not_found = raw_request(server.port, "GET", b"/no-such-file.txt")
    assert not_found.status == 404 and not_found.body, not_found
    s = Site(server, static, secrets, not_found)
    # The 404 of a missing static file is the 404 of a missing API route.
    api_404 = s.get("/api/v1/no-such-route")
    assert (api_404.status, api_404.body) == (404, not_found.body)
    return s


# ----------------------------------------------------------------------------- the first probe


def test_double_slash_absolute_path_does_not_read_the_keyring(server_factory, tmp_path):
    # First written with server.request, which prefixes /api/v1 and so never reached the
    # static route; the raw target is what the attack sent.
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>parley</title>")
    server = server_factory(extra=["--static-dir", str(static)])
    keyring = _keyring_or_stand_in(server)
    r = raw_request(server.port, "GET", ("/" + str(keyring)).encode())
    missing = raw_request(server.port, "GET", b"/no-such-file.txt")
    assert r.status == 404
    assert r.body == missing.body
    assert keyring.read_bytes() not in r.raw


# ----------------------------------------------------------------------------- one class each

METHODS = ["GET", "HEAD"]


def _relative_to_cwd(p: Path) -> str:
    return os.path.relpath(p, os.getcwd())


@pytest.mark.parametrize("method", METHODS)
def test_absolute_paths(site, method):
    for name, (path, _) in site.secrets.items():
        for form in [f"/{path}", f"//{path}", f"///{path}", f"/proc/self/root{path}",
                     f"//proc/self/root{path}", f"//proc/self/cwd/{_relative_to_cwd(path)}",
                     f"/proc/self/cwd/{_relative_to_cwd(path)}", f"/{path}?x=1"]:
            site.assert_not_found(form, method)
    for form in ["//etc/passwd.txt", "//etc/hostname.txt", "//proc/self/environ.txt",
                 "//proc/self/cmdline.x", "/proc/self/fd/0.x"]:
        site.assert_not_found(form, method)


DOTDOT = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%2E."]


@pytest.mark.parametrize("dotdot", DOTDOT)
@pytest.mark.parametrize("method", METHODS)
def test_dot_segments(site, dotdot, method):
    for form in [f"/{dotdot}/secret.txt", f"/{dotdot}/{dotdot}/secret-above.txt",
                 f"/assets/{dotdot}/{dotdot}/secret.txt", f"/{dotdot}/dist/index.html",
                 f"/assets/{dotdot}/index.html", f"/./index.html", f"/assets/./app-1a2b.js",
                 f"/{dotdot}/data0/keyring.json", f"/{dotdot}/{dotdot}/{dotdot}/data0/keyring.json",
                 f"/{dotdot}", f"/{dotdot}/"]:
        site.assert_not_found(form, method)


@pytest.mark.parametrize("sep", ["%2f", "%2F", "%5c", "%5C", "\\", "%252f", "%c0%af", "%e0%80%af"])
def test_encoded_and_foreign_separators(site, sep):
    for form in [f"/..{sep}secret.txt", f"/..{sep}..{sep}secret-above.txt",
                 f"/assets{sep}app-1a2b.js", f"{sep}index.html", f"/{sep}index.html",
                 f"/{sep}{site.secrets['beside'][0]}".replace("/", sep)]:
        for method in METHODS:
            site.assert_not_found(form, method)


@pytest.mark.parametrize("form", [
    "/%", "/%2", "/%zz.js", "/%g0.js", "/index.html%", "/%%32%65%%32%65/secret.txt",
    "/%252e%252e/secret.txt", "/%c0%ae%c0%ae/secret.txt", "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%u002e%u002e/secret.txt", "/%uff0e%uff0e/secret.txt", "/%ef%bc%8e%ef%bc%8e/secret.txt",
    "/index%2ehtml%00", "/inde%78.html%20", "/%69ndex.html%3f", "/%fe%ff.js", "/caf%c3%a9.js",
])
def test_invalid_overlong_and_unicode_encodings(site, form):
    for method in METHODS:
        site.assert_not_found(form, method)


@pytest.mark.parametrize("target", [
    b"/index.html%00", b"/index.html%00.js", b"/%00/secret.txt", b"/..%00/secret.txt",
    b"/index.html%0a", b"/index.html%0d%0a", b"/%09.js", b"/%7f.js", b"/%1b.js",
])
def test_encoded_nul_and_control_bytes(site, target):
    for method in METHODS:
        site.assert_not_found(target, method)


@pytest.mark.parametrize("byte", [0, 1, 9, 0x7f, 0x80, 0xc0, 0xff])
def test_raw_nul_control_and_high_bytes(site, byte):
    """Bytes no request-target may hold: either refused by the parser (connection closed or
    400) or the missing-route 404, never a file."""
    target = b"/index.html" + bytes([byte]) + b".js"
    r = site.get(target)
    site.assert_no_secret(r, target)
    if r.status == 404:
        assert r.body == site.not_found.body
    else:
        assert r.status in (None, 400), r


@pytest.mark.parametrize("length", [300, 1100, 4000, 12000])
def test_very_long_paths(site, length):
    for form in ["/" + "a" * length + ".js", "/" + "../" * (length // 3) + "secret.txt",
                 "/" + "%2e%2e/" * (length // 7) + "secret-above.txt", "/assets/" + "x/" * (length // 2) + "y.js"]:
        site.assert_not_found(form)


def test_a_path_over_the_header_limit_gets_no_file(site):
    target = ("/" + "../" * 8000 + "secret.txt").encode()
    r = site.get(target)
    site.assert_no_secret(r, target)
    assert r.status in (None, 400, 404, 431), r


SUFFIXES = ["?", "?x=1", "?/../../secret.txt", "?%2e%2e", "#frag", "#/../secret.txt", ";x",
            ";/../secret.txt", "?" + "q" * 3000]


@pytest.mark.parametrize("suffix", SUFFIXES, ids=[s[:20] for s in SUFFIXES])
def test_query_strings_and_fragments(site, suffix):
    # A query never changes which file is served; anything else after the name is no name.
    r = site.get("/assets/app-1a2b.js" + suffix)
    site.assert_no_secret(r, suffix)
    if suffix.startswith("?"):
        assert (r.status, r.body) == (200, CLIENT_FILES["/assets/app-1a2b.js"]), suffix
    else:
        site.assert_not_found("/assets/app-1a2b.js" + suffix)
    site.assert_not_found("/..%2fsecret.txt" + suffix)
    site.assert_not_found("/" + str(site.secrets["beside"][0]) + suffix)


@pytest.mark.parametrize("method", METHODS)
def test_symlinks_planted_in_the_static_dir(site, method):
    for form in ["/leak.txt", "/leak-above.txt", "/keyring.json", "/assets/leak.js",
                 "/up/secret.txt", "/top/secret-above.txt", "/data/keyring.json",
                 "/data/parley.db", "/cwd/README.md", "/root/etc/passwd.txt", "/passwd.txt",
                 "/up/dist/index.html", "/data0/keyring.json"]:
        site.assert_not_found(form, method)


def test_directory_names(site):
    # A directory is never listed: with a slash it is no name; without, it is a client route.
    for form in ["/assets/", "/assets/fonts/", "//", "/assets//app-1a2b.js", "/assets/.", "/."]:
        site.assert_not_found(form)
    for form in ["/assets", "/assets/fonts", "/up", "/data"]:
        r = site.get(form)
        assert (r.status, r.body) == (200, PAGE), form


@pytest.mark.parametrize("form", ["/INDEX.HTML", "/Index.html", "/index.HTML", "/ASSETS/app-1a2b.js",
                                  "/assets/APP-1A2B.JS", "/Favicon.ico", "/LEAK.TXT", "/Keyring.json"])
def test_case_variants(site, form):
    for method in METHODS:
        site.assert_not_found(form, method)


def test_hidden_and_unsafe_names_are_not_served(site):
    _write(site.static / ".env", b"SECRET-ENV")
    _write(site.static / ".git" / "config.txt", b"SECRET-GIT")
    _write(site.static / "a b.js", b"SECRET-SPACE")
    site.server.restart()
    for form in ["/.env", "/%2eenv", "/.git/config.txt", "/%2egit/config.txt", "/a%20b.js", "/a+b.js"]:
        r = site.get(form)
        assert b"SECRET-" not in r.raw, form
        site.assert_not_found(form)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_get_no_file(site, method):
    for form in ["/index.html", "/assets/app-1a2b.js", "/"]:
        r = site.get(form, method)
        assert r.status == 404 and r.body == site.not_found.body, (method, form, r)


# ----------------------------------------------------------------------------- the proofs


def _path_forms(site: Site) -> list[str]:
    """Many spellings of each secret, relative to the static dir and absolute."""
    forms: set[str] = set()
    static = site.static
    for _, (path, _) in site.secrets.items():
        rel = os.path.relpath(path, static)  # ../secret.txt, ../../secret-above.txt, ...
        parts = rel.split("/")
        for dotdot in DOTDOT + ["%252e%252e", "%c0%ae%c0%ae"]:
            for sep in ["/", "%2f", "%5c", "\\", "//", "/./"]:
                spelled = sep.join(dotdot if p == ".." else p for p in parts)
                for prefix in ["/", "/assets/", "/assets/fonts/", "//", "/./", "/x/../"]:
                    forms.add(prefix + spelled)
        for prefix in ["/", "//", "///", "/./", "/proc/self/root/", "//proc/self/root/"]:
            forms.add(prefix + str(path).lstrip("/"))
        for prefix in ["/proc/self/cwd/", "//proc/self/cwd/", "/proc/thread-self/cwd/"]:
            forms.add(prefix + _relative_to_cwd(path))
        forms.add("/" + str(path).replace("/", "%2f"))
        forms.add("/" + path.name)
        forms.add("/" + path.name.upper())
    return sorted(forms)


@pytest.mark.timeout_s(120)
def test_no_file_outside_the_static_dir_can_be_read(site):
    forms = _path_forms(site)
    assert len(forms) > 300, len(forms)
    for form in forms:
        for method in METHODS:
            site.assert_not_found(form, method)


def test_served_files_are_exactly_the_clients(site):
    # Every client file, byte for byte, with its headers; HEAD matches GET without a body.
    for key, data in CLIENT_FILES.items():
        r = site.get(key)
        assert (r.status, r.body) == (200, data), key
        h = site.get(key, "HEAD")
        assert (h.status, h.body) == (200, b""), key
        assert h.headers["content-length"] == str(len(data)) == r.headers["content-length"]
        assert h.headers["content-type"] == r.headers["content-type"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        immutable = key.startswith("/assets/")
        assert ("immutable" in r.headers["cache-control"]) == immutable, key
    types = {"/index.html": "text/html; charset=utf-8", "/assets/app-1a2b.js": "text/javascript; charset=utf-8",
             "/assets/style-9f8e.css": "text/css; charset=utf-8", "/favicon.ico": "image/x-icon",
             "/assets/fonts/inter-3c4d.woff2": "font/woff2", "/manifest.json": "application/json"}
    for key, ctype in types.items():
        assert site.get(key).headers["content-type"] == ctype, key
    for route in ["/", "/rooms", "/rooms/7"]:
        r = site.get(route)
        assert (r.status, r.body, r.headers["cache-control"]) == (200, PAGE, "no-cache"), route
    # Nothing else: names beside the client's files, with and without the planted links.
    for name in ["/secret.txt", "/dist/index.html", "/index.htm", "/index.html.bak", "/assets/app.js"]:
        site.assert_not_found(name)


def test_the_built_client_is_served_whole(server_factory):
    dist = REPO_ROOT / "web" / "dist"
    server = server_factory(extra=["--static-dir", str(dist)])
    files = [p for p in dist.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(dist).parts)]
    assert files
    for p in files:
        key = "/" + p.relative_to(dist).as_posix()
        r = raw_request(server.port, "GET", key.encode())
        assert (r.status, r.body) == (200, p.read_bytes()), key


# ----------------------------------------------------------------------------- the bounds


def _serve_once(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    data_dir = tmp_path / "never-created"
    proc = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0",
                           "--data-dir", str(data_dir), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert not data_dir.exists(), "a refused start created the data dir"
    return proc


def _assert_refused(proc: subprocess.CompletedProcess, flag: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [line for line in proc.stderr.decode().splitlines() if not line.startswith("{")]
    assert len(lines) == 1, proc.stderr
    assert flag in lines[0], lines
    assert proc.stdout == b""


def test_a_static_dir_over_the_byte_bound_is_refused_at_start(tmp_path):
    # One file bigger than the whole bound (sparse: nothing is written) never stalls a
    # request, because the node refuses to start with it.
    static = tmp_path / "dist"
    _write(static / "index.html", PAGE)
    with open(static / "huge.bin", "wb") as f:
        f.truncate(65 * 1024 * 1024)
    _assert_refused(_serve_once(tmp_path, "--static-dir", str(static)), "--static-dir")


def test_a_static_dir_over_the_file_bound_is_refused_at_start(tmp_path):
    static = tmp_path / "dist"
    _write(static / "index.html", PAGE)
    for i in range(2000):
        _write(static / "assets" / f"f{i}.js", b"x")
    _assert_refused(_serve_once(tmp_path, "--static-dir", str(static)), "--static-dir")


@pytest.mark.parametrize("make", ["missing", "file", "no-index"])
def test_a_static_dir_that_is_no_client_is_refused_at_start(tmp_path, make):
    static = tmp_path / "dist"
    if make == "file":
        _write(static, b"x")
    elif make == "no-index":
        _write(static / "app.js", b"x")
    _assert_refused(_serve_once(tmp_path, "--static-dir", str(static)), "--static-dir")
