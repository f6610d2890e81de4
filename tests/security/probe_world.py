"""A shared world for the authorization probes (test_authz_matrix.py): one server per
module, a fixed cast of users, and per case a fresh room in which every role already
stands where it should (owner, member, a plain target member, a user who left, a user who
was kicked, outsiders, the server admin).

The server is started like the integration suite's `server_factory` (same binary, same
backend switch), but once per module: a case builds its own room, so cases stay
independent while sharing the users (each registration costs an argon2 hash).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import backends
from parley_client import (
    GOOD_ORIGIN, Response, Server, add_member, create_room, http_request, login, new_cmid,
    parley_bin, register, unique,
)

# A room id that no test ever creates (ids are allocated from 1 upwards).
MISSING_ROOM = 2 ** 62

ROLES_GROUP = ("owner", "member", "nonmember", "left", "kicked", "admin")
# A direct room has two members of equal standing: "owner" is the one who opened it.
ROLES_DIRECT = ("owner", "member", "nonmember", "admin")
OUTSIDERS = ("nonmember", "left", "kicked", "admin")


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image
    img = Image.new("RGB", (width, height), (20, 120, 200))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def start_server(tmp: Path, extra: list[str]) -> tuple[Server, list[str]]:
    args = ["--send-rate", "100000", "--allowed-origin", GOOD_ORIGIN,
            "--login-per-ip", "100000", "--login-per-account-ip", "100000", "--upload-rate", "0", "--upload-quota-files", "0", *extra]
    databases: list[str] = []
    if backends.scaled():
        scaled = backends.scaled_args()
        databases.append(scaled[1])
        args += scaled
    s = Server(tmp / "data", tmp, args, binary=parley_bin())
    s.start()
    return s, databases


def stop_server(s: Server, databases: list[str]) -> str | None:
    """Stops the server; returns a complaint if it had exited on its own."""
    complaint = None
    if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_us:
        complaint = f"server exited on its own ({s.proc.returncode}): {s.stderr_tail(2000)}"
    s.stop()
    for db in databases:
        backends.drop_database(db)
    return complaint


@dataclass
class Room:
    """One room as a case sees it: its id and, per role, what that role left in it."""
    kind: str                      # public | private | direct
    id: int
    msg: dict = field(default_factory=dict)   # role -> seq of a message that role sent
    file_attached: str = ""        # an owner's PNG, attached to a message (has a thumbnail)
    file_unattached: str = ""      # an owner's upload, not attached


class World:
    def __init__(self, server: Server, admin_name: str):
        self.s = server
        self.tok: dict[str, str] = {}
        self.user: dict[str, dict] = {}
        for role in ("owner", "member", "target", "nonmember", "left", "kicked", "extra",
                     "victim"):
            self._enrol(role, unique(role))
        self._enrol("admin", admin_name)
        self._direct: Room | None = None

    def _enrol(self, role: str, name: str) -> None:
        register(self.s, name)
        js = login(self.s, name, device=f"authz-{role}")
        self.tok[role] = js["token"]
        self.user[role] = js["user"]

    # ---- HTTP as a role

    def call(self, role: str | None, method: str, path: str, body=None,
             raw: bytes | None = None, content_type: str | None = None) -> Response:
        headers = {"Accept": "application/json"}
        data = raw
        if data is None and body is not None:
            import json
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tok[role]}"
        if not path.startswith("/api/") and path not in ("/healthz", "/readyz", "/metrics"):
            path = "/api/v1" + path
        return http_request("127.0.0.1", self.s.port, method, path, body=data, headers=headers)

    def ok(self, role: str, method: str, path: str, body=None, raw: bytes | None = None,
           expect: int = 200) -> dict:
        r = self.call(role, method, path, body, raw)
        assert r.status == expect, f"set-up {method} {path} as {role}: {r}"
        return r.json if r.json is not None else {}

    def send(self, role: str, room: int, text: str, files: list[str] | None = None) -> int:
        body = {"client_msg_id": new_cmid(), "text": text}
        if files:
            body["files"] = files
        return self.ok(role, "POST", f"/rooms/{room}/messages", body, expect=201)["message"]["seq"]

    def upload(self, role: str, room: int, data: bytes, name: str) -> str:
        path = f"/rooms/{room}/files?name={quote(name, safe='')}"
        return self.ok(role, "POST", path, raw=data, expect=201)["file"]["id"]

    # ---- rooms, each role in place

    def room(self, kind: str) -> Room:
        if kind == "direct":
            return self._direct_room()
        owner = "owner"
        rid = create_room(self.s, self.tok[owner], f"authz-{kind}", public=(kind == "public"))["id"]
        room = Room(kind, rid)
        for role in ("member", "target", "left", "kicked"):
            add_member(self.s, self.tok[owner], rid, self.user[role]["username"])
        for role in ("owner", "member", "left", "kicked"):
            room.msg[role] = self.send(role, rid, f"{role} was here")
        self.ok("left", "POST", f"/rooms/{rid}/leave", expect=204)
        self.ok(owner, "DELETE", f"/rooms/{rid}/members/{self.user['kicked']['id']}", expect=204)
        self._files(room)
        return room

    def _direct_room(self) -> Room:
        if self._direct is None:
            js = self.ok("owner", "POST", "/direct", {"username": self.user["member"]["username"]})
            self._direct = Room("direct", js["room"]["id"])
            self._files(self._direct)
        # Fresh messages per case: a case may edit or delete the ones it is given.
        d = self._direct
        room = Room("direct", d.id, file_attached=d.file_attached, file_unattached=d.file_unattached)
        for role in ("owner", "member"):
            room.msg[role] = self.send(role, d.id, f"{role} was here")
        return room

    def _files(self, room: Room) -> None:
        room.file_attached = self.upload("owner", room.id, png_bytes(), "picture.png")
        self.send("owner", room.id, "a picture", files=[room.file_attached])
        room.file_unattached = self.upload("owner", room.id, b"draft bytes", "draft.txt")

    def snapshot(self, room: Room) -> tuple:
        """What the room holds, as its owner sees it: details (without presence) and history."""
        detail = self.ok("owner", "GET", f"/rooms/{room.id}")
        for m in detail.get("members", []):
            m.pop("online", None)
        msgs = self.ok("owner", "GET", f"/rooms/{room.id}/messages?limit=200")
        return detail, msgs
